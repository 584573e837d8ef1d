//===- QuantInterleaved.cpp - Quantized weights 16 rows to a vector -------===//
//
// Decoding reads each weight once, so its speed is the memory's, unless the
// dot products cost more than the bytes. Row by row, each block of 32
// weights needs its own scale broadcast, its own horizontal sums and, for
// Q8_0, sign fix-ups. Interleaved 16 rows at a time, 4 weights of each row
// to a 32-bit lane (as llama.cpp repacks for its x86 and Arm kernels), one
// 512-bit `vpdpbusd` takes 4 weights of 16 rows against 4 activations
// broadcast to every lane, the 16 rows' scales are one vector, and nothing
// is summed across lanes. The runtime interleaves quantized weights once,
// at load.
//
//===----------------------------------------------------------------------===//

#include "QuantInternal.h"

#include "loom/Half.h"

#include "loom/loom_abi.h"

#include <cstring>
#include <vector>

using namespace loom;
using namespace loom::detail;

namespace {

/// Offset of a row block's integers.
constexpr int64_t integerOffset(QuantFormat format) {
  return format == QuantFormat::Int8 ? 0 : format == QuantFormat::Q4_1 ? 4 : 2;
}

/// The 32 integers of a row-major block, as 0..255 (Q8_0 offset by 128) or
/// 0..15 (Q4).
void blockIntegers(QuantFormat format, const uint8_t *block, uint8_t *out) {
  const uint8_t *data = block + integerOffset(format);
  if (format == QuantFormat::Q8_0 || format == QuantFormat::Int8) {
    for (int j = 0; j < kQuantBlock; ++j)
      out[j] = uint8_t(data[j] ^ 0x80);
    return;
  }
  for (int j = 0; j < kQuantBlock / 2; ++j) {
    out[j] = data[j] & 0xF;
    out[j + 16] = data[j] >> 4;
  }
}

/// Writes the group block of the row-major blocks `blocks[r]` to `out`.
void interleaveBlock(QuantFormat format, const uint8_t *const *blocks,
                     uint8_t *out) {
  for (int r = 0; r < kInterleave && format != QuantFormat::Int8; ++r) {
    std::memcpy(out + 2 * r, blocks[r], 2); // d
    if (format == QuantFormat::Q4_1)
      std::memcpy(out + 2 * kInterleave + 2 * r, blocks[r] + 2, 2); // m
  }
  uint8_t *data = out + interleavedHeaderBytes(format);
  constexpr int64_t vector = 4 * kInterleave; // bytes of a vector
  uint8_t values[kInterleave][kQuantBlock];
  for (int r = 0; r < kInterleave; ++r)
    blockIntegers(format, blocks[r], values[r]);
  if (format == QuantFormat::Q8_0 || format == QuantFormat::Int8) {
    // Vector c: weights 4c..4c+3 of every row, a row to a lane.
    for (int c = 0; c < 8; ++c)
      for (int r = 0; r < kInterleave; ++r)
        for (int t = 0; t < 4; ++t)
          data[vector * c + 4 * r + t] = values[r][4 * c + t];
    return;
  }
  // Vector v: low nibbles weights 4v..4v+3, high nibbles weights
  // 16+4v..16+4v+3, of every row.
  for (int v = 0; v < 4; ++v)
    for (int r = 0; r < kInterleave; ++r)
      for (int t = 0; t < 4; ++t)
        data[vector * v + 4 * r + t] =
            uint8_t(values[r][4 * v + t] | (values[r][16 + 4 * v + t] << 4));
}

/// The 6-bit scale and minimum of sub-block `j` of row `r` in an interleaved
/// Q4_K group super-block (QuantInterleaved.cpp).
void q4kGroupScale(const uint8_t *block, int r, int j, int &sc, int &m) {
  uint32_t scLow, mLow, high;
  std::memcpy(&scLow, block + 64 + 4 * r, 4);
  std::memcpy(&mLow, block + 128 + 4 * r, 4);
  std::memcpy(&high, block + 192 + 4 * r, 4);
  sc = int((scLow >> (4 * j)) & 15) | int((high >> (2 * j)) & 3) << 4;
  m = int((mLow >> (4 * j)) & 15) | int((high >> (16 + 2 * j)) & 3) << 4;
}

/// The 4-bit integer of weight `p` (< 32) of row `r` in an interleaved Q4
/// block's (or Q4_K sub-block's) 4 vectors `data`.
inline int nibbleAt(const uint8_t *data, int r, int p) {
  int v = (p % 16) / 4, t = p % 4;
  uint8_t byte = data[64 * v + 4 * r + t];
  return p < 16 ? byte & 15 : byte >> 4;
}

/// The unsigned byte of weight `p` of row `r` in an interleaved Q8_0 (or
/// INT8) block's 8 vectors `data`: the int8 offset by 128.
inline int byteAt(const uint8_t *data, int r, int p) {
  return int(int8_t(data[64 * (p / 4) + 4 * r + p % 4] ^ 0x80));
}

/// Writes the group super-block of the Q4_K super-blocks `blocks[r]` to
/// `out`.
void interleaveSuperBlock(const uint8_t *const *blocks, uint8_t *out) {
  constexpr int subBlocks = int(kQuantSuperBlock / kQuantBlock);
  uint32_t scLow[kInterleave], mLow[kInterleave], high[kInterleave];
  for (int r = 0; r < kInterleave; ++r) {
    std::memcpy(out + 2 * r, blocks[r], 2);                       // d
    std::memcpy(out + 2 * kInterleave + 2 * r, blocks[r] + 2, 2); // dmin
    uint8_t sc[subBlocks], m[subBlocks];
    unpackQ4KScales(blocks[r] + 4, sc, m);
    scLow[r] = mLow[r] = high[r] = 0;
    for (int j = 0; j < subBlocks; ++j) {
      scLow[r] |= uint32_t(sc[j] & 15) << (4 * j);
      mLow[r] |= uint32_t(m[j] & 15) << (4 * j);
      high[r] |= uint32_t(sc[j] >> 4) << (2 * j);
      high[r] |= uint32_t(m[j] >> 4) << (16 + 2 * j);
    }
  }
  std::memcpy(out + 64, scLow, sizeof(scLow));
  std::memcpy(out + 128, mLow, sizeof(mLow));
  std::memcpy(out + 192, high, sizeof(high));
  for (int j = 0; j < subBlocks; ++j) {
    uint8_t values[kInterleave][kQuantBlock];
    for (int r = 0; r < kInterleave; ++r)
      for (int l = 0; l < kQuantBlock; ++l)
        values[r][l] = (blocks[r][16 + 32 * (j / 2) + l] >> (4 * (j % 2))) & 15;
    uint8_t *data = out + kQ4KGroupHeader + j * kQ4KGroupSubBlock;
    for (int v = 0; v < 4; ++v)
      for (int r = 0; r < kInterleave; ++r)
        for (int t = 0; t < 4; ++t)
          data[4 * kInterleave * v + 4 * r + t] =
              uint8_t(values[r][4 * v + t] | (values[r][16 + 4 * v + t] << 4));
  }
}

} // namespace

