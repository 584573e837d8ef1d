//===- QuantInt8.cpp - Per-channel int8: rounding, decoding, row products -===//
//
// INT8 keeps one f32 scale per output channel (row) and an int8 per weight:
// the classic int8 layout of inference engines. Its rows are the largest
// magnitude mapped to ±127 (or, with importance, the scale of least
// weighted error), so its error is a whole row's step, not a block's: more
// than Q8_0's, for 8 bits a weight instead of 8.5.
//
// Products: the activations are rounded per block of 32 as for every
// format; each block's integer dot product is scaled by the block's
// activation scale, and the row's sum by the row's scale once.
//
//===----------------------------------------------------------------------===//

#include "QuantInternal.h"

#include "loom/loom_abi.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace loom;
using namespace loom::detail;

static_assert(LOOM_QUANT_ROW_HEADER == quantRowHeader(QuantFormat::Int8) &&
                  LOOM_QUANT_INT8_BYTES == kQuantBlock,
              "INT8 geometry of loom_abi.h");

namespace {

constexpr int64_t kHeader = LOOM_QUANT_ROW_HEADER;

/// Rounds `x` with scale `d` (round half away from zero, as Q8_0).
void roundRow(const float *x, int64_t k, float d, int8_t *q) {
  float inverse = d != 0.0f ? 1.0f / d : 0.0f;
  for (int64_t p = 0; p < k; ++p)
    q[p] = int8_t(std::clamp(std::round(x[p] * inverse), -127.0f, 127.0f));
}

/// Importance-weighted squared error of `x` rounded to `q` with scale `d`.
double rowError(const float *x, const float *weights, int64_t k, float d,
                const int8_t *q) {
  double error = 0.0;
  for (int64_t p = 0; p < k; ++p) {
    double diff = double(x[p]) - double(d) * q[p];
    error += double(weights[p]) * diff * diff;
  }
  return error;
}

} // namespace

void loom::detail::quantizeRowInt8(const float *x, int64_t k,
                                   const float *importance, uint8_t *out) {
  auto *q = reinterpret_cast<int8_t *>(out + kHeader);
  float amax = 0.0f;
  for (int64_t p = 0; p < k; ++p)
    amax = std::max(amax, std::fabs(x[p]));
  float d = amax / 127.0f;
  roundRow(x, k, d, q);
  if (importance && d != 0.0f) {
    std::vector<float> weights(static_cast<size_t>(k));
    for (int64_t b = 0; b < k / kQuantBlock; ++b)
      blockErrorWeights(importance + b * kQuantBlock,
                        weights.data() + b * kQuantBlock);
    std::vector<int8_t> candidate(static_cast<size_t>(k));
    double best = rowError(x, weights.data(), k, d, q);
    float plain = d;
    // Smaller scales clip the largest weights for finer steps elsewhere;
    // each candidate's scale is refit to its integers by least squares.
    for (int step = 1; step <= 24; ++step) {
      float trial = plain * (1.0f - 0.01f * float(step));
      roundRow(x, k, trial, candidate.data());
      double swxq = 0, swqq = 0;
      for (int64_t p = 0; p < k; ++p) {
        swxq += double(weights[size_t(p)]) * x[p] * candidate[size_t(p)];
        swqq += double(weights[size_t(p)]) * candidate[size_t(p)] *
                candidate[size_t(p)];
      }
      if (swqq > 0)
        trial = float(swxq / swqq);
      double error = rowError(x, weights.data(), k, trial, candidate.data());
      if (error < best) {
        best = error;
        d = trial;
        std::memcpy(q, candidate.data(), size_t(k));
      }
    }
  }
  std::memcpy(out, &d, kHeader);
}

void loom::detail::quantizeSpanInt8WithFeedback(double *x, int64_t k,
                                                int64_t begin, int64_t end,
                                                const double *u, double *errors,
                                                uint8_t *out) {
  float d;
  std::memcpy(&d, out, kHeader);
  auto *q = reinterpret_cast<int8_t *>(out + kHeader);
  float inverse = d != 0.0f ? 1.0f / d : 0.0f;
  for (int64_t p = begin; p < end; ++p) {
    // As roundRow rounds: a weight the feedback pushed past the row's
    // range is clipped to it.
    q[p] =
        int8_t(std::clamp(std::round(float(x[p]) * inverse), -127.0f, 127.0f));
    double error = (x[p] - double(d) * q[p]) / u[p * k + p];
    errors[p - begin] = error;
    const double *spread = u + p * k;
    for (int64_t t = p + 1; t < end; ++t)
      x[t] -= error * spread[t];
  }
}

