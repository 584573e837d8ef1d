//===- QuantGemm.cpp - Products with block-quantized weights --------------===//
//
// `C = A * W^T` for W in a block format (Quant.h). The activations are
// quantized per block of 32 to int8 with one f32 scale (and their sum), as
// llama.cpp's Q8 activations are; each weight block then costs one integer
// dot product of 32 pairs, scaled once:
//
//   Q8_0:  d_w d_a sum(q_w q_a)
//   Q4_0:  d_w d_a (sum(n_w q_a) - 8 sum(q_a))     n_w the unsigned nibbles
//   Q4_1:  d_w d_a sum(n_w q_a) + m_w d_a sum(q_a)
//   Q4_K:  d_w sc_w d_a sum(n_w q_a) - dmin_w m_w d_a sum(q_a)  per sub-block
//
// With AVX-512 VNNI, the runtime interleaves each matrix at load, 16 rows to
// a vector (QuantInterleaved.cpp), and every M runs integer products: up to
// 4 rows of A against each group of weight rows. Otherwise, on row-major
// blocks: small M (decode) streams each weight row once, every activation
// row reusing the block in registers, with AVX2 (`vpmaddubsw`; it multiplies
// unsigned by signed bytes, so the Q8_0 product takes |q_w| and q_a with
// q_w's sign; compiled for AVX2 alone, so that a CPU without AVX-512 runs
// it) or portable loops, chosen at run time; larger M decodes panels of 32
// weight rows to f32 and runs the f32 GEMM's register tiles over them, the
// decode paid once per panel and call.
//
//===----------------------------------------------------------------------===//

#include "loom/Quant.h"

#include "QuantInternal.h"
#include "loom/Half.h"
#include "loom/Profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace loom;
using loom::detail::DotRowsFn;
using loom::detail::kInterleave;
using loom::detail::kQuantSmallM;
using loom::detail::QuantizedRows;

