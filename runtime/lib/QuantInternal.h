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
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define LOOM_X86 1
/// Target of the row-major kernels: AVX2 only. Code compiled for AVX-512
/// (even on 256-bit vectors) may use its registers ymm16-31, masks and
/// encodings such as vpternlog, which a CPU with AVX2 alone does not run.
#define LOOM_QUANT_AVX2 "avx2,fma,f16c"
#endif

namespace loom::detail {

#if LOOM_X86
/// The sum of a vector's lanes.
__attribute__((target(LOOM_QUANT_AVX2))) inline float hsum(__m256 v) {
  __m128 sum =
      _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

/// The integer dot products of 32 unsigned bytes `u` with 32 signed bytes
/// `s`, as 8 lanes of partial sums (vpmaddubsw; exact for nibbles, and for
/// magnitudes up to 127 against int8 activations, which never reach -128).
__attribute__((target(LOOM_QUANT_AVX2))) inline __m256i
dotUnsignedSigned(__m256i u, __m256i s) {
  __m256i pairs = _mm256_maddubs_epi16(u, s);
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}
#endif

/// Rows of A quantized per block: `q[i * k + p]`, and per block `b` its
/// scale `d[i * blocks + b]` and integer sum `s[i * blocks + b]`.
struct QuantizedRows {
  const int8_t *q;
  const float *d;
  const int32_t *s;
  int64_t k, blocks;
};

/// A kernel for R weight rows (`rowBytes` apart) against M activation rows:
/// `out[r * M + i]`.
using DotRowsFn = void (*)(const uint8_t *w, int64_t rowBytes,
                           const QuantizedRows &a, float *out);

/// The weights of a block's importance-weighted error: `importance` (32
/// values), each raised by a thousandth of their mean, so that a channel
/// that never mattered still counts a little and its weight is not left
/// arbitrary.
void blockErrorWeights(const float *importance, float *weights);

/// GPTQ's factor of the inputs' `covariance` ([k, k], rows `ldh` apart):
/// the row-major upper Cholesky factor `u` of its inverse, damped by 1% of
/// its mean diagonal, or more until it factors. Fails for a value that is
/// not finite, or a matrix that does not factor even damped.
Status gptqInverseFactor(const float *covariance, int64_t ldh, int64_t k,
                         std::vector<double> &u);

/// Quantizes the weights [begin, end) (whole blocks) of a row `x` of `k`
/// weights to `format` (any but Q6_K) with error feedback, into the row's
/// bytes at `out`: they are rounded in order, each block's (or Q4_K
/// super-block's) scales chosen from its values when its turn comes (INT8's
/// row scale is already in the row's header), and each rounding error at
/// p, divided by `u[p][p]`, is taken off the later weights t < end in
/// proportion to `u[p][t]` (`u`: the [k, k] row-major upper Cholesky factor
/// of the inverse input covariance, GPTQ's) and written to
/// `errors[p - begin]`, for the caller to take off the weights from `end`
/// on.
void quantizeSpanWithFeedback(QuantFormat format, double *x, int64_t k,
                              int64_t begin, int64_t end, const double *u,
                              const float *importance, double *errors,
                              uint8_t *out);

/// `quantizeSpanWithFeedback` for INT8: the weights [begin, end) of `x`
/// rounded with the scale already in the header of the row at `out`
/// (QuantInt8.cpp).
void quantizeSpanInt8WithFeedback(double *x, int64_t k, int64_t begin,
                                  int64_t end, const double *u, double *errors,
                                  uint8_t *out);

/// `quantizeSpanWithFeedback` for Q4_K: [begin, end) whole super-blocks,
/// each super-block's scales and minimums fitted when its turn comes
/// (QuantK.cpp).
void quantizeSpanQ4KWithFeedback(double *x, int64_t k, int64_t begin,
                                 int64_t end, const double *u,
                                 const float *importance, double *errors,
                                 uint8_t *out);

/// The 6-bit scales and minimums of a Q4_K super-block's 12 packed bytes.
void unpackQ4KScales(const uint8_t *packed, uint8_t *sc, uint8_t *m);

/// Quantizes a row of `k` weights (a multiple of 256) to Q4_K (QuantK.cpp).
void quantizeRowQ4K(const float *x, int64_t k, const float *importance,
                    uint8_t *out);

/// Decodes a row of `k` Q4_K weights.
void dequantizeRowQ4K(const uint8_t *row, int64_t k, float *out);

/// The row-major Q4_K kernels of `kernel` for `m` activation rows: several
/// weight rows at once (4 for m <= 2, else 2), and one.
std::pair<DotRowsFn, DotRowsFn> dotRowsQ4K(QuantKernel kernel, int64_t m);

/// Decodes a row of `k` Q6_K weights (QuantK.cpp).
void dequantizeRowQ6K(const uint8_t *row, int64_t k, float *out);

/// Quantizes a row of `k` weights to INT8: its f32 scale, then its int8s
/// (QuantInt8.cpp).
void quantizeRowInt8(const float *x, int64_t k, const float *importance,
                     uint8_t *out);

/// Decodes a row of `k` INT8 weights.
void dequantizeRowInt8(const uint8_t *row, int64_t k, float *out);

/// The row-major INT8 kernels of `kernel` for `m` activation rows, as
/// dotRowsQ4K.
std::pair<DotRowsFn, DotRowsFn> dotRowsInt8(QuantKernel kernel, int64_t m);

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

/// Bytes of the rows' scales (and minimums) before the integers of an
/// interleaved group's block (INT8: none; its row scales lead the group).
constexpr int64_t interleavedHeaderBytes(QuantFormat format) {
  return format == QuantFormat::Int8
             ? 0
             : (format == QuantFormat::Q4_1 ? 4 : 2) * kInterleave;
}

/// Q4_K: bytes of a group's super-block before its sub-blocks' nibbles
/// (16 d, 16 dmin, then three vectors of the rows' 6-bit scales and
/// minimums: lane r of the first holds row r's eight scales' low 4 bits,
/// 4 bits a sub-block; the second the minimums' likewise; the third their
/// high 2 bits, scales at bit 2j, minimums at bit 16 + 2j); the bytes of a
/// sub-block's nibbles (as a Q4_0 group block's).
constexpr int64_t kQ4KGroupHeader = 256;
constexpr int64_t kQ4KGroupSubBlock = 16 * kInterleave;

/// Decodes the 16 rows of the interleaved group `group` of `format` (`k`
/// weights a row) to f32 `rows[r * k + p]`.
void decodeGroup(QuantFormat format, const uint8_t *group, int64_t k,
                 float *rows);

/// Up to this many rows of A, products stream the weights once.
constexpr int64_t kQuantSmallM = 4;

/// `C = A * W^T` (+ bias, activation) with the exact f32 rows `a` against W
/// decoded to f32 panels of weight rows (interleaved groups or row-major
/// rows) and the f32 GEMM: for prompts on weights without integer kernels
/// for them (QuantGemm.cpp).
void qgemmPanels(KernelState &state, QuantFormat format, int64_t m, int64_t n,
                 int64_t k, const float *a, int64_t lda, const uint8_t *w,
                 bool interleaved, const float *bias, float *c, int64_t ldc,
                 bool accumulate, Activation activation);

/// `qgemmNT` with bfloat16 inputs (QuantBf16.cpp): the AVX-512 BF16 kernel
/// on interleaved groups where `fast` and the CPU has it, else the weights
/// decoded to f32 against the rounded inputs.
void qgemmBf16(KernelState &state, QuantFormat format, int64_t m, int64_t n,
               int64_t k, const float *a, int64_t lda, const uint8_t *w,
               bool interleaved, bool fast, const float *bias, float *c,
               int64_t ldc, bool accumulate, Activation activation);

} // namespace loom::detail

#endif // LOOM_RUNTIME_LIB_QUANTINTERNAL_H
