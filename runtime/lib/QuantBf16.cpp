//===- QuantBf16.cpp - Quantized products with bfloat16 inputs ------------===//
//
// `inputs bf16`: each activation is rounded to bfloat16 (to nearest even)
// and multiplied by the weights as they are stored. Every format's integers
// (Q8_0's and INT8's int8, the 4-bit formats' nibbles) are exact in
// bfloat16, and so is each product of two bfloat16 values in f32, so the
// only rounding besides the f32 sums is the inputs': 8 significant bits per
// value, whatever the rest of its block holds (the 8-bit integer inputs
// lose the small values of a block with a large one).
//
// With AVX-512 BF16 (`vdpbf16ps`, two products a 32-bit lane) on
// interleaved weights (QuantInterleaved.cpp), a group of 16 rows is decoded
// to bfloat16 integers (int8 through f32, nibbles through a table of 16),
// with a scale (and a minimum's term) per block of 32. A decode step's few
// rows run against the vectors as they are decoded, so each weight byte is
// read once; a prompt's group is decoded once into a panel, and up to 6
// activation rows at a time run against it, so a prompt's products cost
// about half the f32 GEMM's instructions (a Q4_K sub-block is a block, its
// scale and minimum unpacked from the super-block's). Elsewhere (row-major
// rows, other CPUs) the weights are decoded to f32 panels and multiplied by
// the rounded inputs in the f32 GEMM: the same values up to the order of
// the sums.
//
//===----------------------------------------------------------------------===//

#include "QuantInternal.h"

#include "loom/Half.h"
#include "loom/loom_abi.h"

#include <algorithm>
#include <cstring>
#include <vector>

using namespace loom;
using namespace loom::detail;

namespace {

/// Per-thread buffers, grown on demand and reused.
struct Bf16Scratch {
  std::vector<uint16_t> x;
  std::vector<float> sums, rounded, rows, panel;
};
Bf16Scratch &getBf16Scratch() {
  thread_local Bf16Scratch scratch;
  return scratch;
}

/// Weights of a scaled block: 32 (a Q4_K sub-block too).
constexpr int64_t kBlock = kQuantBlock;

/// A group's block in the AVX-512 BF16 kernel's panel: 8 quads of 4
/// weights, each two vectors (rows 0-7, rows 8-15) whose 32-bit lane j holds
/// two consecutive weights of row j / 2 (the quad's first pair in even
/// lanes, its second in odd ones) as bfloat16; then the rows' scales and
/// minimum terms, as the lanes hold them (each row's twice).
constexpr int64_t kPanelQuads = kBlock / 4;
constexpr int64_t kPanelBlockBytes = kPanelQuads * 2 * 64 + 4 * 64;

/// The bfloat16 bits of a small integer (exact).
constexpr short bf16Of(int value) {
  if (value == 0)
    return 0;
  unsigned magnitude = unsigned(value < 0 ? -value : value);
  int exponent = 0;
  while ((magnitude >> (exponent + 1)) != 0)
    ++exponent;
  unsigned mantissa = (magnitude << (7 - exponent)) & 0x7F;
  return short((value < 0 ? 0x8000 : 0) | unsigned(127 + exponent) << 7 |
               mantissa);
}

/// Rounds `x` to bfloat16, to nearest even (a NaN stays a NaN).
inline uint16_t toBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7FFFFFFF) > 0x7F800000)
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7FFF + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

inline float fromBf16(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float x;
  std::memcpy(&x, &wide, 4);
  return x;
}

/// The f32 products of the rounded rows `x` ([m, k]) with `n` decoded rows
/// `w` ([n, k]): `out[i * ldo + r]`.
void dotDecoded(const float *x, int64_t m, const float *w, int64_t n, int64_t k,
                float *out, int64_t ldo) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t r = 0; r < n; ++r) {
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p)
        sum += x[i * k + p] * w[r * k + p];
      out[i * ldo + r] = sum;
    }
}