namespace {

/// How far ahead of its reads a weight row stream prefetches.
constexpr int64_t kPrefetchBytes = 1024;

/// Per-thread buffers, grown on demand and reused.
struct QuantScratch {
  std::vector<int8_t> q;
  std::vector<float> d, rows, panels, parts;
  std::vector<int32_t> s;
};
QuantScratch &getQuantScratch() {
  thread_local QuantScratch scratch;
  return scratch;
}

/// Quantizes a block of 32 values `x` to 8 bits: writes `q` and returns its
/// scale, with the integers' sum in `sum`.
inline float quantizeBlock(const float *x, int8_t *q, int32_t &sum) {
  float amax = 0.0f;
  for (int j = 0; j < kQuantBlock; ++j)
    amax = std::max(amax, std::fabs(x[j]));
  float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
  sum = 0;
  for (int j = 0; j < kQuantBlock; ++j) {
    q[j] = int8_t(std::nearbyint(x[j] * id));
    sum += q[j];
  }
  return d;
}

/// Quantizes `m` rows of `a` (row stride `lda`) to 8 bits per block; a
/// prompt's rows on `pool`'s threads. With `refine`, each row becomes two:
/// its 8-bit blocks, then their rounding errors quantized again (scale at
/// most 1/254 of the first), so that a product with both rows, summed, sees
/// the activations to about 15 bits.
QuantizedRows quantizeActivations(ThreadPool &pool, int64_t m, int64_t k,
                                  const float *a, int64_t lda, bool refine,
                                  QuantScratch &scratch) {
  int64_t blocks = k / kQuantBlock;
  int64_t parts = refine ? 2 : 1;
  scratch.q.resize(size_t(parts * m * k));
  scratch.d.resize(size_t(parts * m * blocks));
  scratch.s.resize(size_t(parts * m * blocks));
  int8_t *qs = scratch.q.data();
  float *ds = scratch.d.data();
  int32_t *ss = scratch.s.data();
  auto quantizeRows = [&](int64_t first, int64_t last) {
    float error[kQuantBlock];
    for (int64_t i = first; i < last; ++i)
      for (int64_t b = 0; b < blocks; ++b) {
        const float *x = a + i * lda + b * kQuantBlock;
        int64_t row = i * parts;
        int8_t *q = qs + row * k + b * kQuantBlock;
        float d = quantizeBlock(x, q, ss[row * blocks + b]);
        ds[row * blocks + b] = d;
        if (!refine)
          continue;
        // Rounded product, then difference (not one fused multiply-add):
        // the error of the value the first row stands for.
        for (int j = 0; j < kQuantBlock; ++j) {
          float coarse = d * float(q[j]);
          error[j] = x[j] - coarse;
        }
        ++row;
        ds[row * blocks + b] = quantizeBlock(
            error, qs + row * k + b * kQuantBlock, ss[row * blocks + b]);
      }
  };
  if (m <= kQuantSmallM)
    quantizeRows(0, m);
  else
    pool.parallelFor(0, m, 8, quantizeRows);
  return {qs, ds, ss, k, blocks};
}

/// A block's scale (and minimum) from its first bytes.
inline float blockScale(const uint8_t *block) {
  uint16_t bits;
  std::memcpy(&bits, block, 2);
  return halfToFloat(bits);
}
inline float blockMin(const uint8_t *block) { return blockScale(block + 2); }

/// Offset of a block's integers.
constexpr int64_t quantDataOffset(QuantFormat format) {
  return format == QuantFormat::Q4_1 ? 4 : 2;
}

//===----------------------------------------------------------------------===//
// Dot products of one weight row with M activation rows.
//===----------------------------------------------------------------------===//

template <QuantFormat Format, int M>
void dotRowPortable(const uint8_t *w, const QuantizedRows &a, float *out);

/// Weight rows [0, R) against M activation rows: `out[r * M + i]`.
template <QuantFormat Format, int M, int R>
void dotRowsPortable(const uint8_t *w, int64_t rowBytes, const QuantizedRows &a,
                     float *out) {
  for (int r = 0; r < R; ++r)
    dotRowPortable<Format, M>(w + r * rowBytes, a, out + r * M);
}

template <QuantFormat Format, int M>
void dotRowPortable(const uint8_t *w, const QuantizedRows &a, float *out) {
  constexpr int64_t bytes = Format == QuantFormat::Q8_0 ? LOOM_QUANT_Q8_0_BYTES
                            : Format == QuantFormat::Q4_0
                                ? LOOM_QUANT_Q4_0_BYTES
                                : LOOM_QUANT_Q4_1_BYTES;
  double sums[M] = {};
  for (int64_t b = 0; b < a.blocks; ++b) {
    const uint8_t *block = w + b * bytes;
    const uint8_t *data = block + quantDataOffset(Format);
    float dw = blockScale(block);
    for (int i = 0; i < M; ++i) {
      const int8_t *q = a.q + i * a.k + b * kQuantBlock;
      int32_t dot = 0;
      if constexpr (Format == QuantFormat::Q8_0) {
        for (int j = 0; j < kQuantBlock; ++j)
          dot += int32_t(int8_t(data[j])) * q[j];
      } else {
        for (int j = 0; j < kQuantBlock / 2; ++j)
          dot +=
              int32_t(data[j] & 0xF) * q[j] + int32_t(data[j] >> 4) * q[j + 16];
      }
      float da = a.d[i * a.blocks + b];
      int32_t sa = a.s[i * a.blocks + b];
      float value = dw * da * float(dot);
      if constexpr (Format == QuantFormat::Q4_0)
        value -= 8.0f * dw * da * float(sa);
      if constexpr (Format == QuantFormat::Q4_1)
        value += blockMin(block) * da * float(sa);
      sums[i] += value;
    }
  }
  for (int i = 0; i < M; ++i)
    out[i] = float(sums[i]);
}

#if LOOM_X86
using loom::detail::hsum;

/// A Q4 block's 32 nibbles as unsigned bytes, in weight order.
__attribute__((target(LOOM_QUANT_AVX2))) inline __m256i
unpackNibbles(const uint8_t *data) {
  __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i *>(data));
  __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/// Weight rows [0, R) (`rowBytes` apart) against M activation rows:
/// `out[r * M + i]`. Several rows at once keep several memory streams in
/// flight and R * M independent accumulators.
template <QuantFormat Format, int M, int R>
__attribute__((target(LOOM_QUANT_AVX2))) void
dotRowsSimd(const uint8_t *w, int64_t rowBytes, const QuantizedRows &a,
            float *out) {
  constexpr int64_t bytes = Format == QuantFormat::Q8_0 ? LOOM_QUANT_Q8_0_BYTES
                            : Format == QuantFormat::Q4_0
                                ? LOOM_QUANT_Q4_0_BYTES
                                : LOOM_QUANT_Q4_1_BYTES;
  __m256 acc[R][M];
  float correction[R][M];
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < M; ++i) {
      acc[r][i] = _mm256_setzero_ps();
      correction[r][i] = 0.0f;
    }
  for (int64_t b = 0; b < a.blocks; ++b) {
    __m256i q[M];
    float da[M];
    for (int i = 0; i < M; ++i) {
      q[i] = _mm256_loadu_si256(
          reinterpret_cast<const __m256i *>(a.q + i * a.k + b * kQuantBlock));
      da[i] = a.d[i * a.blocks + b];
    }
    for (int r = 0; r < R; ++r) {
      const uint8_t *block = w + r * rowBytes + b * bytes;
      const uint8_t *data = block + quantDataOffset(Format);
      // The hardware's prefetchers alone leave the row streams short of
      // the memory's bandwidth: ask for lines well ahead.
      _mm_prefetch(reinterpret_cast<const char *>(block) + kPrefetchBytes,
                   _MM_HINT_T0);
      uint16_t dBits;
      std::memcpy(&dBits, block, 2);
      float dw = _cvtsh_ss(dBits);
      __m256i weights;
      if constexpr (Format == QuantFormat::Q8_0)
        weights = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(data));
      else
        weights = unpackNibbles(data);
      __m256i magnitudes = _mm256_sign_epi8(weights, weights);
      for (int i = 0; i < M; ++i) {
        __m256i dot;
        if constexpr (Format == QuantFormat::Q8_0)
          dot = detail::dotUnsignedSigned(magnitudes,
                                          _mm256_sign_epi8(q[i], weights));
        else
          dot = detail::dotUnsignedSigned(weights, q[i]);
        acc[r][i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot),
                                    _mm256_set1_ps(dw * da[i]), acc[r][i]);
        if constexpr (Format == QuantFormat::Q4_0)
          correction[r][i] -= 8.0f * dw * da[i] * float(a.s[i * a.blocks + b]);
        if constexpr (Format == QuantFormat::Q4_1) {
          uint16_t mBits;
          std::memcpy(&mBits, block + 2, 2);
          correction[r][i] +=
              _cvtsh_ss(mBits) * da[i] * float(a.s[i * a.blocks + b]);
        }
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < M; ++i)
      out[r * M + i] = hsum(acc[r][i]) + correction[r][i];
}
#endif

