//===- Calibration.h - Activation statistics of a model's products --*- C++
//-*-===//
//
// A calibration run: the model runs over a token file while its products
// record, per weight matrix, the mean square of each input channel of the
// activations it multiplies. Quantization weighs rounding errors by these
// (importance), and the other weight-rewriting passes (pruning, looping)
// read the same statistics. The blocks of layers show their input and
// output too (`loom.observe`), from which the run measures each layer's
// block influence (ShortGPT) for layer removal.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_CALIBRATION_H
#define LOOM_CALIBRATION_H

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace loom {

class ThreadPool;

/// Per weight matrix, by the address generated code passes for it: the sum
/// over every activation row it was multiplied by of each input channel's
/// square, and how many rows.
class ActivationStatistics {
public:
  /// With `covariance`, each product also sums x x^T over its input rows
  /// (k x k doubles a matrix), for quantization with error feedback.
  explicit ActivationStatistics(bool covariance = false)
      : withCovariance(covariance) {}

  struct Sums {
    std::vector<double> squares;
    /// The upper triangle of sum x x^T ([k, k] row-major), if asked for.
    std::vector<double> covariance;
    int64_t rows = 0;
  };

  /// Adds rows [0, m) of `a` ([m, k], rows `lda` apart), the input of a
  /// product with the weight at `weight`; the covariance's rows on `pool`'s
  /// threads when there is one.
  void record(const void *weight, const float *a, int64_t lda, int64_t m,
              int64_t k, ThreadPool *pool = nullptr);

  /// What was recorded.
  const std::map<const void *, Sums> &getSums() const { return sums; }

  /// Per observed layer call (the n-th of a forward pass): the sum over
  /// rows of 1 - cos(input row, output row), and how many rows.
  struct Influence {
    double sum = 0;
    int64_t rows = 0;
  };

  /// A forward pass starts: its next observed output is layer 0's.
  void startForward();

  /// A layer's hidden state `x` ([rows, width], rows `ld` and columns
  /// `columnStride` apart): its input
  /// (kept until the output comes), or its output, whose rows' cosines with
  /// the input's are added to the layer's influence. An output without an
  /// input of its shape is counted as a layer but adds nothing.
  void observe(const float *x, int64_t ld, int64_t rows, int64_t width,
               bool output, int64_t columnStride = 1);

  /// What was observed, by call index.
  const std::vector<Influence> &getInfluence() const { return influence; }

private:
  bool withCovariance;
  std::mutex mutex;
  std::map<const void *, Sums> sums;
  std::vector<Influence> influence;
  /// The input of the layer being run, and the layer's index.
  std::vector<float> input;
  int64_t inputRows = 0, inputWidth = 0;
  size_t nextLayer = 0;
};

} // namespace loom

#endif // LOOM_CALIBRATION_H