/// Adds `bias`, or the old values with `accumulate`, to the [m, count]
/// values `values` and writes them to columns [j0, j0 + count) of `c`.
void storeColumns(const float *values, int64_t ldv, int64_t m, int64_t j0,
                  int64_t count, const float *bias, float *c, int64_t ldc,
                  bool accumulate) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t r = 0; r < count; ++r) {
      float &target = c[i * ldc + j0 + r];
      target = (accumulate ? target : 0.0f) + values[i * ldv + r] +
               (bias ? bias[j0 + r] : 0.0f);
    }
}

#if LOOM_X86
#define LOOM_BF16_TARGET "avx512f,avx512bw,avx512vl,avx512bf16"

/// Four rows' 4 int8 weights (16 bytes, offset by 128), as f32 in (row,
/// weight) order.
__attribute__((target(LOOM_BF16_TARGET))) inline __m512
widenBytes(const uint8_t *bytes) {
  __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i *>(bytes));
  return _mm512_cvtepi32_ps(
      _mm512_cvtepi8_epi32(_mm_xor_si128(raw, _mm_set1_epi8(-128))));
}

/// Quad `q` (weights 4q..4q+3 of a block) of the 16 rows of an interleaved
/// block's integers `data`, as bfloat16 pairs in the panel's lane order:
/// `w0` rows 0-7, `w1` rows 8-15.
template <QuantFormat Format>
__attribute__((target(LOOM_BF16_TARGET))) inline void
quadVectors(const uint8_t *data, int q, __m512i &w0, __m512i &w1) {
  if constexpr (Format == QuantFormat::Q8_0 || Format == QuantFormat::Int8) {
    const uint8_t *vector = data + 64 * q;
    __m512bh low =
        _mm512_cvtne2ps_pbh(widenBytes(vector + 16), widenBytes(vector));
    __m512bh high =
        _mm512_cvtne2ps_pbh(widenBytes(vector + 48), widenBytes(vector + 32));
    std::memcpy(&w0, &low, 64);
    std::memcpy(&w1, &high, 64);
  } else {
    // A nibble's bfloat16 from a table of 16 (Q4_0's offset by 8): the
    // zero-extended bytes are already in the panel's order.
    constexpr int offset = Format == QuantFormat::Q4_0 ? 8 : 0;
    const __m512i table = _mm512_set_epi16(
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, bf16Of(15 - offset),
        bf16Of(14 - offset), bf16Of(13 - offset), bf16Of(12 - offset),
        bf16Of(11 - offset), bf16Of(10 - offset), bf16Of(9 - offset),
        bf16Of(8 - offset), bf16Of(7 - offset), bf16Of(6 - offset),
        bf16Of(5 - offset), bf16Of(4 - offset), bf16Of(3 - offset),
        bf16Of(2 - offset), bf16Of(1 - offset), bf16Of(0 - offset));
    const uint8_t *vector = data + 64 * (q % 4);
    unsigned shift = q < 4 ? 0 : 4;
    const __m512i low = _mm512_set1_epi16(15);
    __m512i first = _mm512_cvtepu8_epi16(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(vector)));
    __m512i second = _mm512_cvtepu8_epi16(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(vector + 32)));
    w0 = _mm512_permutexvar_epi16(
        _mm512_and_si512(_mm512_srli_epi16(first, shift), low), table);
    w1 = _mm512_permutexvar_epi16(
        _mm512_and_si512(_mm512_srli_epi16(second, shift), low), table);
  }
}