bool cpuHas(QuantKernel kernel) {
#if LOOM_X86
  switch (kernel) {
  case QuantKernel::Portable:
    return true;
  case QuantKernel::Avx2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
  case QuantKernel::Avx512Vnni:
    return cpuHas(QuantKernel::Avx2) && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni");
  }
  return false;
#else
  return kernel == QuantKernel::Portable;
#endif
}

std::atomic<QuantKernel> &selectedKernel() {
  static std::atomic<QuantKernel> kernel{bestQuantKernel()};
  return kernel;
}

template <QuantFormat Format, int M, int R>
DotRowsFn dotRowsFor(QuantKernel kernel) {
#if LOOM_X86
  // Row-major blocks take the AVX2 kernels on AVX-512 machines too.
  if (kernel == QuantKernel::Avx512Vnni || kernel == QuantKernel::Avx2)
    return dotRowsSimd<Format, M, R>;
#endif
  return dotRowsPortable<Format, M, R>;
}

/// Rows a kernel for `m` activation rows takes at once: R * M accumulators
/// stay within the 16 vector registers.
constexpr int64_t rowsAtOnce(int64_t m) { return m <= 2 ? 4 : 2; }

/// The kernels for `m` activation rows: `rowsAtOnce(m)` weight rows, and one.
template <QuantFormat Format>
std::pair<DotRowsFn, DotRowsFn> dotRowsFor(QuantKernel kernel, int64_t m) {
  switch (m) {
  case 1:
    return {dotRowsFor<Format, 1, 4>(kernel), dotRowsFor<Format, 1, 1>(kernel)};
  case 2:
    return {dotRowsFor<Format, 2, 4>(kernel), dotRowsFor<Format, 2, 1>(kernel)};
  case 3:
    return {dotRowsFor<Format, 3, 2>(kernel), dotRowsFor<Format, 3, 1>(kernel)};
  default:
    return {dotRowsFor<Format, 4, 2>(kernel), dotRowsFor<Format, 4, 1>(kernel)};
  }
}

