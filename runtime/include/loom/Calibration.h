//===- Calibration.h - Activation statistics of a model's products --*- C++
//-*-===//
//
// A calibration run: the model runs over a token file while its products
// record, per weight matrix, the mean square of each input channel of the
// activations it multiplies. Quantization weighs rounding errors by these
// (importance), and the other weight-rewriting passes (pruning, looping)
// read the same statistics.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_CALIBRATION_H
#define LOOM_CALIBRATION_H

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace loom {

/// Per weight matrix, by the address generated code passes for it: the sum
/// over every activation row it was multiplied by of each input channel's
/// square, and how many rows.
class ActivationStatistics {
public:
  struct Sums {
    std::vector<double> squares;
    int64_t rows = 0;
  };

  /// Adds rows [0, m) of `a` ([m, k], rows `lda` apart), the input of a
  /// product with the weight at `weight`.
  void record(const void *weight, const float *a, int64_t lda, int64_t m,
              int64_t k);

  /// What was recorded.
  const std::map<const void *, Sums> &getSums() const { return sums; }

private:
  std::mutex mutex;
  std::map<const void *, Sums> sums;
};

} // namespace loom

#endif // LOOM_CALIBRATION_H