/// Block `b` (32 weights; a Q4_K sub-block) of an interleaved group of
/// `Format`: where its scales are (Q4_K: its super-block's header), where
/// its integers are, and (Q4_K) which sub-block of its super-block it is.
struct GroupBlock {
  const uint8_t *header, *data;
  int sub;
};
template <QuantFormat Format>
inline GroupBlock groupBlock(const uint8_t *group, int64_t b) {
  constexpr int64_t subBlocks = kQuantSuperBlock / kBlock;
  if constexpr (Format == QuantFormat::Q4_K) {
    const uint8_t *super =
        group + (b / subBlocks) * kInterleave * LOOM_QUANT_Q4_K_BYTES;
    int sub = int(b % subBlocks);
    return {super, super + kQ4KGroupHeader + sub * kQ4KGroupSubBlock, sub};
  }
  constexpr int64_t bytes =
      kInterleave * (Format == QuantFormat::Q8_0   ? LOOM_QUANT_Q8_0_BYTES
                     : Format == QuantFormat::Q4_0 ? LOOM_QUANT_Q4_0_BYTES
                     : Format == QuantFormat::Q4_1 ? LOOM_QUANT_Q4_1_BYTES
                                                   : kQuantBlock);
  const uint8_t *block =
      group + quantRowHeader(Format) * kInterleave + b * bytes;
  return {block, block + interleavedHeaderBytes(Format), 0};
}

/// Whether `Format`'s weights have a minimum's term (sum of the inputs
/// times a per-block value).
template <QuantFormat Format>
constexpr bool kHasMins =
    Format == QuantFormat::Q4_1 || Format == QuantFormat::Q4_K;

/// 16 halves at `at`, as f32.
__attribute__((target(LOOM_BF16_TARGET))) inline __m512
halves(const uint8_t *at) {
  return _mm512_cvtph_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i *>(at)));
}

/// The 16 rows' scales and minimum terms of `block`, each row's twice
/// (lanes 2r and 2r + 1: rows 0-7 in `*0`, rows 8-15 in `*1`).
template <QuantFormat Format>
__attribute__((target(LOOM_BF16_TARGET))) inline void
blockScales(const uint8_t *group, const GroupBlock &block, __m512 &scale0,
            __m512 &scale1, __m512 &min0, __m512 &min1) {
  const __m512i pairs =
      _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  const __m512i upper = _mm512_add_epi32(pairs, _mm512_set1_epi32(8));
  __m512 scales, mins = _mm512_setzero_ps();
  if constexpr (Format == QuantFormat::Int8) {
    scales = _mm512_loadu_ps(reinterpret_cast<const float *>(group));
  } else if constexpr (Format == QuantFormat::Q4_K) {
    // The sub-block's 6-bit scale and minimum, from the packed vectors
    // (QuantInterleaved.cpp): d sc and -dmin m.
    const uint8_t *header = block.header;
    __m512i scLow = _mm512_loadu_si512(header + 64);
    __m512i mLow = _mm512_loadu_si512(header + 128);
    __m512i high = _mm512_loadu_si512(header + 192);
    const __m512i four = _mm512_set1_epi32(15), two = _mm512_set1_epi32(3);
    unsigned j = unsigned(block.sub);
    __m512i sc = _mm512_or_si512(
        _mm512_and_si512(_mm512_srli_epi32(scLow, 4 * j), four),
        _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(high, 2 * j), two),
                          4));
    __m512i m = _mm512_or_si512(
        _mm512_and_si512(_mm512_srli_epi32(mLow, 4 * j), four),
        _mm512_slli_epi32(
            _mm512_and_si512(_mm512_srli_epi32(high, 16 + 2 * j), two), 4));
    scales = _mm512_mul_ps(halves(header), _mm512_cvtepi32_ps(sc));
    mins = _mm512_sub_ps(
        _mm512_setzero_ps(),
        _mm512_mul_ps(halves(header + 2 * kInterleave), _mm512_cvtepi32_ps(m)));
  } else {
    scales = halves(block.header);
    if constexpr (Format == QuantFormat::Q4_1)
      mins = halves(block.header + 2 * kInterleave);
  }
  scale0 = _mm512_permutexvar_ps(pairs, scales);
  scale1 = _mm512_permutexvar_ps(upper, scales);
  min0 = _mm512_permutexvar_ps(pairs, mins);
  min1 = _mm512_permutexvar_ps(upper, mins);
}