bool loom::detail::hasInterleavedKernel() {
#if LOOM_X86
  static const bool supported = __builtin_cpu_supports("avx512f") &&
                                __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512vnni");
  return supported;
#else
  return false;
#endif
}

void loom::detail::interleaveRows(QuantFormat format, uint8_t *data, int64_t n,
                                  int64_t k) {
  int64_t rowBytes = quantRowBytes(format, k);
  int64_t blocks = k / quantBlockWeights(format);
  int64_t blockBytes = quantBlockBytes(format);
  // INT8: the 16 rows' f32 scales first, then the groups' blocks.
  int64_t header = quantRowHeader(format);
  std::vector<uint8_t> group(size_t(kInterleave * rowBytes));
  for (int64_t g = 0; g < n / kInterleave; ++g) {
    uint8_t *rows = data + g * kInterleave * rowBytes;
    std::memcpy(group.data(), rows, group.size());
    for (int r = 0; r < kInterleave; ++r)
      std::memcpy(rows + r * header, group.data() + r * rowBytes,
                  size_t(header));
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t *sources[kInterleave];
      for (int r = 0; r < kInterleave; ++r)
        sources[r] = group.data() + r * rowBytes + header + b * blockBytes;
      uint8_t *target =
          rows + kInterleave * header + b * kInterleave * blockBytes;
      if (format == QuantFormat::Q4_K)
        interleaveSuperBlock(sources, target);
      else
        interleaveBlock(format, sources, target);
    }
  }
}

