//===- QuantK.cpp - Q4_K super-blocks: rounding, decoding, row products ---===//
//
// Q4_K (GGUF's block_q4_K) stores 256 weights as eight sub-blocks of 32,
// each with a 6-bit scale and a 6-bit minimum that two half floats of the
// super-block scale: 4.5 bits a weight, like Q4_0, but affine like Q4_1 and
// with finer scales. The layout is loom_abi.h's.
//
// Rounding: each sub-block's scale and minimum are fitted first (the range,
// with the minimum at most 0 as ggml keeps it; or, with importance, the
// candidate of least weighted error), then rounded to 6 bits against the
// super-block's largest, then every weight to nearest with the rounded
// ones. It is Loom's own: ggml's reference quantizer searches differently,
// so its bytes for the same weights may differ (any Q4_K bytes decode the
// same way).
//
// Products: a sub-block is as long as a block of quantized activations, so
// each costs one integer dot product of 32 pairs, scaled by d * sc * d_a,
// less dmin * m * d_a * sum(q_a).
//
//===----------------------------------------------------------------------===//

#include "QuantInternal.h"

#include "loom/Half.h"
#include "loom/loom_abi.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace loom;
using namespace loom::detail;

static_assert(kQuantSuperBlock == LOOM_QUANT_SUPER_BLOCK &&
                  LOOM_QUANT_Q4_K_BYTES == 4 + 12 + kQuantSuperBlock / 2,
              "Q4_K geometry of loom_abi.h");

