//===- Attention.cpp - Attention over the KV cache ------------------------===//
//
// For every new token i (absolute position pos + i) and query head h:
//
//   o[i, h] = sum_j softmax_j(q[i, h] . K[j, h / G] / sqrt(hd)) V[j, h / G]
//
// over cached positions j < pos + i + 1 (causal) or j < pos + seq. The
// softmax is computed online (running maximum and sum), so no [seq, context]
// matrix exists and masked positions cost nothing. Work items are (token,
// head) pairs spread over the kernel thread pool.
//
//===----------------------------------------------------------------------===//

#include "loom/Kernels.h"
#include "loom/Profile.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define LOOM_X86 1
#endif

using namespace loom;

namespace {

/// The shapes and strides of one call.
struct AttentionProblem {
  const float *q;
  int64_t qStride;
  const float *keys, *values;
  int64_t cacheSlotStride, cacheRowStride;
  float *out;
  int64_t outStride;
  int64_t seq, pos, heads, kvHeads, headDim;
  bool causal;
  /// Sliding window (0: none): a token sees the `window` positions ending
  /// at its own.
  int64_t window;
  /// The first cached position token `token` of this call sees.
  int64_t firstVisible(int64_t token) const {
    return window > 0 ? std::max<int64_t>(0, pos + token + 1 - window) : 0;
  }
  /// The model instance's threads.
  ThreadPool *pool;
};

float dotPortable(const float *a, const float *b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    sum += a[i] * b[i];
  return sum;
}

#if LOOM_X86
__attribute__((target("avx512f"))) float dotAvx512(const float *a,
                                                   const float *b, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 =
        _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16),
                           _mm512_loadu_ps(b + i + 16), acc1);
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  for (; i < n; ++i)
    sum += a[i] * b[i];
  return sum;
}
#endif

/// One (token, head) pair, portable: online softmax in one pass.
void attendPortable(const AttentionProblem &p, int64_t token, int64_t head,
                    float *acc) {
  int64_t group = p.heads / p.kvHeads;
  int64_t kvHead = head / group;
  const float *query = p.q + token * p.qStride + head * p.headDim;
  int64_t context = p.causal ? p.pos + token + 1 : p.pos + p.seq;
  float scale = 1.0f / std::sqrt(float(p.headDim));
  float maximum = -INFINITY, total = 0.0f;
  std::fill(acc, acc + p.headDim, 0.0f);
  for (int64_t j = p.firstVisible(token); j < context; ++j) {
    const float *key = p.keys + j * p.cacheRowStride + kvHead * p.headDim;
    const float *value = p.values + j * p.cacheRowStride + kvHead * p.headDim;
    float score = dotPortable(query, key, p.headDim) * scale;
    if (score > maximum) {
      // Rescale what was accumulated under the old maximum.
      float correction = std::exp(maximum - score);
      total *= correction;
      for (int64_t d = 0; d < p.headDim; ++d)
        acc[d] *= correction;
      maximum = score;
    }
    float weight = std::exp(score - maximum);
    total += weight;
    for (int64_t d = 0; d < p.headDim; ++d)
      acc[d] += weight * value[d];
  }
  float *output = p.out + token * p.outStride + head * p.headDim;
  for (int64_t d = 0; d < p.headDim; ++d)
    output[d] = acc[d] / total;
}

#if LOOM_X86
/// e^x for 16 floats: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by its
/// degree-6 Taylor polynomial (relative error below 2e-7), times 2^n.
__attribute__((target("avx512f"))) __m512 exp512(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  x = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
  __m512 n = _mm512_roundscale_ps(
      _mm512_mul_ps(x, _mm512_set1_ps(1.4426950408889634f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
  __m512 poly = _mm512_set1_ps(1.0f / 720);
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(1.0f / 120));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(1.0f / 24));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(1.0f / 6));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(0.5f));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(1.0f));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(poly, n);
}

/// Cache rows a decode step asks for ahead of use: the rows of one head
/// are 256 bytes out of every `kv_width` floats, a pattern the hardware
/// prefetchers follow late (10–18% less attention time at 16 rows ahead).
constexpr int64_t kPrefetchRows = 16;

/// Asks for the `count` floats at `row`, a row the caller reads soon.
__attribute__((target("avx512f"))) inline void prefetchRow(const float *row,
                                                           int64_t count) {
  const char *bytes = reinterpret_cast<const char *>(row);
  for (int64_t offset = 0; offset < count * 4; offset += 64)
    _mm_prefetch(bytes + offset, _MM_HINT_T0);
}