void loom::detail::decodeGroup(QuantFormat format, const uint8_t *group,
                               int64_t k, float *rows) {
  if (format == QuantFormat::Q4_K) {
    constexpr int64_t groupBlock = kInterleave * LOOM_QUANT_Q4_K_BYTES;
    for (int64_t sb = 0; sb < k / kQuantSuperBlock; ++sb) {
      const uint8_t *block = group + sb * groupBlock;
      for (int r = 0; r < kInterleave; ++r) {
        uint16_t dBits, minBits;
        std::memcpy(&dBits, block + 2 * r, 2);
        std::memcpy(&minBits, block + 32 + 2 * r, 2);
        float d = halfToFloat(dBits), dmin = halfToFloat(minBits);
        for (int j = 0; j < int(kQuantSuperBlock / kQuantBlock); ++j) {
          int sc, m;
          q4kGroupScale(block, r, j, sc, m);
          const uint8_t *data = block + kQ4KGroupHeader + kQ4KGroupSubBlock * j;
          float *out = rows + r * k + sb * kQuantSuperBlock + j * kQuantBlock;
          for (int p = 0; p < kQuantBlock; ++p)
            out[p] =
                d * float(sc) * float(nibbleAt(data, r, p)) - dmin * float(m);
        }
      }
    }
    return;
  }
  int64_t header = quantRowHeader(format) * kInterleave;
  int64_t groupBlock = kInterleave * quantBlockBytes(format);
  for (int64_t b = 0; b < k / kQuantBlock; ++b) {
    const uint8_t *block = group + header + b * groupBlock;
    const uint8_t *data = block + interleavedHeaderBytes(format);
    for (int r = 0; r < kInterleave; ++r) {
      float *out = rows + r * k + b * kQuantBlock;
      if (format == QuantFormat::Int8) {
        float scale;
        std::memcpy(&scale, group + 4 * r, 4);
        for (int p = 0; p < kQuantBlock; ++p)
          out[p] = scale * float(byteAt(data, r, p));
        continue;
      }
      uint16_t dBits;
      std::memcpy(&dBits, block + 2 * r, 2);
      float d = halfToFloat(dBits);
      if (format == QuantFormat::Q8_0) {
        for (int p = 0; p < kQuantBlock; ++p)
          out[p] = d * float(byteAt(data, r, p));
        continue;
      }
      float min = 0.0f;
      if (format == QuantFormat::Q4_1) {
        uint16_t minBits;
        std::memcpy(&minBits, block + 2 * kInterleave + 2 * r, 2);
        min = halfToFloat(minBits);
      }
      for (int p = 0; p < kQuantBlock; ++p) {
        int n = nibbleAt(data, r, p);
        out[p] =
            format == QuantFormat::Q4_0 ? d * float(n - 8) : d * float(n) + min;
      }
    }
  }
}