/// Decodes the interleaved group `group` of `format` into the panel layout
/// above, `blocks` blocks.
template <QuantFormat Format>
__attribute__((target(LOOM_BF16_TARGET))) void
decodePanel(const uint8_t *group, int64_t blocks, uint8_t *panel) {
  for (int64_t b = 0; b < blocks; ++b) {
    GroupBlock block = groupBlock<Format>(group, b);
    const uint8_t *data = block.data;
    uint8_t *out = panel + b * kPanelBlockBytes;
    for (int q = 0; q < kPanelQuads; ++q) {
      __m512i w0, w1;
      quadVectors<Format>(data, q, w0, w1);
      _mm512_storeu_si512(out + 128 * q, w0);
      _mm512_storeu_si512(out + 128 * q + 64, w1);
    }
    __m512 tail[4];
    blockScales<Format>(group, block, tail[0], tail[1], tail[2], tail[3]);
    auto *to = reinterpret_cast<float *>(out + kPanelQuads * 2 * 64);
    for (int t = 0; t < 4; ++t)
      _mm512_storeu_ps(to + 16 * t, tail[t]);
  }
}

/// Each row's two lanes of `total[h]` summed: the 16 rows' values, to `out`.
__attribute__((target(LOOM_BF16_TARGET))) inline void
storeRows(const __m512 *total, float *out) {
  const __m512i swap =
      _mm512_set_epi32(14, 15, 12, 13, 10, 11, 8, 9, 6, 7, 4, 5, 2, 3, 0, 1);
  for (int h = 0; h < 2; ++h) {
    __m512 both =
        _mm512_add_ps(total[h], _mm512_permutexvar_ps(swap, total[h]));
    _mm256_storeu_ps(out + 8 * h, _mm512_castps512_ps256(
                                      _mm512_maskz_compress_ps(0x5555, both)));
  }
}

/// The 4 bfloat16 inputs at `x`, in every 64-bit lane.
__attribute__((target(LOOM_BF16_TARGET))) inline __m512bh
broadcastFour(const uint16_t *x) {
  long long four;
  std::memcpy(&four, x, 8);
  __m512i broadcast = _mm512_set1_epi64(four);
  __m512bh result;
  std::memcpy(&result, &broadcast, 64);
  return result;
}

/// A decode step's M <= 4 rows against an interleaved group, decoded in
/// registers as it streams (no panel): `out[i * 16 + r]`.
template <QuantFormat Format, int M>
__attribute__((target(LOOM_BF16_TARGET))) void
dotGroupDirect(const uint8_t *group, int64_t blocks, const uint16_t *x,
               int64_t ldx, const float *sums, float *out) {
  __m512 total[M][2];
  for (int i = 0; i < M; ++i)
    total[i][0] = total[i][1] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    GroupBlock block = groupBlock<Format>(group, b);
    // Two blocks ahead (about 1 KiB: the hardware's prefetchers alone
    // leave the stream short of the memory's bandwidth).
    _mm_prefetch(reinterpret_cast<const char *>(block.data) + 1024,
                 _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(block.data) + 1024 + 256,
                 _MM_HINT_T0);
    const uint8_t *data = block.data;
    __m512 acc[M][2];
    for (int i = 0; i < M; ++i)
      acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int q = 0; q < kPanelQuads; ++q) {
      __m512i w0, w1;
      quadVectors<Format>(data, q, w0, w1);
      __m512bh v0, v1;
      std::memcpy(&v0, &w0, 64);
      std::memcpy(&v1, &w1, 64);
      for (int i = 0; i < M; ++i) {
        __m512bh xs = broadcastFour(x + i * ldx + b * kBlock + 4 * q);
        acc[i][0] = _mm512_dpbf16_ps(acc[i][0], v0, xs);
        acc[i][1] = _mm512_dpbf16_ps(acc[i][1], v1, xs);
      }
    }
    __m512 scale0, scale1, min0, min1;
    blockScales<Format>(group, block, scale0, scale1, min0, min1);
    for (int i = 0; i < M; ++i) {
      total[i][0] = _mm512_fmadd_ps(acc[i][0], scale0, total[i][0]);
      total[i][1] = _mm512_fmadd_ps(acc[i][1], scale1, total[i][1]);
      if constexpr (kHasMins<Format>) {
        // In the even lanes only: once a row.
        __m512 sum =
            _mm512_maskz_mov_ps(0x5555, _mm512_set1_ps(sums[i * blocks + b]));
        total[i][0] = _mm512_fmadd_ps(min0, sum, total[i][0]);
        total[i][1] = _mm512_fmadd_ps(min1, sum, total[i][1]);
      }
    }
  }
  for (int i = 0; i < M; ++i)
    storeRows(total[i], out + i * kInterleave);
}