std::pair<DotRowsFn, DotRowsFn> dotRowsFor(QuantFormat format,
                                           QuantKernel kernel, int64_t m) {
  switch (format) {
  case QuantFormat::Q8_0:
    return dotRowsFor<QuantFormat::Q8_0>(kernel, m);
  case QuantFormat::Q4_0:
    return dotRowsFor<QuantFormat::Q4_0>(kernel, m);
  case QuantFormat::Q4_1:
    return dotRowsFor<QuantFormat::Q4_1>(kernel, m);
  case QuantFormat::Q4_K:
    return detail::dotRowsQ4K(kernel, m);
  case QuantFormat::Int8:
    return detail::dotRowsInt8(kernel, m);
  case QuantFormat::Q6_K:
    break; // decoded at load, never multiplied
  }
  return {nullptr, nullptr};
}

/// Integer products of the `m` quantized activation rows `rows`: each thread
/// streams a range of weight rows (or groups of interleaved rows) once,
/// against every row of A.
void qgemmInteger(KernelState &state, QuantFormat format, int64_t m, int64_t n,
                  int64_t k, const QuantizedRows &rows, const uint8_t *w,
                  const float *bias, float *c, int64_t ldc, bool accumulate,
                  Activation activation) {
  std::pair<DotRowsFn, DotRowsFn> kernels =
      dotRowsFor(format, selectedKernel().load(), m);
  DotRowsFn dotRows = kernels.first, dotRow = kernels.second;
  int64_t step = rowsAtOnce(m);
  int64_t rowBytes = quantRowBytes(format, k);
  int64_t threads = state.pool.getNumThreads();
  auto store = [&](int64_t j, const float *values, int64_t stride) {
    float add = bias ? bias[j] : 0.0f;
    for (int64_t i = 0; i < m; ++i) {
      float &target = c[i * ldc + j];
      target = (accumulate ? target : 0.0f) + values[i * stride] + add;
    }
  };
  if (state.interleavedQuantized.count(w)) {
    // Groups of rows, then the rows after the last group as they are.
    int64_t groups = n / kInterleave;
    int64_t groupGrain = std::max<int64_t>(1, groups / (threads * 8));
    state.pool.parallelFor(
        0, groups, groupGrain, [&](int64_t first, int64_t last) {
          float out[kQuantSmallM * kInterleave];
          for (int64_t g = first; g < last; ++g) {
            // Up to 4 rows of A at a time against the group's weight rows,
            // which stay in L1 while every row of A passes.
            for (int64_t i0 = 0; i0 < m; i0 += kQuantSmallM) {
              int64_t count = std::min(kQuantSmallM, m - i0);
              QuantizedRows part = {rows.q + i0 * k, rows.d + i0 * rows.blocks,
                                    rows.s + i0 * rows.blocks, k, rows.blocks};
              detail::dotGroups(format, count, w, g, g + 1, part, out,
                                kInterleave);
              for (int64_t r = 0; r < kInterleave; ++r) {
                int64_t j = g * kInterleave + r;
                float add = bias ? bias[j] : 0.0f;
                for (int64_t i = 0; i < count; ++i) {
                  float &target = c[(i0 + i) * ldc + j];
                  target = (accumulate ? target : 0.0f) +
                           out[i * kInterleave + r] + add;
                }
              }
              applyActivation(activation, c + i0 * ldc + g * kInterleave, count,
                              kInterleave, ldc);
            }
          }
        });
    // The rows after the last group, one activation row at a time (any M).
    DotRowsFn dotOne = dotRowsFor(format, selectedKernel().load(), 1).second;
    for (int64_t j = groups * kInterleave; j < n; ++j)
      for (int64_t i = 0; i < m; ++i) {
        float out[kQuantSmallM];
        QuantizedRows one = {rows.q + i * k, rows.d + i * rows.blocks,
                             rows.s + i * rows.blocks, k, rows.blocks};
        dotOne(w + j * rowBytes, rowBytes, one, out);
        float add = bias ? bias[j] : 0.0f;
        float &target = c[i * ldc + j];
        target = (accumulate ? target : 0.0f) + out[0] + add;
        applyActivation(activation, &target, 1, 1, 1);
      }
    return;
  }
  // Chunks of whole steps, several per thread to even out the load.
  int64_t grain = std::max<int64_t>(8, n / (threads * 8)) / step * step;
  state.pool.parallelFor(0, n, grain, [&](int64_t first, int64_t last) {
    float out[4 * kQuantSmallM];
    int64_t j = first;
    for (; j + step <= last; j += step) {
      dotRows(w + j * rowBytes, rowBytes, rows, out);
      for (int64_t r = 0; r < step; ++r)
        store(j + r, out + r * m, 1);
    }
    for (; j < last; ++j) {
      dotRow(w + j * rowBytes, rowBytes, rows, out);
      store(j, out, 1);
    }
    applyActivation(activation, c + first, m, last - first, ldc);
  });
}

} // namespace