#if LOOM_X86
namespace {

#define LOOM_INTERLEAVED_TARGET "avx512f,avx512bw,avx512vnni"

/// One group's rows against M activation rows: `out[i * ldo + r]`.
template <QuantFormat Format, int M>
__attribute__((target(LOOM_INTERLEAVED_TARGET))) void
dotGroup(const uint8_t *group, const QuantizedRows &a, float *out,
         int64_t ldo) {
  constexpr int64_t bytes = Format == QuantFormat::Q8_0 ? LOOM_QUANT_Q8_0_BYTES
                            : Format == QuantFormat::Q4_0
                                ? LOOM_QUANT_Q4_0_BYTES
                                : LOOM_QUANT_Q4_1_BYTES;
  constexpr int64_t header = interleavedHeaderBytes(Format);
  constexpr int64_t groupBlock = kInterleave * bytes;
  // The unsigned weights' offset (128 for Q8_0, 8 for Q4_0), whose product
  // with the activations' sum is taken off where the dot products start.
  constexpr int32_t offset = Format == QuantFormat::Q8_0   ? 128
                             : Format == QuantFormat::Q4_0 ? 8
                                                           : 0;
  const __m512i low = _mm512_set1_epi8(0x0F);
  __m512 acc[M];
  for (int i = 0; i < M; ++i)
    acc[i] = _mm512_setzero_ps();
  for (int64_t b = 0; b < a.blocks; ++b) {
    const uint8_t *block = group + b * groupBlock;
    _mm_prefetch(reinterpret_cast<const char *>(block) + 2 * groupBlock,
                 _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(block) + 2 * groupBlock + 256,
                 _MM_HINT_T0);
    __m512 scales = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(block)));
    const uint8_t *data = block + header;
    __m512i dots[M];
    for (int i = 0; i < M; ++i)
      dots[i] = _mm512_set1_epi32(-offset * a.s[i * a.blocks + b]);
    // Chunk c: weights 4c..4c+3 of every row.
    __m512i weights[8];
    if constexpr (Format == QuantFormat::Q8_0) {
      for (int c = 0; c < 8; ++c)
        weights[c] = _mm512_loadu_si512(data + 64 * c);
    } else {
      for (int v = 0; v < 4; ++v) {
        __m512i raw = _mm512_loadu_si512(data + 64 * v);
        weights[v] = _mm512_and_si512(raw, low);
        weights[v + 4] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low);
      }
    }
    // ... against activations 4c..4c+3, broadcast to every lane.
    for (int c = 0; c < 8; ++c)
      for (int i = 0; i < M; ++i) {
        int32_t x;
        std::memcpy(&x, a.q + i * a.k + b * kQuantBlock + 4 * c, 4);
        dots[i] =
            _mm512_dpbusd_epi32(dots[i], weights[c], _mm512_set1_epi32(x));
      }
    for (int i = 0; i < M; ++i) {
      float da = a.d[i * a.blocks + b];
      acc[i] =
          _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots[i]),
                          _mm512_mul_ps(scales, _mm512_set1_ps(da)), acc[i]);
      if constexpr (Format == QuantFormat::Q4_1) {
        __m512 mins = _mm512_cvtph_ps(_mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(block + 2 * kInterleave)));
        acc[i] = _mm512_fmadd_ps(
            mins, _mm512_set1_ps(da * float(a.s[i * a.blocks + b])), acc[i]);
      }
    }
  }
  for (int i = 0; i < M; ++i)
    _mm512_storeu_ps(out + i * ldo, acc[i]);
}

/// One INT8 group's rows against M activation rows: `out[i * ldo + r]`.
template <int M>
__attribute__((target(LOOM_INTERLEAVED_TARGET))) void
dotGroupInt8(const uint8_t *group, const QuantizedRows &a, float *out,
             int64_t ldo) {
  constexpr int64_t groupBlock = kInterleave * kQuantBlock;
  const uint8_t *blocks = group + kInterleave * LOOM_QUANT_ROW_HEADER;
  __m512 acc[M];
  for (int i = 0; i < M; ++i)
    acc[i] = _mm512_setzero_ps();
  for (int64_t b = 0; b < a.blocks; ++b) {
    const uint8_t *data = blocks + b * groupBlock;
    _mm_prefetch(reinterpret_cast<const char *>(data) + 2 * groupBlock,
                 _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(data) + 2 * groupBlock + 256,
                 _MM_HINT_T0);
    __m512i weights[8];
    for (int c = 0; c < 8; ++c)
      weights[c] = _mm512_loadu_si512(data + 64 * c);
    for (int i = 0; i < M; ++i) {
      // The weights are stored offset by 128, unsigned.
      __m512i dot = _mm512_set1_epi32(-128 * a.s[i * a.blocks + b]);
      for (int c = 0; c < 8; ++c) {
        int32_t x;
        std::memcpy(&x, a.q + i * a.k + b * kQuantBlock + 4 * c, 4);
        dot = _mm512_dpbusd_epi32(dot, weights[c], _mm512_set1_epi32(x));
      }
      acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot),
                               _mm512_set1_ps(a.d[i * a.blocks + b]), acc[i]);
    }
  }
  __m512 scales = _mm512_loadu_ps(reinterpret_cast<const float *>(group));
  for (int i = 0; i < M; ++i)
    _mm512_storeu_ps(out + i * ldo, _mm512_mul_ps(acc[i], scales));
}