/// One (token, head) pair with AVX-512, in three passes over the context:
/// scores, exponentials (16 at a time) and their sum, then the weighted sum
/// of values. `scores` holds the context; head_dim is a multiple of 16.
__attribute__((target("avx512f"))) void attendAvx512(const AttentionProblem &p,
                                                     int64_t token,
                                                     int64_t head, float *acc,
                                                     float *scores) {
  int64_t group = p.heads / p.kvHeads;
  // The visible rows [first, end) as rows [0, context) from `keys`.
  int64_t first = p.firstVisible(token);
  int64_t kvOffset = first * p.cacheRowStride + (head / group) * p.headDim;
  const float *query = p.q + token * p.qStride + head * p.headDim;
  int64_t context = (p.causal ? p.pos + token + 1 : p.pos + p.seq) - first;
  float scale = 1.0f / std::sqrt(float(p.headDim));

  float maximum = -INFINITY;
  for (int64_t j = 0; j < context; ++j) {
    if (j + kPrefetchRows < context)
      prefetchRow(p.keys + (j + kPrefetchRows) * p.cacheRowStride + kvOffset,
                  p.headDim);
    float score =
        dotAvx512(query, p.keys + j * p.cacheRowStride + kvOffset, p.headDim) *
        scale;
    scores[j] = score;
    maximum = std::max(maximum, score);
  }
  __m512 shift = _mm512_set1_ps(maximum);
  __m512 sums = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= context; j += 16) {
    __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(scores + j), shift));
    _mm512_storeu_ps(scores + j, e);
    sums = _mm512_add_ps(sums, e);
  }
  if (j < context) {
    __mmask16 mask = __mmask16((1u << (context - j)) - 1);
    __m512 e =
        exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, scores + j), shift));
    _mm512_mask_storeu_ps(scores + j, mask, e);
    sums = _mm512_add_ps(sums, _mm512_maskz_mov_ps(mask, e));
  }
  float total = _mm512_reduce_add_ps(sums);

  int64_t chunks = p.headDim / 16;
  for (int64_t c = 0; c < chunks; ++c)
    _mm512_storeu_ps(acc + 16 * c, _mm512_setzero_ps());
  for (int64_t k = 0; k < context; ++k) {
    if (k + kPrefetchRows < context)
      prefetchRow(p.values + (k + kPrefetchRows) * p.cacheRowStride + kvOffset,
                  p.headDim);
    __m512 weight = _mm512_set1_ps(scores[k]);
    const float *value = p.values + k * p.cacheRowStride + kvOffset;
    for (int64_t c = 0; c < chunks; ++c)
      _mm512_storeu_ps(acc + 16 * c,
                       _mm512_fmadd_ps(weight, _mm512_loadu_ps(value + 16 * c),
                                       _mm512_loadu_ps(acc + 16 * c)));
  }
  __m512 inverse = _mm512_set1_ps(1.0f / total);
  float *output = p.out + token * p.outStride + head * p.headDim;
  for (int64_t c = 0; c < chunks; ++c)
    _mm512_storeu_ps(output + 16 * c,
                     _mm512_mul_ps(_mm512_loadu_ps(acc + 16 * c), inverse));
}
#endif

/// Tokens of a prompt attended together by `attendBlock` (at most).
constexpr int64_t kQueryBlock = 64;

/// Tokens per block for `group` query heads a KV head: as many as
/// kQueryBlock allows with group * tokens a multiple of the GEMM's 12-row
/// tile, so no tile is partly empty.
int64_t queryBlockTokens(int64_t group) {
  int64_t step = 12 / std::gcd<int64_t>(group, 12);
  return std::max(step, kQueryBlock - kQueryBlock % step);
}

/// Softmax of `scores` ([rows, stride]) in place: row r keeps columns
/// [first(r), valid(r)) and gets zeros elsewhere; returns each row's sum in
/// `sums`.
template <typename First, typename Valid>
void softmaxRows(float *scores, int64_t rows, int64_t stride, First first,
                 Valid valid, float scale, float *sums) {
  for (int64_t r = 0; r < rows; ++r) {
    float *row = scores + r * stride;
    int64_t begin = first(r), n = valid(r);
    std::fill(row, row + begin, 0.0f);
    float maximum = -INFINITY;
    for (int64_t j = begin; j < n; ++j)
      maximum = std::max(maximum, row[j]);
    float total = 0.0f;
    for (int64_t j = begin; j < n; ++j) {
      row[j] = std::exp((row[j] - maximum) * scale);
      total += row[j];
    }
    std::fill(row + n, row + stride, 0.0f);
    sums[r] = total;
  }
}