/// Panels of weight rows decoded to f32 and multiplied by the f32 GEMM, a
/// block of columns at a time.
void loom::detail::qgemmPanels(KernelState &state, QuantFormat format,
                               int64_t m, int64_t n, int64_t k, const float *a,
                               int64_t lda, const uint8_t *w, bool interleaved,
                               const float *bias, float *c, int64_t ldc,
                               bool accumulate, Activation activation) {
  // Columns per pass: their f32 panels stay within a few MiB.
  constexpr int64_t kPanel = 32;
  int64_t columns =
      std::max<int64_t>(kPanel, (int64_t(1) << 20) / k / kPanel * kPanel);
  int64_t rowBytes = quantRowBytes(format, k);
  QuantScratch &scratch = getQuantScratch();
  scratch.panels.resize(panelMatrixFloats(std::min(columns, n), k));
  for (int64_t j0 = 0; j0 < n; j0 += columns) {
    int64_t width = std::min(columns, n - j0);
    int64_t panels = (width + kPanel - 1) / kPanel;
    float *packed = scratch.panels.data();
    state.pool.parallelFor(0, panels, 1, [&](int64_t first, int64_t last) {
      std::vector<float> &decoded = getQuantScratch().rows;
      decoded.resize(size_t(kPanel * k));
      for (int64_t panel = first; panel < last; ++panel) {
        int64_t rows = std::min(kPanel, width - panel * kPanel);
        int64_t row0 = j0 + panel * kPanel;
        // Panels start at whole groups (kPanel is a multiple of 16).
        int64_t r = 0;
        for (; interleaved && r + kInterleave <= rows &&
               row0 + r + kInterleave <= n / kInterleave * kInterleave;
             r += kInterleave)
          detail::decodeGroup(format, w + (row0 + r) * rowBytes, k,
                              decoded.data() + r * k);
        for (; r < rows; ++r)
          dequantizeRow(format, w + (row0 + r) * rowBytes, k,
                        decoded.data() + r * k);
        packPanels(decoded.data(), k, rows, k, /*bKN=*/false,
                   packed + panel * k * kPanel);
      }
    });
    sgemmPanels(state.pool, m, width, k, a, lda, PanelMatrix{packed, width, k},
                c + j0, ldc, accumulate);
  }
  if (!bias && activation == Activation::None)
    return;
  // The bias and the activation, a few rows per task.
  state.pool.parallelFor(0, m, 4, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last && bias; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * ldc + j] += bias[j];
    applyActivation(activation, c + first * ldc, last - first, n, ldc);
  });
}