/// One Q4_K group's rows against M activation rows: `out[i * ldo + r]`.
template <int M>
__attribute__((target(LOOM_INTERLEAVED_TARGET))) void
dotGroupQ4K(const uint8_t *group, const QuantizedRows &a, float *out,
            int64_t ldo) {
  constexpr int64_t groupBlock = kInterleave * LOOM_QUANT_Q4_K_BYTES;
  constexpr int subBlocks = int(kQuantSuperBlock / kQuantBlock);
  const __m512i low = _mm512_set1_epi8(0x0F);
  const __m512i four = _mm512_set1_epi32(0x0F);
  const __m512i two = _mm512_set1_epi32(0x03);
  __m512 acc[M];
  for (int i = 0; i < M; ++i)
    acc[i] = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < a.blocks / subBlocks; ++sb) {
    const uint8_t *block = group + sb * groupBlock;
    __m512 d = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(block)));
    __m512 dmin = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(block + 32)));
    __m512i scLow = _mm512_loadu_si512(block + 64);
    __m512i mLow = _mm512_loadu_si512(block + 128);
    __m512i high = _mm512_loadu_si512(block + 192);
    for (int j = 0; j < subBlocks; ++j) {
      const uint8_t *data = block + kQ4KGroupHeader + j * kQ4KGroupSubBlock;
      _mm_prefetch(reinterpret_cast<const char *>(data) + 2 * groupBlock,
                   _MM_HINT_T0);
      __m512i sc = _mm512_or_si512(
          _mm512_and_si512(_mm512_srli_epi32(scLow, unsigned(4 * j)), four),
          _mm512_slli_epi32(
              _mm512_and_si512(_mm512_srli_epi32(high, unsigned(2 * j)), two),
              4));
      __m512i m = _mm512_or_si512(
          _mm512_and_si512(_mm512_srli_epi32(mLow, unsigned(4 * j)), four),
          _mm512_slli_epi32(
              _mm512_and_si512(_mm512_srli_epi32(high, unsigned(16 + 2 * j)),
                               two),
              4));
      __m512 scales = _mm512_mul_ps(d, _mm512_cvtepi32_ps(sc));
      __m512 mins = _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(m));
      __m512i weights[8];
      for (int v = 0; v < 4; ++v) {
        __m512i raw = _mm512_loadu_si512(data + 64 * v);
        weights[v] = _mm512_and_si512(raw, low);
        weights[v + 4] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low);
      }
      int64_t b = sb * subBlocks + j;
      for (int i = 0; i < M; ++i) {
        __m512i dot = _mm512_setzero_si512();
        for (int c = 0; c < 8; ++c) {
          int32_t x;
          std::memcpy(&x, a.q + i * a.k + b * kQuantBlock + 4 * c, 4);
          dot = _mm512_dpbusd_epi32(dot, weights[c], _mm512_set1_epi32(x));
        }
        float da = a.d[i * a.blocks + b];
        acc[i] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot),
                            _mm512_mul_ps(scales, _mm512_set1_ps(da)), acc[i]);
        acc[i] = _mm512_fnmadd_ps(
            mins, _mm512_set1_ps(da * float(a.s[i * a.blocks + b])), acc[i]);
      }
    }
  }
  for (int i = 0; i < M; ++i)
    _mm512_storeu_ps(out + i * ldo, acc[i]);
}

using DotGroupFn = void (*)(const uint8_t *, const QuantizedRows &, float *,
                            int64_t);

template <QuantFormat Format> DotGroupFn dotGroupFor(int64_t m) {
  if constexpr (Format == QuantFormat::Int8) {
    switch (m) {
    case 1:
      return dotGroupInt8<1>;
    case 2:
      return dotGroupInt8<2>;
    case 3:
      return dotGroupInt8<3>;
    default:
      return dotGroupInt8<4>;
    }
  } else if constexpr (Format == QuantFormat::Q4_K) {
    switch (m) {
    case 1:
      return dotGroupQ4K<1>;
    case 2:
      return dotGroupQ4K<2>;
    case 3:
      return dotGroupQ4K<3>;
    default:
      return dotGroupQ4K<4>;
    }
  } else {
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
      : format == QuantFormat::Q4_1 ? dotGroupFor<QuantFormat::Q4_1>(m)
      : format == QuantFormat::Q4_K ? dotGroupFor<QuantFormat::Q4_K>(m)
                                    : dotGroupFor<QuantFormat::Int8>(m);
  int64_t groupBytes = kInterleave * quantRowBytes(format, a.k);
  for (int64_t g = firstGroup; g < lastGroup; ++g)
    dot(groups + g * groupBytes, a, out + (g - firstGroup) * kInterleave, ldo);
#else
  (void)format, (void)m, (void)groups, (void)firstGroup, (void)lastGroup,
      (void)a, (void)out, (void)ldo;
#endif
}
