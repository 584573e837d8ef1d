//===- Smooth.cpp - Activation-aware scales of a product's input ----------===//
//
// `loom_smooth_scales`: SmoothQuant's balance of activation and weight
// ranges, with the root mean square of each input channel (the calibration
// statistics) in place of its maximum, which one loud token would set. Run
// once at load for each smoothed product (a derived weight).
//
//===----------------------------------------------------------------------===//

#include "loom/Smooth.h"

#include "loom/loom_abi.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace loom;

void loom::smoothScales(const float *w, int64_t n, int64_t k, int64_t rowStride,
                        int64_t colStride, const float *importance,
                        int64_t importanceStride, double alpha, bool inverse,
                        float *out, int64_t outStride) {
  std::vector<double> largest(static_cast<size_t>(k), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      largest[size_t(j)] =
          std::max(largest[size_t(j)],
                   double(std::fabs(w[i * rowStride + j * colStride])));
  // log s_j, where defined; the mean of those is taken out.
  std::vector<double> logs(static_cast<size_t>(k), 0.0);
  std::vector<bool> defined(static_cast<size_t>(k), false);
  double sum = 0.0;
  int64_t count = 0;
  for (int64_t j = 0; j < k; ++j) {
    double meanSquare = importance[j * importanceStride];
    double weight = largest[size_t(j)];
    if (!(meanSquare > 0.0) || !(weight > 0.0) || !std::isfinite(meanSquare))
      continue;
    logs[size_t(j)] =
        0.5 * alpha * std::log(meanSquare) - (1.0 - alpha) * std::log(weight);
    defined[size_t(j)] = true;
    sum += logs[size_t(j)];
    ++count;
  }
  double mean = count ? sum / double(count) : 0.0;
  for (int64_t j = 0; j < k; ++j) {
    double log = defined[size_t(j)] ? logs[size_t(j)] - mean : 0.0;
    out[j * outStride] = float(std::exp(inverse ? -log : log));
  }
}

extern "C" void _mlir_ciface_loom_smooth_scales(loom_context *context,
                                                MemRef<float, 2> *w,
                                                MemRef<float, 1> *importance,
                                                MemRef<float, 1> *out,
                                                double alpha, int64_t inverse) {
  (void)context;
  const int64_t n = w->sizes[0], k = w->sizes[1];
  if (importance->sizes[0] != k || out->sizes[0] != k || !(alpha >= 0.0) ||
      !(alpha <= 1.0) || (inverse != 0 && inverse != 1)) {
    badKernelCall(LOOM_KERNEL_SMOOTH_SCALES, "operands of mismatched shapes");
  }
  smoothScales(w->aligned + w->offset, n, k, w->strides[0], w->strides[1],
               importance->aligned + importance->offset, importance->strides[0],
               alpha, inverse != 0, out->aligned + out->offset,
               out->strides[0]);
}