bool loom::interleaveQuantizedMatrix(KernelState &state, void *data,
                                     QuantFormat format, int64_t n, int64_t k) {
  if (!detail::hasInterleavedKernel() || n < kInterleave ||
      !quantHasKernels(format))
    return false;
  detail::interleaveRows(format, static_cast<uint8_t *>(data), n, k);
  state.interleavedQuantized.insert(data);
  return true;
}

std::optional<QuantInputs> loom::quantInputsFromId(int64_t id) {
  switch (id) {
  case LOOM_QUANT_INPUTS_INT8:
    return QuantInputs::Int8;
  case LOOM_QUANT_INPUTS_INT8X2:
    return QuantInputs::Int8x2;
  case LOOM_QUANT_INPUTS_BF16:
    return QuantInputs::BF16;
  default:
    return std::nullopt;
  }
}

QuantKernel loom::bestQuantKernel() {
  if (cpuHas(QuantKernel::Avx512Vnni))
    return QuantKernel::Avx512Vnni;
  if (cpuHas(QuantKernel::Avx2))
    return QuantKernel::Avx2;
  return QuantKernel::Portable;
}

bool loom::setQuantKernel(QuantKernel kernel) {
  if (!cpuHas(kernel))
    return false;
  selectedKernel().store(kernel);
  return true;
}

