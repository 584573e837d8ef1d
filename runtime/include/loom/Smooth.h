//===- Smooth.h - Activation-aware scales of a product's input --*- C++ -*-===//
//
// Smoothing (SmoothQuant, AWQ) rewrites a product `x w^T` as
// `(x / s) (w diag(s))^T`: the same in real arithmetic, but with the range
// of the input's loud channels moved into the weight, so that rounding the
// activations (and the weights, weighted by how loud their inputs are)
// loses less. The scales come from calibration statistics and the weight.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_SMOOTH_H
#define LOOM_SMOOTH_H

#include "loom/Kernels.h"
#include "loom/Support.h"

#include <cstdint>

namespace loom {

/// Writes `out[j * outStride]` (j < k): `s_j = a_j^alpha / m_j^(1 -
/// alpha)`, a_j = sqrt(importance[j * importanceStride]) and m_j the largest
/// |w[i, j]| of the [n, k] matrix `w` (element (i, j) at
/// `w[i * rowStride + j * colStride]`), normalized to a geometric mean of 1
/// over the channels where both are positive (the others get 1); `1 / s_j`
/// if `inverse`.
void smoothScales(const float *w, int64_t n, int64_t k, int64_t rowStride,
                  int64_t colStride, const float *importance,
                  int64_t importanceStride, double alpha, bool inverse,
                  float *out, int64_t outStride);

} // namespace loom

extern "C" {
/// `loom_smooth_scales` (LOOM_KERNEL_SMOOTH_SCALES).
void _mlir_ciface_loom_smooth_scales(loom_context *context,
                                     loom::MemRef<float, 2> *w,
                                     loom::MemRef<float, 1> *importance,
                                     loom::MemRef<float, 1> *out, double alpha,
                                     int64_t inverse);
}

#endif // LOOM_SMOOTH_H