#if LOOM_X86
/// The same with 16 exponentials at a time.
template <typename First, typename Valid>
__attribute__((target("avx512f"))) void
softmaxRowsAvx512(float *scores, int64_t rows, int64_t stride, First first,
                  Valid valid, float scale, float *sums) {
  for (int64_t r = 0; r < rows; ++r) {
    float *row = scores + r * stride;
    int64_t begin = first(r), n = valid(r);
    std::fill(row, row + begin, 0.0f);
    float maximum = -INFINITY;
    for (int64_t j = begin; j < n; ++j)
      maximum = std::max(maximum, row[j]);
    __m512 shift = _mm512_set1_ps(maximum), factor = _mm512_set1_ps(scale);
    __m512 total = _mm512_setzero_ps();
    for (int64_t j = begin; j < n; j += 16) {
      __mmask16 mask =
          n - j >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - j)) - 1);
      __m512 x = _mm512_maskz_loadu_ps(mask, row + j);
      __m512 e = exp512(_mm512_mul_ps(_mm512_sub_ps(x, shift), factor));
      e = _mm512_maskz_mov_ps(mask, e);
      _mm512_mask_storeu_ps(row + j, mask, e);
      total = _mm512_add_ps(total, e);
    }
    std::fill(row + n, row + stride, 0.0f);
    sums[r] = _mm512_reduce_add_ps(total);
  }
}
#endif

/// Per-thread buffers of `attendBlock`, grown once and reused.
struct BlockScratch {
  std::vector<float> queries, scores, sums, outputs;
};

/// Tokens [t0, t1) of every query head that reads KV head `kvHead`, as two
/// matrix products: the heads' queries are stacked into one matrix
/// (head-major), S = Q K^T over the keys any of them sees, a masked softmax
/// of S's rows, then O = S V. The group shares one pass over its keys and
/// values, and only this block's scores exist at any time. `keys` and
/// `values` are the KV head's whole context, packed once for all blocks.
void attendBlock(const AttentionProblem &p, int64_t t0, int64_t t1,
                 int64_t kvHead, const PanelMatrix &keys,
                 const PanelMatrix &values, BlockScratch &scratch,
                 bool avx512) {
  int64_t tokens = t1 - t0;
  int64_t group = p.heads / p.kvHeads;
  int64_t rows = group * tokens, hd = p.headDim;
  int64_t context = p.causal ? p.pos + t1 : p.pos + p.seq;
  // Score rows padded to whole vectors, and off 2 KiB multiples (which the
  // product would copy to avoid cache-set conflicts).
  int64_t stride = (context + 15) / 16 * 16;
  if (stride % 512 == 0)
    stride += 16;
  scratch.queries.resize(size_t(rows * hd));
  scratch.scores.resize(std::max(scratch.scores.size(), size_t(rows * stride)));
  scratch.sums.resize(size_t(rows));
  scratch.outputs.resize(size_t(rows * hd));
  for (int64_t g = 0; g < group; ++g)
    for (int64_t t = 0; t < tokens; ++t) {
      const float *query =
          p.q + (t0 + t) * p.qStride + (kvHead * group + g) * hd;
      std::copy(query, query + hd,
                scratch.queries.data() + (g * tokens + t) * hd);
    }
  float *scores = scratch.scores.data();
  sgemmPanels(*p.pool, rows, context, hd, scratch.queries.data(), hd, keys,
              scores, stride, /*accumulate=*/false);
  auto valid = [&](int64_t r) {
    return p.causal ? p.pos + t0 + r % tokens + 1 : context;
  };
  auto first = [&](int64_t r) { return p.firstVisible(t0 + r % tokens); };
  float scale = 1.0f / std::sqrt(float(hd));
#if LOOM_X86
  if (avx512)
    softmaxRowsAvx512(scores, rows, stride, first, valid, scale,
                      scratch.sums.data());
  else
#endif
    softmaxRows(scores, rows, stride, first, valid, scale, scratch.sums.data());
  (void)avx512;
  sgemmPanels(*p.pool, rows, hd, context, scores, stride, values,
              scratch.outputs.data(), hd, /*accumulate=*/false);
  for (int64_t g = 0; g < group; ++g)
    for (int64_t t = 0; t < tokens; ++t) {
      int64_t r = g * tokens + t;
      float inverse = 1.0f / scratch.sums[size_t(r)];
      const float *source = scratch.outputs.data() + r * hd;
      float *out = p.out + (t0 + t) * p.outStride + (kvHead * group + g) * hd;
      for (int64_t d = 0; d < hd; ++d)
        out[d] = source[d] * inverse;
    }
}

} // namespace