namespace {

constexpr int kSubBlocks = int(kQuantSuperBlock / kQuantBlock);
/// Offset of a super-block's packed scales, and of its nibbles.
constexpr int kScalesOffset = 4;
constexpr int kNibblesOffset = 16;

/// A sub-block's continuous scale and minimum (weight = scale * q - offset,
/// offset >= 0).
struct SubBlockFit {
  float scale = 0.0f, offset = 0.0f;
};

/// The range of `x` onto 0..15, the minimum at most 0.
SubBlockFit rangeFit(const float *x) {
  float min = 0.0f, max = x[0];
  for (int j = 0; j < kQuantBlock; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  return {(max - min) / 15.0f, -min};
}

/// Importance-weighted squared error of `x` rounded with `fit`, and the
/// integers it rounds to.
double fitError(const float *x, const float *weights, const SubBlockFit &fit,
                int *q) {
  float inverse = fit.scale != 0.0f ? 1.0f / fit.scale : 0.0f;
  double error = 0.0;
  for (int j = 0; j < kQuantBlock; ++j) {
    q[j] =
        std::clamp(int(std::nearbyint((x[j] + fit.offset) * inverse)), 0, 15);
    double diff = double(x[j]) - (double(fit.scale) * q[j] - fit.offset);
    error += double(weights[j]) * diff * diff;
  }
  return error;
}

/// The fit of least importance-weighted error among scales around the
/// range's, each refit to its integers by weighted least squares (the
/// minimum kept at most 0).
SubBlockFit weightedFit(const float *x, const float *importance) {
  float weights[kQuantBlock];
  blockErrorWeights(importance, weights);
  SubBlockFit plain = rangeFit(x), best = plain;
  int q[kQuantBlock];
  double bestError = fitError(x, weights, best, q);
  for (int step = -12; step <= 12; ++step) {
    SubBlockFit fit = {plain.scale * (1.0f + 0.02f * float(step)),
                       plain.offset};
    fitError(x, weights, fit, q);
    double sw = 0, swq = 0, swqq = 0, swx = 0, swxq = 0;
    for (int j = 0; j < kQuantBlock; ++j) {
      double w = weights[j];
      sw += w;
      swq += w * q[j];
      swqq += w * q[j] * q[j];
      swx += w * x[j];
      swxq += w * x[j] * q[j];
    }
    double det = sw * swqq - swq * swq;
    if (det > 0) {
      double scale = (sw * swxq - swq * swx) / det;
      double min = (swqq * swx - swq * swxq) / det;
      if (min > 0 && swqq > 0) {
        min = 0;
        scale = swxq / swqq;
      }
      if (scale > 0)
        fit = {float(scale), float(-min)};
    }
    double error = fitError(x, weights, fit, q);
    if (error < bestError) {
      bestError = error;
      best = fit;
    }
  }
  return best;
}

/// Packs 6-bit scales and minimums as loom_abi.h lays them out.
void packScales(const uint8_t *sc, const uint8_t *m, uint8_t *out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    out[j + 4] = uint8_t((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    out[j + 8] = uint8_t((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
  }
}

/// A 6-bit level of `value` against `inverse` (the super-block's step).
uint8_t level6(float value, float inverse) {
  return uint8_t(std::clamp(int(std::nearbyint(value * inverse)), 0, 63));
}

/// Fits one super-block's scales and minimums to `x` (256 weights) and
/// writes them (its first 16 bytes at `out`); the sub-blocks' rounded
/// scales and offsets in `scales` and `offsets`.
void fitSuperBlock(const float *x, const float *importance, uint8_t *out,
                   float *scales, float *offsets) {
  SubBlockFit fits[kSubBlocks];
  float maxScale = 0.0f, maxOffset = 0.0f;
  for (int j = 0; j < kSubBlocks; ++j) {
    const float *sub = x + j * kQuantBlock;
    fits[j] = importance ? weightedFit(sub, importance + j * kQuantBlock)
                         : rangeFit(sub);
    maxScale = std::max(maxScale, fits[j].scale);
    maxOffset = std::max(maxOffset, fits[j].offset);
  }
  uint16_t dBits = floatToHalf(maxScale / 63.0f);
  uint16_t dminBits = floatToHalf(maxOffset / 63.0f);
  float d = halfToFloat(dBits), dmin = halfToFloat(dminBits);
  // Beyond f16's range the super-block cannot be stored: it keeps its
  // infinite scale (loading finds it) and zeros for the rest.
  if (!std::isfinite(d) || !std::isfinite(dmin))
    d = dmin = 0.0f;
  float inverse = d != 0.0f ? 1.0f / d : 0.0f;
  float inverseMin = dmin != 0.0f ? 1.0f / dmin : 0.0f;
  uint8_t sc[kSubBlocks], m[kSubBlocks];
  for (int j = 0; j < kSubBlocks; ++j) {
    sc[j] = level6(fits[j].scale, inverse);
    m[j] = level6(fits[j].offset, inverseMin);
    scales[j] = d * float(sc[j]);
    offsets[j] = dmin * float(m[j]);
  }
  std::memcpy(out, &dBits, 2);
  std::memcpy(out + 2, &dminBits, 2);
  packScales(sc, m, out + kScalesOffset);
  std::memset(out + kNibblesOffset, 0, kQuantSuperBlock / 2);
}

/// The 4-bit level of `value` in a sub-block of `scale` and `offset`.
int level4(float value, float scale, float offset) {
  return scale != 0.0f
             ? std::clamp(int(std::nearbyint((value + offset) / scale)), 0, 15)
             : 0;
}

/// Stores weight `l` (0..255) of a super-block at `out` as `q`.
void storeNibble(uint8_t *out, int l, int q) {
  int j = l / kQuantBlock;
  out[kNibblesOffset + 32 * (j / 2) + l % kQuantBlock] |=
      uint8_t(q << (4 * (j % 2)));
}

/// Quantizes one super-block.
void quantizeSuperBlock(const float *x, const float *importance, uint8_t *out) {
  float scales[kSubBlocks], offsets[kSubBlocks];
  fitSuperBlock(x, importance, out, scales, offsets);
  for (int l = 0; l < int(kQuantSuperBlock); ++l)
    storeNibble(
        out, l,
        level4(x[l], scales[l / kQuantBlock], offsets[l / kQuantBlock]));
}

} // namespace

void loom::detail::unpackQ4KScales(const uint8_t *packed, uint8_t *sc,
                                   uint8_t *m) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = packed[j] & 63;
    m[j] = packed[j + 4] & 63;
    sc[j + 4] = uint8_t((packed[j + 8] & 15) | ((packed[j] >> 6) << 4));
    m[j + 4] = uint8_t((packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4));
  }
}

void loom::detail::quantizeRowQ4K(const float *x, int64_t k,
                                  const float *importance, uint8_t *out) {
  for (int64_t b = 0; b < k / kQuantSuperBlock; ++b)
    quantizeSuperBlock(x + b * kQuantSuperBlock,
                       importance ? importance + b * kQuantSuperBlock : nullptr,
                       out + b * LOOM_QUANT_Q4_K_BYTES);
}

void loom::detail::quantizeSpanQ4KWithFeedback(double *x, int64_t k,
                                               int64_t begin, int64_t end,
                                               const double *u,
                                               const float *importance,
                                               double *errors, uint8_t *out) {
  for (int64_t first = begin; first < end; first += kQuantSuperBlock) {
    // The super-block's scales from its values as the earlier errors left
    // them, then its weights in order.
    float values[kQuantSuperBlock];
    for (int64_t l = 0; l < kQuantSuperBlock; ++l)
      values[l] = float(x[first + l]);
    uint8_t *block = out + (first / kQuantSuperBlock) * LOOM_QUANT_Q4_K_BYTES;
    float scales[kSubBlocks], offsets[kSubBlocks];
    fitSuperBlock(values, importance ? importance + first : nullptr, block,
                  scales, offsets);
    for (int l = 0; l < int(kQuantSuperBlock); ++l) {
      int64_t p = first + l;
      float scale = scales[l / kQuantBlock], offset = offsets[l / kQuantBlock];
      int q = level4(float(x[p]), scale, offset);
      storeNibble(block, l, q);
      double error =
          (x[p] - (double(scale) * q - double(offset))) / u[p * k + p];
      errors[p - begin] = error;
      const double *spread = u + p * k;
      for (int64_t t = p + 1; t < end; ++t)
        x[t] -= error * spread[t];
    }
  }
}

void loom::detail::dequantizeRowQ4K(const uint8_t *row, int64_t k, float *out) {
  for (int64_t b = 0; b < k / kQuantSuperBlock; ++b) {
    const uint8_t *block = row + b * LOOM_QUANT_Q4_K_BYTES;
    uint16_t dBits, dminBits;
    std::memcpy(&dBits, block, 2);
    std::memcpy(&dminBits, block + 2, 2);
    float d = halfToFloat(dBits), dmin = halfToFloat(dminBits);
    uint8_t sc[kSubBlocks], m[kSubBlocks];
    unpackQ4KScales(block + kScalesOffset, sc, m);
    const uint8_t *nibbles = block + kNibblesOffset;
    for (int j = 0; j < kSubBlocks; ++j) {
      float scale = d * float(sc[j]), offset = dmin * float(m[j]);
      float *y = out + b * kQuantSuperBlock + j * kQuantBlock;
      for (int l = 0; l < kQuantBlock; ++l)
        y[l] =
            scale * float((nibbles[32 * (j / 2) + l] >> (4 * (j % 2))) & 15) -
            offset;
    }
  }
}

void loom::detail::dequantizeRowQ6K(const uint8_t *row, int64_t k, float *out) {
  for (int64_t b = 0; b < k / kQuantSuperBlock; ++b) {
    const uint8_t *block = row + b * LOOM_QUANT_Q6_K_BYTES;
    const uint8_t *ql = block, *qh = block + 128;
    const auto *scales = reinterpret_cast<const int8_t *>(block + 192);
    uint16_t dBits;
    std::memcpy(&dBits, block + 208, 2);
    float d = halfToFloat(dBits);
    float *y = out + b * kQuantSuperBlock;
    for (int n = 0; n < 2; ++n)
      for (int p = 0; p < 128; ++p) {
        int t = p / 32, l = p % 32;
        int low = (ql[64 * n + l + 32 * (t & 1)] >> (4 * (t >> 1))) & 15;
        int high = (qh[32 * n + l] >> (2 * t)) & 3;
        y[128 * n + p] = d * float(scales[(128 * n + p) / 16]) *
                         float((low | (high << 4)) - 32);
      }
  }
}

namespace {

/// A super-block's two scales.
void superScales(const uint8_t *block, float &d, float &dmin) {
  uint16_t dBits, dminBits;
  std::memcpy(&dBits, block, 2);
  std::memcpy(&dminBits, block + 2, 2);
  d = halfToFloat(dBits);
  dmin = halfToFloat(dminBits);
}

/// Weight rows [0, R) against M activation rows: `out[r * M + i]`.
template <int M, int R>
void dotRowsQ4KPortable(const uint8_t *w, int64_t rowBytes,
                        const QuantizedRows &a, float *out) {
  for (int r = 0; r < R; ++r) {
    double sums[M] = {};
    for (int64_t sb = 0; sb < a.blocks / kSubBlocks; ++sb) {
      const uint8_t *block = w + r * rowBytes + sb * LOOM_QUANT_Q4_K_BYTES;
      float d, dmin;
      superScales(block, d, dmin);
      uint8_t sc[kSubBlocks], m[kSubBlocks];
      unpackQ4KScales(block + kScalesOffset, sc, m);
      const uint8_t *nibbles = block + kNibblesOffset;
      for (int j = 0; j < kSubBlocks; ++j) {
        int64_t b = sb * kSubBlocks + j;
        for (int i = 0; i < M; ++i) {
          const int8_t *q = a.q + i * a.k + b * kQuantBlock;
          int32_t dot = 0;
          for (int l = 0; l < kQuantBlock; ++l)
            dot += int32_t((nibbles[32 * (j / 2) + l] >> (4 * (j % 2))) & 15) *
                   q[l];
          float da = a.d[i * a.blocks + b];
          sums[i] += d * float(sc[j]) * da * float(dot) -
                     dmin * float(m[j]) * da * float(a.s[i * a.blocks + b]);
        }
      }
    }
    for (int i = 0; i < M; ++i)
      out[r * M + i] = float(sums[i]);
  }
}

#if LOOM_X86

/// Weight rows [0, R) against M activation rows, 256-bit vectors:
/// `out[r * M + i]`.
template <int M, int R>
__attribute__((target(LOOM_QUANT_AVX2))) void
dotRowsQ4KSimd(const uint8_t *w, int64_t rowBytes, const QuantizedRows &a,
               float *out) {
  __m256 acc[R][M];
  float correction[R][M];
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < M; ++i) {
      acc[r][i] = _mm256_setzero_ps();
      correction[r][i] = 0.0f;
    }
  const __m256i low = _mm256_set1_epi8(0x0F);
  for (int64_t sb = 0; sb < a.blocks / kSubBlocks; ++sb) {
    for (int r = 0; r < R; ++r) {
      const uint8_t *block = w + r * rowBytes + sb * LOOM_QUANT_Q4_K_BYTES;
      _mm_prefetch(reinterpret_cast<const char *>(block) + 1024, _MM_HINT_T0);
      float d, dmin;
      superScales(block, d, dmin);
      uint8_t sc[kSubBlocks], m[kSubBlocks];
      unpackQ4KScales(block + kScalesOffset, sc, m);
      for (int p = 0; p < kSubBlocks / 2; ++p) {
        __m256i raw = _mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(block + kNibblesOffset + 32 * p));
        __m256i halves[2] = {_mm256_and_si256(raw, low),
                             _mm256_and_si256(_mm256_srli_epi16(raw, 4), low)};
        for (int h = 0; h < 2; ++h) {
          int j = 2 * p + h;
          int64_t b = sb * kSubBlocks + j;
          for (int i = 0; i < M; ++i) {
            __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
                a.q + i * a.k + b * kQuantBlock));
            float da = a.d[i * a.blocks + b];
            acc[r][i] = _mm256_fmadd_ps(
                _mm256_cvtepi32_ps(dotUnsignedSigned(halves[h], q)),
                _mm256_set1_ps(d * float(sc[j]) * da), acc[r][i]);
            correction[r][i] -=
                dmin * float(m[j]) * da * float(a.s[i * a.blocks + b]);
          }
        }
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < M; ++i)
      out[r * M + i] = hsum(acc[r][i]) + correction[r][i];
}
#endif

template <int M, int R> DotRowsFn dotRowsQ4KFor(QuantKernel kernel) {
#if LOOM_X86
  if (kernel == QuantKernel::Avx512Vnni || kernel == QuantKernel::Avx2)
    return dotRowsQ4KSimd<M, R>;
#endif
  return dotRowsQ4KPortable<M, R>;
}

} // namespace

std::pair<DotRowsFn, DotRowsFn> loom::detail::dotRowsQ4K(QuantKernel kernel,
                                                         int64_t m) {
  switch (m) {
  case 1:
    return {dotRowsQ4KFor<1, 4>(kernel), dotRowsQ4KFor<1, 1>(kernel)};
  case 2:
    return {dotRowsQ4KFor<2, 4>(kernel), dotRowsQ4KFor<2, 1>(kernel)};
  case 3:
    return {dotRowsQ4KFor<3, 2>(kernel), dotRowsQ4KFor<3, 1>(kernel)};
  default:
    return {dotRowsQ4KFor<4, 2>(kernel), dotRowsQ4KFor<4, 1>(kernel)};
  }
}
