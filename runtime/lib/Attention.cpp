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

#include <algorithm>
#include <cmath>
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

/// One (token, head) pair.
void attendOne(const AttentionProblem &p, int64_t token, int64_t head,
               float *acc, bool avx512) {
  int64_t group = p.heads / p.kvHeads;
  int64_t kvHead = head / group;
  const float *query = p.q + token * p.qStride + head * p.headDim;
  int64_t context = p.causal ? p.pos + token + 1 : p.pos + p.seq;
  float scale = 1.0f / std::sqrt(float(p.headDim));
  float maximum = -INFINITY, total = 0.0f;
  std::fill(acc, acc + p.headDim, 0.0f);
  for (int64_t j = 0; j < context; ++j) {
    const float *key = p.keys + j * p.cacheRowStride + kvHead * p.headDim;
    const float *value = p.values + j * p.cacheRowStride + kvHead * p.headDim;
#if LOOM_X86
    float score = (avx512 ? dotAvx512(query, key, p.headDim)
                          : dotPortable(query, key, p.headDim)) *
                  scale;
#else
    float score = dotPortable(query, key, p.headDim) * scale;
#endif
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

} // namespace

extern "C" void
_mlir_ciface_loom_attention(MemRef<float, 2> *q, MemRef<float, 3> *keyCache,
                            MemRef<float, 3> *valueCache, MemRef<float, 2> *out,
                            int64_t pos, int64_t slot, int64_t heads,
                            int64_t kvHeads, int64_t headDim, int64_t causal) {
  AttentionProblem p;
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
#if LOOM_X86
  static const bool avx512 = __builtin_cpu_supports("avx512f");
#else
  constexpr bool avx512 = false;
#endif
  getKernelThreadPool().parallelFor(
      0, p.seq * heads, 1, [&](int64_t first, int64_t last) {
        thread_local std::vector<float> acc;
        acc.resize(size_t(headDim));
        for (int64_t item = first; item < last; ++item)
          attendOne(p, item / heads, item % heads, acc.data(), avx512);
      });
}
