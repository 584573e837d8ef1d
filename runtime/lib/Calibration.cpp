//===- Calibration.cpp - Activation statistics of a model's products ------===//

#include "loom/Calibration.h"

#include "loom/Kernels.h"
#include "loom/ThreadPool.h"

#include <cmath>

using namespace loom;

void ActivationStatistics::record(const void *weight, const float *a,
                                  int64_t lda, int64_t m, int64_t k,
                                  ThreadPool *pool) {
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
  if (!withCovariance)
    return;
  if (entry.covariance.empty())
    entry.covariance.assign(size_t(width * width), 0.0);
  // Row p of the upper triangle: sum over inputs of x_p x_t, t >= p.
  double *covariance = entry.covariance.data();
  auto addRows = [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      double *row = covariance + p * width;
      for (int64_t i = 0; i < m; ++i) {
        const float *x = a + i * lda;
        double xp = x[p];
        if (xp == 0.0)
          continue;
        for (int64_t t = p; t < width; ++t)
          row[t] += xp * double(x[t]);
      }
    }
  };
  if (pool)
    pool->parallelFor(0, width, 16, addRows);
  else
    addRows(0, width);
}

void ActivationStatistics::startForward() {
  std::lock_guard<std::mutex> lock(mutex);
  nextLayer = 0;
  inputRows = 0;
}

void ActivationStatistics::observe(const float *x, int64_t ld, int64_t rows,
                                   int64_t width, bool output,
                                   int64_t columnStride) {
  std::lock_guard<std::mutex> lock(mutex);
  auto at = [&](int64_t i, int64_t j) { return x[i * ld + j * columnStride]; };
  if (!output) {
    input.resize(size_t(rows * width));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < width; ++j)
        input[size_t(i * width + j)] = at(i, j);
    inputRows = rows;
    inputWidth = width;
    return;
  }
  if (influence.size() <= nextLayer)
    influence.resize(nextLayer + 1);
  Influence &layer = influence[nextLayer++];
  if (rows != inputRows || width != inputWidth)
    return;
  for (int64_t i = 0; i < rows; ++i) {
    const float *a = input.data() + i * width;
    double dot = 0, aa = 0, bb = 0;
    for (int64_t j = 0; j < width; ++j) {
      double b = at(i, j);
      dot += double(a[j]) * b;
      aa += double(a[j]) * a[j];
      bb += b * b;
    }
    // A zero row has no direction: it counts as unchanged only if both are.
    double cosine = aa > 0 && bb > 0 ? dot / std::sqrt(aa * bb)
                    : aa == bb       ? 1.0
                                     : 0.0;
    layer.sum += 1.0 - cosine;
    ++layer.rows;
  }
  inputRows = 0;
}

extern "C" void _mlir_ciface_loom_observe(loom_context *context,
                                          MemRef<float, 2> *x, int64_t output) {
  ActivationStatistics *statistics = context->kernels->statistics;
  if (!statistics)
    return;
  statistics->observe(x->aligned + x->offset, x->strides[0], x->sizes[0],
                      x->sizes[1], output != 0, x->strides[1]);
}
