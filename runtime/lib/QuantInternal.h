//===- QuantInternal.h - What the quantized kernels share -------*- C++ -*-===//
//
// Internal to the runtime: activations quantized for the integer dot
// products, and the interleaved layout of quantized weights (QuantGemm.cpp,
// QuantInterleaved.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_RUNTIME_LIB_QUANTINTERNAL_H
#define LOOM_RUNTIME_LIB_QUANTINTERNAL_H

#include "loom/Quant.h"

#include <cstdint>

namespace loom::detail {

/// Rows of A quantized per block: `q[i * k + p]`, and per block `b` its
/// scale `d[i * blocks + b]` and integer sum `s[i * blocks + b]`.
struct QuantizedRows {
  const int8_t *q;
  const float *d;
  const int32_t *s;
  int64_t k, blocks;
};

/// Weight rows an interleaved group holds (a 512-bit vector's 32-bit lanes).
constexpr int64_t kInterleave = 16;

/// Whether this CPU runs the interleaved kernel (AVX-512 VNNI on 512-bit
/// vectors).
bool hasInterleavedKernel();

/// Rewrites the first n / 16 * 16 rows of the [n, k] `format` matrix `data`
/// (row-major blocks) in place into groups of 16 rows: per block of the
/// group, the rows' scales (and minimums), then their integers interleaved
/// 4 weights at a time (Q8_0 offset by 128 to unsigned). A vector of 64
/// bytes then holds 4 weights of each of 16 rows, one row per 32-bit lane.
/// The remaining rows stay as they are.
void interleaveRows(QuantFormat format, uint8_t *data, int64_t n, int64_t k);

/// `out[i * ldo + r] = sum_p a[i, p] * W[r, p]` for the 16 rows of each
/// group in [firstGroup, lastGroup) of the interleaved matrix `groups`
/// (`m` <= 4 activation rows; r counted from the first group's first row).
void dotGroups(QuantFormat format, int64_t m, const uint8_t *groups,
               int64_t firstGroup, int64_t lastGroup, const QuantizedRows &a,
               float *out, int64_t ldo);

} // namespace loom::detail

#endif // LOOM_RUNTIME_LIB_QUANTINTERNAL_H
