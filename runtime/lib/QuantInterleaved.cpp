//===- QuantInterleaved.cpp - Quantized weights 8 rows to a vector --------===//
//
// Decoding reads each weight once, so its speed is the memory's, unless the
// dot products cost more than the bytes. Row by row, each block of 32
// weights needs its own scale broadcast, its own horizontal sums and, for
// Q8_0, sign fix-ups. Interleaved 8 rows at a time, 4 weights of each row to
// a 32-bit lane (as llama.cpp repacks for its x86 and Arm kernels), one
// `vpdpbusd` takes 4 weights of 8 rows against 4 activations broadcast to
// every lane, the 8 rows' scales are one vector, and nothing is summed
// across lanes. The runtime interleaves quantized weights once, at load.
//
//===----------------------------------------------------------------------===//

#include "QuantInternal.h"

#include "loom/Half.h"
#include "loom/loom_abi.h"

#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define LOOM_X86 1
#endif

using namespace loom;
using namespace loom::detail;

namespace {

/// Bytes of one row's block; of the scales (and minimums) of a group's
/// block; of its integers.
int64_t blockBytes(QuantFormat format) { return quantBlockBytes(format); }
int64_t headerBytes(QuantFormat format) {
  return format == QuantFormat::Q4_1 ? 32 : 16;
}
int64_t integerOffset(QuantFormat format) {
  return format == QuantFormat::Q4_1 ? 4 : 2;
}

/// The 32 integers of a row-major block, as 0..255 (Q8_0 offset by 128) or
/// 0..15 (Q4).
void blockIntegers(QuantFormat format, const uint8_t *block, uint8_t *out) {
  const uint8_t *data = block + integerOffset(format);
  if (format == QuantFormat::Q8_0) {
    for (int j = 0; j < kQuantBlock; ++j)
      out[j] = uint8_t(data[j] ^ 0x80);
    return;
  }
  for (int j = 0; j < kQuantBlock / 2; ++j) {
    out[j] = data[j] & 0xF;
    out[j + 16] = data[j] >> 4;
  }
}

/// Writes the group block of 8 row-major blocks `blocks[r]` to `out`.
void interleaveBlock(QuantFormat format, const uint8_t *const *blocks,
                     uint8_t *out) {
  for (int r = 0; r < kInterleave; ++r) {
    std::memcpy(out + 2 * r, blocks[r], 2); // d
    if (format == QuantFormat::Q4_1)
      std::memcpy(out + 16 + 2 * r, blocks[r] + 2, 2); // m
  }
  uint8_t *data = out + headerBytes(format);
  uint8_t values[kInterleave][kQuantBlock];
  for (int r = 0; r < kInterleave; ++r)
    blockIntegers(format, blocks[r], values[r]);
  if (format == QuantFormat::Q8_0) {
    // Vector c (32 bytes): weights 4c..4c+3 of rows 0..7.
    for (int c = 0; c < 8; ++c)
      for (int r = 0; r < kInterleave; ++r)
        for (int t = 0; t < 4; ++t)
          data[32 * c + 4 * r + t] = values[r][4 * c + t];
    return;
  }
  // Vector v (32 bytes): low nibbles weights 4v..4v+3, high nibbles weights
  // 16+4v..16+4v+3, of rows 0..7.
  for (int v = 0; v < 4; ++v)
    for (int r = 0; r < kInterleave; ++r)
      for (int t = 0; t < 4; ++t)
        data[32 * v + 4 * r + t] =
            uint8_t(values[r][4 * v + t] | (values[r][16 + 4 * v + t] << 4));
}

} // namespace

bool loom::detail::hasInterleavedKernel() {
#if LOOM_X86
  static const bool supported =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512vnni");
  return supported;
#else
  return false;
#endif
}

void loom::detail::interleaveRows(QuantFormat format, uint8_t *data, int64_t n,
                                  int64_t k) {
  int64_t rowBytes = quantRowBytes(format, k), blocks = k / kQuantBlock;
  std::vector<uint8_t> group(size_t(kInterleave * rowBytes));
  for (int64_t g = 0; g < n / kInterleave; ++g) {
    uint8_t *rows = data + g * kInterleave * rowBytes;
    std::memcpy(group.data(), rows, group.size());
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t *sources[kInterleave];
      for (int r = 0; r < kInterleave; ++r)
        sources[r] = group.data() + r * rowBytes + b * blockBytes(format);
      interleaveBlock(format, sources,
                      rows + b * kInterleave * blockBytes(format));
    }
  }
}

void loom::detail::dequantizeGroup(QuantFormat format, const uint8_t *group,
                                   int64_t k, float *rows) {
  int64_t groupBlock = kInterleave * blockBytes(format);
  for (int64_t b = 0; b < k / kQuantBlock; ++b) {
    const uint8_t *block = group + b * groupBlock;
    const uint8_t *data = block + headerBytes(format);
    for (int r = 0; r < kInterleave; ++r) {
      uint16_t bits;
      std::memcpy(&bits, block + 2 * r, 2);
      float d = halfToFloat(bits), m = 0.0f;
      if (format == QuantFormat::Q4_1) {
        std::memcpy(&bits, block + 16 + 2 * r, 2);
        m = halfToFloat(bits);
      }
      float *y = rows + r * k + b * kQuantBlock;
      for (int j = 0; j < kQuantBlock; ++j) {
        int chunk = j / 4, t = j % 4;
        int value;
        if (format == QuantFormat::Q8_0) {
          value = int(data[32 * chunk + 4 * r + t]) - 128;
        } else {
          uint8_t byte = data[32 * (chunk % 4) + 4 * r + t];
          value = chunk < 4 ? byte & 0xF : byte >> 4;
        }
        y[j] = format == QuantFormat::Q4_0   ? d * float(value - 8)
               : format == QuantFormat::Q4_1 ? d * float(value) + m
                                             : d * float(value);
      }
    }
  }
}