void loom::qgemmNT(KernelState &state, QuantFormat format, int64_t m, int64_t n,
                   int64_t k, const float *a, int64_t lda, const void *w,
                   const float *bias, float *c, int64_t ldc, bool accumulate,
                   Activation activation, QuantInputs inputs) {
  if (m == 0 || n == 0)
    return;
  // Decode steps count the weights' bytes; prompts their arithmetic.
  bool small = m <= kQuantSmallM;
  ProfileScope profile(small ? ProfileEntry::Gemv : ProfileEntry::Gemm,
                       small ? double(n) * double(quantRowBytes(format, k))
                             : 2.0 * double(m) * double(n) * double(k),
                       {m, n, k});
  const auto *bytes = static_cast<const uint8_t *>(w);
  bool interleaved = state.interleavedQuantized.count(w);
  if (inputs == QuantInputs::BF16) {
    detail::qgemmBf16(state, format, m, n, k, a, lda, bytes, interleaved,
                      selectedKernel().load() == QuantKernel::Avx512Vnni, bias,
                      c, ldc, accumulate, activation);
    return;
  }
  bool refine = inputs == QuantInputs::Int8x2;
  // Row-major weights take at most kQuantSmallM activation rows at once;
  // beyond that, f32 panels (whose activations are exact).
  if (!interleaved && (refine ? 2 * m : m) > kQuantSmallM) {
    detail::qgemmPanels(state, format, m, n, k, a, lda, bytes,
                        /*interleaved=*/false, bias, c, ldc, accumulate,
                        activation);
    return;
  }
  QuantScratch &scratch = getQuantScratch();
  if (!refine) {
    QuantizedRows rows = quantizeActivations(state.pool, m, k, a, lda,
                                             /*refine=*/false, scratch);
    qgemmInteger(state, format, m, n, k, rows, bytes, bias, c, ldc, accumulate,
                 activation);
    return;
  }
  // Each activation row is two rows of 8-bit blocks: their products, summed;
  // a chunk of rows at a time, so that the two rows' outputs stay small (a
  // prompt's head would otherwise hold 2 x prompt x vocabulary floats).
  constexpr int64_t kRefinedRows = 64;
  for (int64_t i0 = 0; i0 < m; i0 += kRefinedRows) {
    int64_t count = std::min(kRefinedRows, m - i0);
    QuantizedRows rows = quantizeActivations(state.pool, count, k, a + i0 * lda,
                                             lda, /*refine=*/true, scratch);
    scratch.parts.resize(size_t(2 * count * n));
    float *parts = scratch.parts.data();
    qgemmInteger(state, format, 2 * count, n, k, rows, bytes, nullptr, parts, n,
                 /*accumulate=*/false, Activation::None);
    float *out = c + i0 * ldc;
    state.pool.parallelFor(0, count, 4, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) {
        const float *coarse = parts + 2 * i * n, *fine = coarse + n;
        float *row = out + i * ldc;
        for (int64_t j = 0; j < n; ++j)
          row[j] = (accumulate ? row[j] : 0.0f) + coarse[j] + fine[j] +
                   (bias ? bias[j] : 0.0f);
      }
      applyActivation(activation, out + first * ldc, last - first, n, ldc);
    });
  }
}

extern "C" void _mlir_ciface_loom_qgemm_nt(
    loom_context *context, MemRef<float, 2> *x, MemRef<int8_t, 2> *w,
    MemRef<float, 1> *bias, MemRef<float, 2> *out, int64_t formatId,
    int64_t accumulate, int64_t activationId, int64_t inputsId) {
  std::optional<QuantFormat> format = quantFormatFromId(formatId);
  if (!format || !quantHasKernels(*format))
    badKernelCall(LOOM_KERNEL_QGEMM_NT,
                  fmt::format("unknown format {}", formatId));
  std::optional<QuantInputs> inputs = quantInputsFromId(inputsId);
  if (!inputs)
    badKernelCall(LOOM_KERNEL_QGEMM_NT,
                  fmt::format("unknown inputs {}", inputsId));
  std::optional<Activation> activation = activationFromId(activationId);
  if (!activation)
    badKernelCall(LOOM_KERNEL_QGEMM_NT,
                  fmt::format("unknown activation {}", activationId));
  int64_t m = x->sizes[0], k = x->sizes[1], n = w->sizes[0];
  if (k % quantBlockWeights(*format) != 0 ||
      w->sizes[1] != quantRowBytes(*format, k) || w->strides[1] != 1 ||
      w->strides[0] != w->sizes[1] || x->strides[1] != 1 ||
      out->strides[1] != 1 || out->sizes[0] != m || out->sizes[1] != n ||
      (bias->sizes[0] != 0 && bias->sizes[0] != n) ||
      (bias->sizes[0] != 0 && bias->strides[0] != 1))
    badKernelCall(LOOM_KERNEL_QGEMM_NT,
                  "operands of mismatched shapes or layouts");
  qgemmNT(*context->kernels, *format, m, n, k, x->aligned + x->offset,
          x->strides[0], w->aligned + w->offset,
          bias->sizes[0] ? bias->aligned + bias->offset : nullptr,
          out->aligned + out->offset, out->strides[0], accumulate != 0,
          *activation, *inputs);
}