/// MR activation rows (bfloat16, rows `ldx` apart; their blocks' sums
/// `sums`, rows `blocks` apart) against a decoded group panel: the 16 rows'
/// products `out[i * 16 + r]`.
template <int MR, bool Mins>
__attribute__((target(LOOM_BF16_TARGET))) void
tilePanel(const uint8_t *panel, int64_t blocks, const uint16_t *x, int64_t ldx,
          const float *sums, float *out) {
  __m512 total[MR][2];
  for (int i = 0; i < MR; ++i)
    total[i][0] = total[i][1] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t *block = panel + b * kPanelBlockBytes;
    __m512 acc[MR][2];
    for (int i = 0; i < MR; ++i)
      acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int q = 0; q < kPanelQuads; ++q) {
      __m512bh w0, w1;
      std::memcpy(&w0, block + 128 * q, 64);
      std::memcpy(&w1, block + 128 * q + 64, 64);
      for (int i = 0; i < MR; ++i) {
        __m512bh xs = broadcastFour(x + i * ldx + b * kBlock + 4 * q);
        acc[i][0] = _mm512_dpbf16_ps(acc[i][0], w0, xs);
        acc[i][1] = _mm512_dpbf16_ps(acc[i][1], w1, xs);
      }
    }
    const float *tail =
        reinterpret_cast<const float *>(block + kPanelQuads * 2 * 64);
    __m512 scale0 = _mm512_loadu_ps(tail), scale1 = _mm512_loadu_ps(tail + 16);
    for (int i = 0; i < MR; ++i) {
      total[i][0] = _mm512_fmadd_ps(acc[i][0], scale0, total[i][0]);
      total[i][1] = _mm512_fmadd_ps(acc[i][1], scale1, total[i][1]);
    }
    if constexpr (Mins) {
      // The minimum's term, counted once a row: in the even lanes only.
      __m512 min0 = _mm512_maskz_loadu_ps(0x5555, tail + 32);
      __m512 min1 = _mm512_maskz_loadu_ps(0x5555, tail + 48);
      for (int i = 0; i < MR; ++i) {
        __m512 sum = _mm512_set1_ps(sums[i * blocks + b]);
        total[i][0] = _mm512_fmadd_ps(min0, sum, total[i][0]);
        total[i][1] = _mm512_fmadd_ps(min1, sum, total[i][1]);
      }
    }
  }
  for (int i = 0; i < MR; ++i)
    storeRows(total[i], out + i * kInterleave);
}

using TileFn = void (*)(const uint8_t *, int64_t, const uint16_t *, int64_t,
                        const float *, float *);

template <bool Mins> TileFn tileFor(int64_t rows) {
  switch (rows) {
  case 1:
    return tilePanel<1, Mins>;
  case 2:
    return tilePanel<2, Mins>;
  case 3:
    return tilePanel<3, Mins>;
  case 4:
    return tilePanel<4, Mins>;
  case 5:
    return tilePanel<5, Mins>;
  default:
    return tilePanel<6, Mins>;
  }
}

using DirectFn = void (*)(const uint8_t *, int64_t, const uint16_t *, int64_t,
                          const float *, float *);

template <QuantFormat Format> DirectFn directFor(int64_t m) {
  switch (m) {
  case 1:
    return dotGroupDirect<Format, 1>;
  case 2:
    return dotGroupDirect<Format, 2>;
  case 3:
    return dotGroupDirect<Format, 3>;
  default:
    return dotGroupDirect<Format, 4>;
  }
}