#if LOOM_X86
namespace {

/// One group's 8 rows against M activation rows, accumulated over blocks
/// into `acc[i]` (lane r: row r).
template <QuantFormat Format, int M>
__attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni"))) void
dotGroup(const uint8_t *group, const QuantizedRows &a, float *out,
         int64_t ldo) {
  constexpr int64_t bytes = Format == QuantFormat::Q8_0 ? LOOM_QUANT_Q8_0_BYTES
                            : Format == QuantFormat::Q4_0
                                ? LOOM_QUANT_Q4_0_BYTES
                                : LOOM_QUANT_Q4_1_BYTES;
  constexpr int64_t header = Format == QuantFormat::Q4_1 ? 32 : 16;
  constexpr int64_t groupBlock = kInterleave * bytes;
  const __m256i low = _mm256_set1_epi8(0x0F);
  __m256 acc[M];
  for (int i = 0; i < M; ++i)
    acc[i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < a.blocks; ++b) {
    const uint8_t *block = group + b * groupBlock;
    _mm_prefetch(reinterpret_cast<const char *>(block) + 4 * groupBlock,
                 _MM_HINT_T0);
    __m256 scales = _mm256_cvtph_ps(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(block)));
    __m256i w[8];
    const uint8_t *data = block + header;
    if constexpr (Format == QuantFormat::Q8_0) {
      for (int c = 0; c < 8; ++c)
        w[c] = _mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(data + 32 * c));
    } else {
      for (int v = 0; v < 4; ++v) {
        __m256i raw = _mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(data + 32 * v));
        w[v] = _mm256_and_si256(raw, low);
        w[v + 4] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
      }
    }
    for (int i = 0; i < M; ++i) {
      const int8_t *q = a.q + i * a.k + b * kQuantBlock;
      int32_t sum = a.s[i * a.blocks + b];
      float da = a.d[i * a.blocks + b];
      // The unsigned weights' offset (128 for Q8_0, 8 for Q4_0) times the
      // activations' sum, taken off where the dot products start.
      int32_t offset = Format == QuantFormat::Q8_0   ? 128
                       : Format == QuantFormat::Q4_0 ? 8
                                                     : 0;
      __m256i even = _mm256_set1_epi32(-offset * sum);
      __m256i odd = _mm256_setzero_si256();
      for (int c = 0; c < 8; c += 2) {
        int32_t x0, x1;
        std::memcpy(&x0, q + 4 * c, 4);
        std::memcpy(&x1, q + 4 * c + 4, 4);
        even = _mm256_dpbusd_epi32(even, w[c], _mm256_set1_epi32(x0));
        odd = _mm256_dpbusd_epi32(odd, w[c + 1], _mm256_set1_epi32(x1));
      }
      __m256 dot = _mm256_cvtepi32_ps(_mm256_add_epi32(even, odd));
      acc[i] = _mm256_fmadd_ps(dot, _mm256_mul_ps(scales, _mm256_set1_ps(da)),
                               acc[i]);
      if constexpr (Format == QuantFormat::Q4_1) {
        __m256 mins = _mm256_cvtph_ps(
            _mm_loadu_si128(reinterpret_cast<const __m128i *>(block + 16)));
        acc[i] = _mm256_fmadd_ps(mins, _mm256_set1_ps(da * float(sum)), acc[i]);
      }
    }
  }
  for (int i = 0; i < M; ++i)
    _mm256_storeu_ps(out + i * ldo, acc[i]);
}

using DotGroupFn = void (*)(const uint8_t *, const QuantizedRows &, float *,
                            int64_t);

template <QuantFormat Format> DotGroupFn dotGroupFor(int64_t m) {
  switch (m) {
  case 1:
    return dotGroup<Format, 1>;
  case 2:
    return dotGroup<Format, 2>;
  case 3:
    return dotGroup<Format, 3>;
  default:
    return dotGroup<Format, 4>;
  }
}

} // namespace
#endif

void loom::detail::dotGroups(QuantFormat format, int64_t m,
                             const uint8_t *groups, int64_t firstGroup,
                             int64_t lastGroup, const QuantizedRows &a,
                             float *out, int64_t ldo) {
#if LOOM_X86
  DotGroupFn dot =
      format == QuantFormat::Q8_0   ? dotGroupFor<QuantFormat::Q8_0>(m)
      : format == QuantFormat::Q4_0 ? dotGroupFor<QuantFormat::Q4_0>(m)
                                    : dotGroupFor<QuantFormat::Q4_1>(m);
  int64_t groupBytes = kInterleave * quantRowBytes(format, a.k);
  for (int64_t g = firstGroup; g < lastGroup; ++g)
    dot(groups + g * groupBytes, a, out + (g - firstGroup) * kInterleave, ldo);
#else
  (void)format, (void)m, (void)groups, (void)firstGroup, (void)lastGroup,
      (void)a, (void)out, (void)ldo;
#endif
}