void loom::detail::dequantizeRowInt8(const uint8_t *row, int64_t k,
                                     float *out) {
  float d;
  std::memcpy(&d, row, kHeader);
  const auto *q = reinterpret_cast<const int8_t *>(row + kHeader);
  for (int64_t p = 0; p < k; ++p)
    out[p] = d * float(q[p]);
}

namespace {

/// Weight rows [0, R) against M activation rows: `out[r * M + i]`.
template <int M, int R>
void dotRowsInt8Portable(const uint8_t *w, int64_t rowBytes,
                         const QuantizedRows &a, float *out) {
  for (int r = 0; r < R; ++r) {
    const uint8_t *row = w + r * rowBytes;
    float d;
    std::memcpy(&d, row, kHeader);
    const auto *q = reinterpret_cast<const int8_t *>(row + kHeader);
    for (int i = 0; i < M; ++i) {
      double sum = 0;
      for (int64_t b = 0; b < a.blocks; ++b) {
        int32_t dot = 0;
        for (int j = 0; j < kQuantBlock; ++j)
          dot += int32_t(q[b * kQuantBlock + j]) *
                 a.q[i * a.k + b * kQuantBlock + j];
        sum += double(a.d[i * a.blocks + b]) * dot;
      }
      out[r * M + i] = float(double(d) * sum);
    }
  }
}

#if LOOM_X86
/// Weight rows [0, R) against M activation rows, 256-bit vectors:
/// `out[r * M + i]`. vpmaddubsw multiplies unsigned by signed bytes, so
/// it takes |q_w| and q_a with q_w's sign.
template <int M, int R>
__attribute__((target(LOOM_QUANT_AVX2))) void
dotRowsInt8Simd(const uint8_t *w, int64_t rowBytes, const QuantizedRows &a,
                float *out) {
  __m256 acc[R][M];
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < M; ++i)
      acc[r][i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < a.blocks; ++b) {
    __m256i q[M];
    __m256 da[M];
    for (int i = 0; i < M; ++i) {
      q[i] = _mm256_loadu_si256(
          reinterpret_cast<const __m256i *>(a.q + i * a.k + b * kQuantBlock));
      da[i] = _mm256_set1_ps(a.d[i * a.blocks + b]);
    }
    for (int r = 0; r < R; ++r) {
      const uint8_t *data = w + r * rowBytes + kHeader + b * kQuantBlock;
      _mm_prefetch(reinterpret_cast<const char *>(data) + 1024, _MM_HINT_T0);
      __m256i weights =
          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(data));
      __m256i magnitudes = _mm256_sign_epi8(weights, weights);
      for (int i = 0; i < M; ++i) {
        __m256i signs = _mm256_sign_epi8(q[i], weights);
        __m256i dot = dotUnsignedSigned(magnitudes, signs);
        acc[r][i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), da[i], acc[r][i]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    float d;
    std::memcpy(&d, w + r * rowBytes, kHeader);
    for (int i = 0; i < M; ++i)
      out[r * M + i] = d * hsum(acc[r][i]);
  }
}
#endif

template <int M, int R> DotRowsFn dotRowsInt8For(QuantKernel kernel) {
#if LOOM_X86
  if (kernel == QuantKernel::Avx512Vnni || kernel == QuantKernel::Avx2)
    return dotRowsInt8Simd<M, R>;
#endif
  return dotRowsInt8Portable<M, R>;
}

} // namespace

std::pair<DotRowsFn, DotRowsFn> loom::detail::dotRowsInt8(QuantKernel kernel,
                                                          int64_t m) {
  switch (m) {
  case 1:
    return {dotRowsInt8For<1, 4>(kernel), dotRowsInt8For<1, 1>(kernel)};
  case 2:
    return {dotRowsInt8For<2, 4>(kernel), dotRowsInt8For<2, 1>(kernel)};
  case 3:
    return {dotRowsInt8For<3, 2>(kernel), dotRowsInt8For<3, 1>(kernel)};
  default:
    return {dotRowsInt8For<4, 2>(kernel), dotRowsInt8For<4, 1>(kernel)};
  }
}