/// The direct kernel of `format` for `m` <= 4 rows.
DirectFn directFor(QuantFormat format, int64_t m) {
  switch (format) {
  case QuantFormat::Q8_0:
    return directFor<QuantFormat::Q8_0>(m);
  case QuantFormat::Q4_0:
    return directFor<QuantFormat::Q4_0>(m);
  case QuantFormat::Q4_1:
    return directFor<QuantFormat::Q4_1>(m);
  case QuantFormat::Q4_K:
    return directFor<QuantFormat::Q4_K>(m);
  default:
    return directFor<QuantFormat::Int8>(m);
  }
}

/// Rounds the [m, k] rows of `a` to bfloat16 into `x` and, with `sums`, the
/// rounded values' sums per block of 32.
__attribute__((target(LOOM_BF16_TARGET))) void
roundRowsBf16(const float *a, int64_t lda, int64_t m, int64_t k, uint16_t *x,
              float *sums) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t b = 0; b < k / kBlock; ++b) {
      const float *from = a + i * lda + b * kBlock;
      uint16_t *to = x + i * k + b * kBlock;
      __m512bh packed = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(from + 16),
                                            _mm512_loadu_ps(from));
      std::memcpy(to, &packed, 64);
      if (!sums)
        continue;
      // The rounded values, widened back.
      __m512i bits = _mm512_loadu_si512(to);
      __m512 evens = _mm512_castsi512_ps(_mm512_slli_epi32(bits, 16));
      __m512 odds = _mm512_castsi512_ps(
          _mm512_and_si512(bits, _mm512_set1_epi32(int(0xFFFF0000))));
      sums[i * (k / kBlock) + b] =
          _mm512_reduce_add_ps(_mm512_add_ps(evens, odds));
    }
}

bool hasBf16Kernel() {
  static const bool supported = hasInterleavedKernel() &&
                                __builtin_cpu_supports("avx512vl") &&
                                __builtin_cpu_supports("avx512bf16");
  return supported;
}

/// Products of the interleaved groups of `w` with AVX-512 BF16: each thread
/// decodes a group at a time and runs every row of A against it.
void qgemmBf16Groups(KernelState &state, QuantFormat format, int64_t m,
                     int64_t n, int64_t k, const float *a, int64_t lda,
                     const uint8_t *w, const float *bias, float *c, int64_t ldc,
                     bool accumulate, Activation activation) {
  bool mins = format == QuantFormat::Q4_1 || format == QuantFormat::Q4_K;
  int64_t blocks = k / kBlock;
  Bf16Scratch &scratch = getBf16Scratch();
  scratch.x.resize(size_t(m * k));
  scratch.sums.resize(mins ? size_t(m * blocks) : 0);
  uint16_t *x = scratch.x.data();
  float *sums = mins ? scratch.sums.data() : nullptr;
  if (m <= 4)
    roundRowsBf16(a, lda, m, k, x, sums);
  else
    state.pool.parallelFor(0, m, 8, [&](int64_t first, int64_t last) {
      roundRowsBf16(a + first * lda, lda, last - first, k, x + first * k,
                    sums ? sums + first * blocks : nullptr);
    });
  using DecodeFn = void (*)(const uint8_t *, int64_t, uint8_t *);
  DecodeFn decode =
      format == QuantFormat::Q8_0   ? decodePanel<QuantFormat::Q8_0>
      : format == QuantFormat::Q4_0 ? decodePanel<QuantFormat::Q4_0>
      : format == QuantFormat::Q4_1 ? decodePanel<QuantFormat::Q4_1>
      : format == QuantFormat::Q4_K ? decodePanel<QuantFormat::Q4_K>
                                    : decodePanel<QuantFormat::Int8>;
  int64_t groups = n / kInterleave;
  int64_t groupBytes = kInterleave * quantRowBytes(format, k);
  int64_t threads = state.pool.getNumThreads();
  int64_t grain = std::max<int64_t>(1, groups / (threads * 8));
  if (m <= kQuantSmallM) {
    // A decode step: each group streamed once, decoded in registers.
    DirectFn dot = directFor(format, m);
    state.pool.parallelFor(0, groups, grain, [&](int64_t first, int64_t last) {
      float out[kQuantSmallM * kInterleave];
      for (int64_t g = first; g < last; ++g) {
        dot(w + g * groupBytes, blocks, x, k, sums, out);
        storeColumns(out, kInterleave, m, g * kInterleave, kInterleave, bias, c,
                     ldc, accumulate);
        applyActivation(activation, c + g * kInterleave, m, kInterleave, ldc);
      }
    });
    return;
  }
  state.pool.parallelFor(0, groups, grain, [&](int64_t first, int64_t last) {
    std::vector<float> &panelStore = getBf16Scratch().panel;
    panelStore.resize(size_t(blocks * kPanelBlockBytes / 4));
    auto *panel = reinterpret_cast<uint8_t *>(panelStore.data());
    float out[6 * kInterleave];
    for (int64_t g = first; g < last; ++g) {
      decode(w + g * groupBytes, blocks, panel);
      for (int64_t i0 = 0; i0 < m; i0 += 6) {
        int64_t rows = std::min<int64_t>(6, m - i0);
        TileFn tile = mins ? tileFor<true>(rows) : tileFor<false>(rows);
        tile(panel, blocks, x + i0 * k, k, sums ? sums + i0 * blocks : nullptr,
             out);
        storeColumns(out, kInterleave, rows, g * kInterleave, kInterleave, bias,
                     c + i0 * ldc, ldc, accumulate);
        applyActivation(activation, c + i0 * ldc + g * kInterleave, rows,
                        kInterleave, ldc);
      }
    }
  });
}
#endif

} // namespace