extern "C" void _mlir_ciface_loom_quantize(
    loom_context *context, MemRef<float, 2> *w, MemRef<float, 1> *importance,
    MemRef<float, 2> *covariance, MemRef<int8_t, 2> *out, int64_t formatId) {
  std::optional<QuantFormat> format = quantFormatFromId(formatId);
  if (!format || !quantHasKernels(*format))
    badKernelCall(LOOM_KERNEL_QUANTIZE,
                  fmt::format("unknown format {}", formatId));
  int64_t n = w->sizes[0], k = w->sizes[1];
  if (k % quantBlockWeights(*format) != 0 || out->sizes[0] != n ||
      out->sizes[1] != quantRowBytes(*format, k) || out->strides[1] != 1 ||
      (importance->sizes[0] != 0 && importance->sizes[0] != k) ||
      (covariance->sizes[0] != 0 &&
       (covariance->sizes[0] != k || covariance->sizes[1] != k)))
    badKernelCall(LOOM_KERNEL_QUANTIZE,
                  "operands of mismatched shapes or layouts");
  // Rows of any stride (a transposed view is copied a row at a time).
  const float *imp =
      importance->sizes[0] ? importance->aligned + importance->offset : nullptr;
  std::vector<float> scaled;
  if (imp && importance->strides[0] != 1) {
    scaled.resize(size_t(k));
    for (int64_t p = 0; p < k; ++p)
      scaled[size_t(p)] = imp[p * importance->strides[0]];
    imp = scaled.data();
  }
  // A weight that is not finite cannot be rounded: its row is rounded to
  // nearest with zeros in its place, and its block marked (loading stops
  // there).
  std::atomic<bool> finite{true};
  auto outRow = [&](int64_t r) {
    return out->aligned + out->offset + r * out->strides[0];
  };
  auto roundToNearest = [&] {
    context->kernels->pool.parallelFor(
        0, n, 16, [&](int64_t first, int64_t last) {
          std::vector<float> row(static_cast<size_t>(k));
          for (int64_t r = first; r < last; ++r) {
            const float *source = w->aligned + w->offset + r * w->strides[0];
            bool rowFinite = true;
            for (int64_t p = 0; p < k; ++p) {
              float x = source[p * w->strides[1]];
              rowFinite &= std::isfinite(x);
              row[size_t(p)] = std::isfinite(x) ? x : 0.0f;
            }
            quantizeRow(*format, row.data(), k, imp, outRow(r));
            if (rowFinite)
              continue;
            finite = false;
            for (int64_t p = 0; p < k; ++p)
              row[size_t(p)] = source[p * w->strides[1]];
            markNonFiniteBlocks(*format, row.data(), k, outRow(r));
          }
        });
  };
  roundToNearest();
  if (!finite || covariance->sizes[0] == 0)
    return;
  // Error feedback needs every block's scale finite (else its errors are
  // infinite): a matrix the format cannot hold stays rounded to nearest,
  // and loading stops at the block.
  for (int64_t r = 0; r < n; ++r)
    if (firstNonFiniteScale(*format, outRow(r), 1, k))
      return;
  // Views of any strides, copied where their columns are not contiguous.
  std::vector<float> wCopy, hCopy;
  auto [wData, ldw] = unitColumns(w, wCopy);
  auto [hData, ldh] = unitColumns(covariance, hCopy);
  Status done = quantizeWithFeedback(
      context->kernels->pool, *format, wData, ldw, n, k, hData, ldh, imp,
      reinterpret_cast<uint8_t *>(outRow(0)), out->strides[0]);
  if (done)
    return;
  // Rounding to nearest is still a correct model.
  std::fprintf(stderr,
               "loom runtime: warning: quantizing a [%lld, %lld] matrix with "
               "error feedback failed (%s); rounding it to nearest instead\n",
               (long long)n, (long long)k, done.getError().c_str());
  roundToNearest();
}