extern "C" void _mlir_ciface_loom_attention(
    loom_context *context, MemRef<float, 2> *q, MemRef<float, 3> *keyCache,
    MemRef<float, 3> *valueCache, MemRef<float, 2> *out, int64_t pos,
    int64_t slot, int64_t heads, int64_t kvHeads, int64_t headDim,
    int64_t causal, int64_t window) {
  AttentionProblem p;
  ThreadPool &pool = context->kernels->pool;
  p.pool = &pool;
  p.q = q->aligned + q->offset;
  p.qStride = q->strides[0];
  p.cacheSlotStride = keyCache->strides[0];
  p.cacheRowStride = keyCache->strides[1];
  p.keys = keyCache->aligned + keyCache->offset + slot * p.cacheSlotStride;
  p.values =
      valueCache->aligned + valueCache->offset + slot * valueCache->strides[0];
  p.out = out->aligned + out->offset;
  p.outStride = out->strides[0];
  p.seq = q->sizes[0];
  p.pos = pos;
  p.heads = heads;
  p.kvHeads = kvHeads;
  p.headDim = headDim;
  p.causal = causal != 0;
  p.window = p.causal ? window : 0;
  // Two products of head_dim per (query, visible key, head).
  double visible = p.causal ? double(p.seq) * double(pos) +
                                  double(p.seq) * double(p.seq + 1) / 2
                            : double(p.seq) * double(pos + p.seq);
  ProfileScope profile(ProfileEntry::Attention,
                       4.0 * visible * double(heads) * double(headDim),
                       {p.seq, heads, headDim});
#if LOOM_X86
  static const bool avx512 = __builtin_cpu_supports("avx512f");
#else
  constexpr bool avx512 = false;
#endif
  if (p.seq >= kQueryBlock / 2) {
    // A prompt: blocks of tokens per KV head, as matrix products; the last
    // (longest-context) blocks first, so that the short ones balance the
    // threads at the end.
    int64_t blockTokens = queryBlockTokens(heads / kvHeads);
    int64_t blocks = (p.seq + blockTokens - 1) / blockTokens;
    // First each KV head's keys and values over the whole context, packed
    // for the products once rather than once per block.
    int64_t length = p.pos + p.seq;
    size_t keyFloats = panelMatrixFloats(length, headDim);
    size_t headFloats = keyFloats + panelMatrixFloats(headDim, length);
    thread_local std::vector<float> panels;
    panels.resize(std::max(panels.size(), size_t(kvHeads) * headFloats));
    float *packed = panels.data();
    pool.parallelFor(0, 2 * kvHeads, 1, [&](int64_t first, int64_t last) {
      for (int64_t item = first; item < last; ++item) {
        int64_t kvHead = item / 2;
        float *out = packed + kvHead * headFloats;
        if (item % 2 == 0)
          packPanels(p.keys + kvHead * headDim, p.cacheRowStride, length,
                     headDim, /*bKN=*/false, out);
        else
          packPanels(p.values + kvHead * headDim, p.cacheRowStride, headDim,
                     length, /*bKN=*/true, out + keyFloats);
      }
    });
    pool.parallelFor(0, blocks * kvHeads, 1, [&](int64_t first, int64_t last) {
      thread_local BlockScratch scratch;
      for (int64_t item = first; item < last; ++item) {
        int64_t block = blocks - 1 - item / kvHeads;
        int64_t kvHead = item % kvHeads;
        const float *head = packed + kvHead * headFloats;
        int64_t t0 = block * blockTokens;
        attendBlock(p, t0, std::min(p.seq, t0 + blockTokens), kvHead,
                    PanelMatrix{head, length, headDim},
                    PanelMatrix{head + keyFloats, headDim, length}, scratch,
                    avx512);
      }
    });
    return;
  }
  bool vectorized = avx512 && headDim % 16 == 0;
  // Chunks of whole query-head groups: the heads that share a KV head run
  // one after another on one thread, so its cache rows come from memory
  // once and from L1/L2 for the others (about 10% less attention time in
  // decoding at 3 query heads a KV head).
  pool.parallelFor(
      0, p.seq * heads, heads / kvHeads, [&](int64_t first, int64_t last) {
        // Per-thread scratch, grown once and reused by later calls.
        thread_local std::vector<float> acc, scores;
        acc.resize(size_t(headDim));
        scores.resize(std::max(scores.size(), size_t(pos + p.seq)));
        for (int64_t item = first; item < last; ++item) {
#if LOOM_X86
          if (vectorized) {
            attendAvx512(p, item / heads, item % heads, acc.data(),
                         scores.data());
            continue;
          }
#endif
          attendPortable(p, item / heads, item % heads, acc.data());
        }
      });
  (void)vectorized;
}