void loom::detail::qgemmBf16(KernelState &state, QuantFormat format, int64_t m,
                             int64_t n, int64_t k, const float *a, int64_t lda,
                             const uint8_t *w, bool interleaved, bool fast,
                             const float *bias, float *c, int64_t ldc,
                             bool accumulate, Activation activation) {
  int64_t groups = interleaved ? n / kInterleave : 0;
#if LOOM_X86
  fast = fast && groups && hasBf16Kernel();
#else
  fast = false;
#endif
  int64_t rowBytes = quantRowBytes(format, k);
  // The inputs rounded, as f32: without the kernel, every row of W is
  // decoded to f32 panels for the f32 GEMM; with it, the rows after the
  // last group are decoded one at a time.
  int64_t firstRow = fast ? groups * kInterleave : n;
  if (!fast || firstRow < n) {
    Bf16Scratch &scratch = getBf16Scratch();
    scratch.rounded.resize(size_t(m * k));
    float *rounded = scratch.rounded.data();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < k; ++p)
        rounded[i * k + p] = fromBf16(toBf16(a[i * lda + p]));
    if (!fast) {
      qgemmPanels(state, format, m, n, k, rounded, k, w, interleaved, bias, c,
                  ldc, accumulate, activation);
      return;
    }
  }
#if LOOM_X86
  qgemmBf16Groups(state, format, m, firstRow, k, a, lda, w, bias, c, ldc,
                  accumulate, activation);
#endif
  const float *rounded = getBf16Scratch().rounded.data();
  state.pool.parallelFor(firstRow, n, 16, [&](int64_t first, int64_t last) {
    std::vector<float> &decoded = getBf16Scratch().rows;
    decoded.resize(size_t(k));
    std::vector<float> out(static_cast<size_t>(m));
    for (int64_t j = first; j < last; ++j) {
      dequantizeRow(format, w + j * rowBytes, k, decoded.data());
      dotDecoded(rounded, m, decoded.data(), 1, k, out.data(), 1);
      storeColumns(out.data(), 1, m, j, 1, bias, c, ldc, accumulate);
      applyActivation(activation, c + j, m, 1, ldc);
    }
  });
}
