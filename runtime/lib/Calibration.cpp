//===- Calibration.cpp - Activation statistics of a model's products ------===//

#include "loom/Calibration.h"

using namespace loom;

void ActivationStatistics::record(const void *weight, const float *a,
                                  int64_t lda, int64_t m, int64_t k) {
  std::lock_guard<std::mutex> lock(mutex);
  Sums &entry = sums[weight];
  if (entry.squares.empty())
    entry.squares.assign(size_t(k), 0.0);
  // A matrix multiplied with different input widths (views of it) keeps the
  // first width's channels.
  int64_t width = std::min<int64_t>(k, int64_t(entry.squares.size()));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < width; ++p) {
      double x = a[i * lda + p];
      entry.squares[size_t(p)] += x * x;
    }
  entry.rows += m;
}
