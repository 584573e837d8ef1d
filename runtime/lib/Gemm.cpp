//===- Gemm.cpp - C += A * B^T on the runtime's thread pool ---------------===//
//
// Two shapes matter for transformers: decode (M = 1..4 tokens), bound by
// reading the weights once, and prefill (M = prompt length), bound by
// arithmetic.
//
//  * Small M: each thread takes a range of weight rows and streams them once,
//    keeping M x 4 dot products in vector registers.
//  * Large M: weight rows are packed, k-major, into panels of NR = 32
//    columns of C (once, at load, for the model's weights); a 12 x 32
//    register tile of C accumulates KC steps of broadcast-FMA, reading 12
//    rows of activations in place and accumulating into C itself. Each
//    thread takes whole panels of columns and walks every 12-row strip
//    across them, so a strip stays in L1 while the panels come from L2.
//
// AVX-512 kernels are chosen at run time; other CPUs get portable loops.
//
// An activation in the product's epilogue is applied where C is finished and
// still in cache: each register tile after its last block of depth, each
// task's columns of a small product after its dot products.
//
//===----------------------------------------------------------------------===//

#include "loom/Activation.h"
#include "loom/Calibration.h"
#include "loom/Half.h"
#include "loom/Kernels.h"
#include "loom/LowRank.h"
#include "loom/Profile.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <sys/mman.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define LOOM_X86 1
#endif

using namespace loom;

namespace {

constexpr int64_t kMR = 12;  ///< rows of a register tile
constexpr int64_t kNR = 32;  ///< columns of a register tile (2 x 16 floats)
constexpr int64_t kKC = 256; ///< depth of a packed panel
/// How many steps of depth ahead the register tile prefetches its panel.
constexpr int64_t kPrefetchSteps = 32;
constexpr int64_t kMC = 96; ///< rows of A per pass over a B panel (kMR * n)
/// Up to this many rows of A, the weights are streamed without packing.
constexpr int64_t kSmallM = 4;

bool hasAvx512() {
#if LOOM_X86
  static const bool supported = __builtin_cpu_supports("avx512f");
  return supported;
#else
  return false;
#endif
}

/// Per-thread packing buffers, grown on demand and reused: the decode loop
/// allocates nothing after its first token.
struct Scratch {
  std::vector<float> a, b;
};
Scratch &getScratch() {
  thread_local Scratch scratch;
  return scratch;
}

/// Weights in the kernels' layout: panels of kNR rows of B ([n, k]), each
/// stored k-major (`data[(panel * k + p) * kNR + j]` = B[panel * kNR + j,
/// p], zero beyond n), so both kernels read it front to back. A view of
/// consecutive panels is a view of consecutive columns of C.
/// Panels hold f32, or f16/bf16 that the kernels widen as they read them
/// (half the bytes to stream in decoding).
struct PackedView {
  const void *data = nullptr;
  int64_t n = 0, k = 0;
  WeightType type = WeightType::F32;
  /// Offset, in elements, of depth p0 of panel `index`.
  int64_t offset(int64_t index, int64_t p0) const {
    return (index * k + p0) * kNR;
  }
  /// Depth p0 of panel `index` (f32 panels only).
  const float *panel(int64_t index, int64_t p0) const {
    return static_cast<const float *>(data) + offset(index, p0);
  }
  /// Element `index` (from the start of `data`) as a float.
  float element(int64_t index) const { return readWeight(data, type, index); }
  /// The view of panels from `index` on.
  PackedView from(int64_t index, int64_t columns) const {
    PackedView view = *this;
    view.data = static_cast<const char *>(data) +
                offset(index, 0) * weightTypeSize(type);
    view.n = columns;
    return view;
  }
};

/// A packed constant weight matrix; `storedKN` when the checkpoint holds it
/// as [k, n] (it is the same matrix B = stored^T).
struct PackedMatrix {
  int64_t n = 0, k = 0;
  bool storedKN = false;
  WeightType type = WeightType::F32;
  std::unique_ptr<char, void (*)(void *)> data{nullptr, std::free};
};

/// Memory reserved for packed matrices (`reservePackedMatrices`), in 2 MiB
/// pages where the kernel allows: a decode step streams every weight once,
/// and 4 KiB pages would cost a TLB miss every 4 KiB of that stream.
struct PackedArena {
  std::unique_ptr<char, void (*)(void *)> memory{nullptr, std::free};
  size_t size = 0, used = 0;
};
constexpr size_t kHugePage = size_t(2) << 20;

/// Bytes of a packed n x k matrix (whole panels, a cache line multiple).
size_t packedSize(int64_t n, int64_t k, WeightType type = WeightType::F32) {
  int64_t panels = (n + kNR - 1) / kNR;
  return (size_t(panels * k * kNR) * weightTypeSize(type) + 63) / 64 * 64;
}

/// Memory for a packed matrix of `bytes`: from the arena while it lasts.
std::unique_ptr<char, void (*)(void *)> allocatePacked(PackedArena &arena,
                                                       size_t bytes) {
  if (arena.memory && arena.size - arena.used >= bytes) {
    char *data = arena.memory.get() + arena.used;
    arena.used += bytes;
    return {data, [](void *) {}};
  }
  return {static_cast<char *>(std::aligned_alloc(64, bytes)), std::free};
}

} // namespace

/// One model instance's weight matrices in the kernels' layout, by the
/// address of their checkpoint layout. Filled when the instance opens, read
/// (without locking) while it runs.
struct loom::PackedMatrices {
  std::map<const float *, PackedMatrix> matrices;
  PackedArena arena;
};

namespace {

/// The packed copy of B if B is (columns of) a constant matrix packed in
/// `state`: B [n, k] at `b` with row stride `ldb`, or, with `bKN`, B^T [k, n].
std::optional<PackedView> findPacked(const KernelState &state, const float *b,
                                     int64_t n, int64_t k, int64_t ldb,
                                     bool bKN) {
  auto &matrices = state.packed->matrices;
  if (matrices.empty())
    return std::nullopt;
  auto it = matrices.upper_bound(b);
  if (it == matrices.begin())
    return std::nullopt;
  --it;
  const PackedMatrix &matrix = it->second;
  if (matrix.storedKN != bKN || matrix.k != k)
    return std::nullopt;
  // Addresses compared as integers: `b` may belong to another allocation.
  int64_t offset = int64_t(reinterpret_cast<uintptr_t>(b) -
                           reinterpret_cast<uintptr_t>(it->first)) /
                   int64_t(sizeof(float));
  if (!bKN) {
    if (offset != 0 || matrix.n != n || ldb != k)
      return std::nullopt;
    return PackedView{matrix.data.get(), n, k, matrix.type};
  }
  // Columns [offset, offset + n) of the stored [k, matrix.n] matrix: whole
  // panels only.
  if (ldb != matrix.n || offset % kNR != 0 || offset + n > matrix.n ||
      (n % kNR != 0 && offset + n != matrix.n))
    return std::nullopt;
  PackedView whole{matrix.data.get(), matrix.n, k, matrix.type};
  return whole.from(offset / kNR, n);
}

//===----------------------------------------------------------------------===//
// Small M: stream the weights.
//===----------------------------------------------------------------------===//

/// Portable dot products for rows [n0, n1) of C.
void smallPortable(int64_t m, int64_t n0, int64_t n1, int64_t k, const float *a,
                   int64_t lda, const float *b, int64_t ldb, float *c,
                   int64_t ldc) {
  for (int64_t j = n0; j < n1; ++j)
    for (int64_t i = 0; i < m; ++i) {
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p)
        sum += a[i * lda + p] * b[j * ldb + p];
      c[i * ldc + j] += sum;
    }
}

#if LOOM_X86
/// One activation row against weight rows [j, j + 4) read at once (four
/// streams keep more memory requests in flight than one), two accumulators
/// each.
__attribute__((target("avx512f"))) void gemvRows4Avx512(int64_t j, int64_t k,
                                                        const float *a,
                                                        const float *b,
                                                        int64_t ldb, float *c) {
  int64_t kVec = k & ~int64_t(31);
  const float *w[4];
  __m512 acc[4][2];
  for (int r = 0; r < 4; ++r) {
    w[r] = b + (j + r) * ldb;
    acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < kVec; p += 32) {
    __m512 x0 = _mm512_loadu_ps(a + p), x1 = _mm512_loadu_ps(a + p + 16);
    for (int r = 0; r < 4; ++r) {
      acc[r][0] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(w[r] + p), acc[r][0]);
      acc[r][1] =
          _mm512_fmadd_ps(x1, _mm512_loadu_ps(w[r] + p + 16), acc[r][1]);
    }
  }
  for (int r = 0; r < 4; ++r) {
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc[r][0], acc[r][1]));
    for (int64_t p = kVec; p < k; ++p)
      sum += a[p] * w[r][p];
    c[j + r] += sum;
  }
}

__attribute__((target("avx512f"))) void
smallAvx512(int64_t m, int64_t n0, int64_t n1, int64_t k, const float *a,
            int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc) {
  int64_t j = n0;
  if (m == 1)
    for (; j + 4 <= n1; j += 4)
      gemvRows4Avx512(j, k, a, b, ldb, c);
  // Otherwise one weight row at a time, read front to back, with four
  // independent accumulators per activation row.
  int64_t kVec = k & ~int64_t(63);
  for (; j < n1; ++j) {
    const float *w = b + j * ldb;
    __m512 acc[kSmallM][4];
    for (int64_t i = 0; i < m; ++i)
      for (int r = 0; r < 4; ++r)
        acc[i][r] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kVec; p += 64) {
      __m512 w0 = _mm512_loadu_ps(w + p);
      __m512 w1 = _mm512_loadu_ps(w + p + 16);
      __m512 w2 = _mm512_loadu_ps(w + p + 32);
      __m512 w3 = _mm512_loadu_ps(w + p + 48);
      for (int64_t i = 0; i < m; ++i) {
        const float *x = a + i * lda + p;
        acc[i][0] = _mm512_fmadd_ps(_mm512_loadu_ps(x), w0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(_mm512_loadu_ps(x + 16), w1, acc[i][1]);
        acc[i][2] = _mm512_fmadd_ps(_mm512_loadu_ps(x + 32), w2, acc[i][2]);
        acc[i][3] = _mm512_fmadd_ps(_mm512_loadu_ps(x + 48), w3, acc[i][3]);
      }
    }
    for (int64_t i = 0; i < m; ++i) {
      __m512 total = _mm512_add_ps(_mm512_add_ps(acc[i][0], acc[i][1]),
                                   _mm512_add_ps(acc[i][2], acc[i][3]));
      float sum = _mm512_reduce_add_ps(total);
      for (int64_t p = kVec; p < k; ++p)
        sum += a[i * lda + p] * w[p];
      c[i * ldc + j] += sum;
    }
  }
}
#endif

/// Small M on packed panels [first, last): C rows get 32 columns a panel.
void smallPackedPortable(int64_t m, int64_t first, int64_t last, const float *a,
                         int64_t lda, const PackedView &b, float *c,
                         int64_t ldc) {
  for (int64_t panel = first; panel < last; ++panel) {
    int64_t w = b.offset(panel, 0);
    int64_t nr = std::min(kNR, b.n - panel * kNR);
    for (int64_t i = 0; i < m; ++i) {
      float acc[kNR] = {};
      for (int64_t p = 0; p < b.k; ++p)
        for (int64_t j = 0; j < kNR; ++j)
          acc[j] += a[i * lda + p] * b.element(w + p * kNR + j);
      for (int64_t j = 0; j < nr; ++j)
        c[i * ldc + panel * kNR + j] += acc[j];
    }
  }
}

#if LOOM_X86
/// 16 panel elements from element `index` of `data`, as floats.
template <WeightType Type>
__attribute__((target("avx512f"))) inline __m512 load16(const void *data,
                                                        int64_t index) {
  if constexpr (Type == WeightType::F32) {
    return _mm512_loadu_ps(static_cast<const float *>(data) + index);
  } else {
    __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
        static_cast<const uint16_t *>(data) + index));
    if constexpr (Type == WeightType::BF16)
      return _mm512_castsi512_ps(
          _mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
    else
      return _mm512_cvtph_ps(bits);
  }
}

template <WeightType Type>
__attribute__((target("avx512f"))) void
smallPackedAvx512(int64_t m, int64_t first, int64_t last, const float *a,
                  int64_t lda, const PackedView &b, float *c, int64_t ldc) {
  for (int64_t panel = first; panel < last; ++panel) {
    int64_t w = b.offset(panel, 0);
    // Two accumulator sets (even and odd k) hide the FMA latency.
    __m512 acc[kSmallM][4];
    for (int64_t i = 0; i < m; ++i)
      for (int r = 0; r < 4; ++r)
        acc[i][r] = _mm512_setzero_ps();
    int64_t p = 0;
    for (; p + 2 <= b.k; p += 2, w += 2 * kNR) {
      __m512 w0 = load16<Type>(b.data, w), w1 = load16<Type>(b.data, w + 16);
      __m512 w2 = load16<Type>(b.data, w + 32);
      __m512 w3 = load16<Type>(b.data, w + 48);
      for (int64_t i = 0; i < m; ++i) {
        __m512 x0 = _mm512_set1_ps(a[i * lda + p]);
        __m512 x1 = _mm512_set1_ps(a[i * lda + p + 1]);
        acc[i][0] = _mm512_fmadd_ps(x0, w0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(x0, w1, acc[i][1]);
        acc[i][2] = _mm512_fmadd_ps(x1, w2, acc[i][2]);
        acc[i][3] = _mm512_fmadd_ps(x1, w3, acc[i][3]);
      }
    }
    for (; p < b.k; ++p, w += kNR) {
      __m512 w0 = load16<Type>(b.data, w), w1 = load16<Type>(b.data, w + 16);
      for (int64_t i = 0; i < m; ++i) {
        __m512 x = _mm512_set1_ps(a[i * lda + p]);
        acc[i][0] = _mm512_fmadd_ps(x, w0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(x, w1, acc[i][1]);
      }
    }
    int64_t nr = std::min(kNR, b.n - panel * kNR);
    for (int64_t i = 0; i < m; ++i) {
      float row[kNR];
      _mm512_storeu_ps(row, _mm512_add_ps(acc[i][0], acc[i][2]));
      _mm512_storeu_ps(row + 16, _mm512_add_ps(acc[i][1], acc[i][3]));
      float *out = c + i * ldc + panel * kNR;
      for (int64_t j = 0; j < nr; ++j)
        out[j] += row[j];
    }
  }
}
#endif

#if LOOM_X86
/// One row of A against panels [panel, panel + Streams): the thread reads
/// `Streams` weight streams at once, which keeps more memory requests in
/// flight than a single stream does (about 10% more bandwidth here).
template <int Streams, WeightType Type>
__attribute__((target("avx512f"))) void
gemvPanelsAvx512(int64_t panel, const float *a, const PackedView &b, float *c) {
  {
    int64_t w[Streams];
    __m512 acc[Streams][2];
    for (int s = 0; s < Streams; ++s) {
      w[s] = b.offset(panel + s, 0);
      acc[s][0] = acc[s][1] = _mm512_setzero_ps();
    }
    for (int64_t p = 0; p < b.k; ++p) {
      __m512 x = _mm512_set1_ps(a[p]);
      for (int s = 0; s < Streams; ++s) {
        acc[s][0] =
            _mm512_fmadd_ps(x, load16<Type>(b.data, w[s] + p * kNR), acc[s][0]);
        acc[s][1] = _mm512_fmadd_ps(
            x, load16<Type>(b.data, w[s] + p * kNR + 16), acc[s][1]);
      }
    }
    for (int s = 0; s < Streams; ++s) {
      int64_t j0 = (panel + s) * kNR;
      int64_t nr = std::min(kNR, b.n - j0);
      float row[kNR];
      _mm512_storeu_ps(row, acc[s][0]);
      _mm512_storeu_ps(row + 16, acc[s][1]);
      for (int64_t j = 0; j < nr; ++j)
        c[j0 + j] += row[j];
    }
  }
}

/// One row of A against panels [first, last), four streams at a time.
template <WeightType Type>
__attribute__((target("avx512f"))) void
gemvPackedAvx512(int64_t first, int64_t last, const float *a,
                 const PackedView &b, float *c) {
  int64_t panel = first;
  for (; panel + 4 <= last; panel += 4)
    gemvPanelsAvx512<4, Type>(panel, a, b, c);
  for (; panel + 2 <= last; panel += 2)
    gemvPanelsAvx512<2, Type>(panel, a, b, c);
  if (panel < last)
    gemvPanelsAvx512<1, Type>(panel, a, b, c);
}

/// Small M on packed panels [first, last) of any element type.
template <WeightType Type>
__attribute__((target("avx512f"))) void
smallPackedChunkAvx512(int64_t m, int64_t first, int64_t last, const float *a,
                       int64_t lda, const PackedView &b, float *c,
                       int64_t ldc) {
  if (m == 1)
    return gemvPackedAvx512<Type>(first, last, a, b, c);
  smallPackedAvx512<Type>(m, first, last, a, lda, b, c, ldc);
}
#endif

/// Small M on packed panels [first, last), on this CPU's best kernel.
void smallPackedChunk(int64_t m, int64_t first, int64_t last, const float *a,
                      int64_t lda, const PackedView &b, float *c, int64_t ldc) {
#if LOOM_X86
  if (hasAvx512()) {
    switch (b.type) {
    case WeightType::F32:
      return smallPackedChunkAvx512<WeightType::F32>(m, first, last, a, lda, b,
                                                     c, ldc);
    case WeightType::F16:
      return smallPackedChunkAvx512<WeightType::F16>(m, first, last, a, lda, b,
                                                     c, ldc);
    case WeightType::BF16:
      return smallPackedChunkAvx512<WeightType::BF16>(m, first, last, a, lda, b,
                                                      c, ldc);
    }
  }
#endif
  smallPackedPortable(m, first, last, a, lda, b, c, ldc);
}

void smallGemmPacked(ThreadPool &pool, int64_t m, const float *a, int64_t lda,
                     const PackedView &b, float *c, int64_t ldc,
                     Activation activation) {
  int64_t panels = (b.n + kNR - 1) / kNR;
  pool.parallelFor(0, panels, 2, [&](int64_t first, int64_t last) {
    smallPackedChunk(m, first, last, a, lda, b, c, ldc);
    int64_t j0 = first * kNR;
    applyActivation(activation, c + j0, m, std::min(b.n, last * kNR) - j0, ldc);
  });
}

void smallGemm(ThreadPool &pool, int64_t m, int64_t n, int64_t k,
               const float *a, int64_t lda, const float *b, int64_t ldb,
               float *c, int64_t ldc, Activation activation) {
  // Chunks of 64 weight rows: enough work per task, fine enough to balance.
  pool.parallelFor(0, n, 64, [&](int64_t n0, int64_t n1) {
#if LOOM_X86
    if (hasAvx512())
      smallAvx512(m, n0, n1, k, a, lda, b, ldb, c, ldc);
    else
#endif
      smallPortable(m, n0, n1, k, a, lda, b, ldb, c, ldc);
    applyActivation(activation, c + n0, m, n1 - n0, ldc);
  });
}

//===----------------------------------------------------------------------===//
// Large M: packed panels and a register-tiled kernel.
//===----------------------------------------------------------------------===//

/// Packs rows [r0, r0 + count) x depth [p0, p0 + kc) of a row-major matrix
/// into `out`, k-major in strips `width` wide (out[p * width + r] =
/// src[r0 + r, p0 + p]), zero-padding rows count..width.
void packRows(const float *src, int64_t ld, int64_t r0, int64_t count,
              int64_t p0, int64_t kc, int64_t width, float *out) {
  for (int64_t r = 0; r < count; ++r) {
    const float *row = src + (r0 + r) * ld + p0;
    for (int64_t p = 0; p < kc; ++p)
      out[p * width + r] = row[p];
  }
  for (int64_t r = count; r < width; ++r)
    for (int64_t p = 0; p < kc; ++p)
      out[p * width + r] = 0.0f;
}

/// Packs rows [j0, j0 + nr) x depth [p0, p0 + kc) of B into a panel of kNR
/// columns of C.
void packB(const float *b, int64_t ldb, int64_t j0, int64_t nr, int64_t p0,
           int64_t kc, float *out) {
  packRows(b, ldb, j0, nr, p0, kc, kNR, out);
}

/// Like packB for B given as [K, N] (`b[p * ldb + j]`): rows of the panel
/// are contiguous in B already.
void packBFromKN(const float *b, int64_t ldb, int64_t j0, int64_t nr,
                 int64_t p0, int64_t kc, float *out) {
  for (int64_t p = 0; p < kc; ++p) {
    const float *row = b + (p0 + p) * ldb + j0;
    float *panel = out + p * kNR;
    std::copy(row, row + nr, panel);
    std::fill(panel + nr, panel + kNR, 0.0f);
  }
}

/// Packs rows [i0, i0 + mr) x depth [p0, p0 + kc) of A into a strip of kMR
/// rows.
void packA(const float *a, int64_t lda, int64_t i0, int64_t mr, int64_t p0,
           int64_t kc, float *out) {
  packRows(a, lda, i0, mr, p0, kc, kMR, out);
}

/// tile[kMR x kNR] = Ap^T * Bp over `kc` steps (portable).
void tilePortable(int64_t kc, const float *ap, const float *bp, float *tile) {
  std::fill(tile, tile + kMR * kNR, 0.0f);
  for (int64_t p = 0; p < kc; ++p, ap += kMR, bp += kNR)
    for (int64_t i = 0; i < kMR; ++i)
      for (int64_t j = 0; j < kNR; ++j)
        tile[i * kNR + j] += ap[i] * bp[j];
}

#if LOOM_X86
/// The register tile: out[kMR x kNR] (row stride `ldo`) = (out if
/// `accumulate`, else 0) + A * Bp over `kc` steps. A is read in place, row
/// i at `a + i * lda` (`Packed`: a packA strip, `a[p * kMR + i]`).
template <bool Packed>
__attribute__((target("avx512f"))) void
tileAvx512(int64_t kc, const float *a, int64_t lda, const float *bp, float *out,
           int64_t ldo, bool accumulate) {
  __m512 c0[kMR], c1[kMR];
  for (int i = 0; i < kMR; ++i) {
    c0[i] = accumulate ? _mm512_loadu_ps(out + i * ldo) : _mm512_setzero_ps();
    c1[i] =
        accumulate ? _mm512_loadu_ps(out + i * ldo + 16) : _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < kc; ++p, bp += kNR) {
    // The panel 4 KiB ahead: the first strip to reach a panel reads it from
    // memory, and the prefetch hides that (+14% on 128-row products, +3% on
    // 512-row ones). Past the panel's end it only warms what comes next
    // (the address is formed as an integer: it may lie past the buffer, and
    // prefetches do not fault).
    uintptr_t ahead =
        reinterpret_cast<uintptr_t>(bp) + kPrefetchSteps * kNR * sizeof(float);
    _mm_prefetch(reinterpret_cast<const char *>(ahead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(ahead + 64), _MM_HINT_T0);
    __m512 b0 = _mm512_loadu_ps(bp);
    __m512 b1 = _mm512_loadu_ps(bp + 16);
    for (int i = 0; i < kMR; ++i) {
      __m512 x = _mm512_set1_ps(Packed ? a[p * kMR + i] : a[i * lda + p]);
      c0[i] = _mm512_fmadd_ps(x, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(x, b1, c1[i]);
    }
  }
  for (int i = 0; i < kMR; ++i) {
    _mm512_storeu_ps(out + i * ldo, c0[i]);
    _mm512_storeu_ps(out + i * ldo + 16, c1[i]);
  }
}
#endif

/// C[mr x nr] (row stride ldc) += tile[mr x nr] (row stride kNR), or = with
/// `overwrite`.
void addTile(const float *tile, int64_t mr, int64_t nr, float *c, int64_t ldc,
             bool overwrite) {
  for (int64_t r = 0; r < mr; ++r)
    for (int64_t q = 0; q < nr; ++q)
      c[r * ldc + q] = (overwrite ? 0.0f : c[r * ldc + q]) + tile[r * kNR + q];
}

/// Zeroes rows [0, m) x columns [0, n) of C.
void zeroRows(int64_t m, int64_t n, float *c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
}

/// Stores `count` elements (a multiple of 16) of half panels from element
/// `from` as floats.
#if LOOM_X86
template <WeightType Type>
__attribute__((target("avx512f"))) void
widenAvx512(const void *data, int64_t from, int64_t count, float *out) {
  for (int64_t e = 0; e < count; e += 16)
    _mm512_storeu_ps(out + e, load16<Type>(data, from + e));
}
#endif

void widenPanel(const PackedView &view, int64_t from, int64_t count, float *out,
                bool avx512) {
#if LOOM_X86
  if (avx512 && count % 16 == 0) {
    if (view.type == WeightType::BF16)
      return widenAvx512<WeightType::BF16>(view.data, from, count, out);
    if (view.type == WeightType::F16)
      return widenAvx512<WeightType::F16>(view.data, from, count, out);
  }
#endif
  (void)avx512;
  for (int64_t e = 0; e < count; ++e)
    out[e] = view.element(from + e);
}

/// Columns [n0, n1) of C for all M rows. `packed` is B in the kernels'
/// layout when it is a packed constant (n0 is then a multiple of kNR).
///
/// With AVX-512, whole 12 x 32 tiles read A in place and accumulate into C
/// in registers; only a last strip of fewer than 12 rows is packed (zero
/// padded), and tiles narrower than 32 columns go through a buffer.
void largeGemmColumns(int64_t m, int64_t n0, int64_t n1, int64_t k,
                      const float *a, int64_t lda, const float *b, int64_t ldb,
                      bool bKN, const PackedView *packed, float *c, int64_t ldc,
                      bool accumulate, Activation activation) {
  Scratch &scratch = getScratch();
  int64_t panels = (n1 - n0 + kNR - 1) / kNR;
  // Half panels are widened a depth block at a time, for all the rows.
  bool widen = packed && packed->type != WeightType::F32;
  if (!packed || widen)
    scratch.b.resize(size_t(panels * kNR * kKC));
  bool avx512 = hasAvx512();
  // Without AVX-512 every strip is packed; with it, only a partial one.
  scratch.a.resize(size_t((avx512 ? kMR : kMC) * kKC));
  float tile[kMR * kNR];
  for (int64_t p0 = 0; p0 < k; p0 += kKC) {
    int64_t kc = std::min(kKC, k - p0);
    // The first depth block writes C when the product overwrites it; the
    // last one finishes it (the epilogue's turn).
    bool overwrite = !accumulate && p0 == 0;
    bool last = p0 + kc == k;
    for (int64_t panel = 0; !packed && panel < panels; ++panel) {
      int64_t j0 = n0 + panel * kNR;
      (bKN ? packBFromKN : packB)(b, ldb, j0, std::min(kNR, n1 - j0), p0, kc,
                                  scratch.b.data() + panel * kNR * kKC);
    }
    for (int64_t panel = 0; widen && panel < panels; ++panel)
      widenPanel(*packed, packed->offset(n0 / kNR + panel, p0), kc * kNR,
                 scratch.b.data() + panel * kNR * kKC, avx512);
    for (int64_t i0 = 0; i0 < m; i0 += kMC) {
      int64_t mc = std::min(kMC, m - i0);
      int64_t fullRows = avx512 ? mc / kMR * kMR : 0;
      for (int64_t ii = fullRows; ii < mc; ii += kMR)
        packA(a, lda, i0 + ii, std::min(kMR, mc - ii), p0, kc,
              scratch.a.data() + (ii - fullRows) * kKC);
      for (int64_t ii = 0; ii < mc; ii += kMR) {
        int64_t mr = std::min(kMR, mc - ii);
        for (int64_t panel = 0; panel < panels; ++panel) {
          int64_t j0 = n0 + panel * kNR;
          int64_t nr = std::min(kNR, n1 - j0);
          const float *bp = packed && !widen
                                ? packed->panel(n0 / kNR + panel, p0)
                                : scratch.b.data() + panel * kNR * kKC;
          float *cTile = c + (i0 + ii) * ldc + j0;
#if LOOM_X86
          if (ii < fullRows) {
            const float *aTile = a + (i0 + ii) * lda + p0;
            if (nr == kNR) {
              tileAvx512<false>(kc, aTile, lda, bp, cTile, ldc, !overwrite);
            } else {
              tileAvx512<false>(kc, aTile, lda, bp, tile, kNR, false);
              addTile(tile, mr, nr, cTile, ldc, overwrite);
            }
          } else
#endif
          {
            const float *strip = scratch.a.data() + (ii - fullRows) * kKC;
#if LOOM_X86
            if (avx512)
              tileAvx512<true>(kc, strip, kMR, bp, tile, kNR, false);
            else
#endif
              tilePortable(kc, strip, bp, tile);
            addTile(tile, mr, nr, cTile, ldc, overwrite);
          }
          if (last)
            applyActivation(activation, cTile, mr, nr, ldc);
        }
      }
    }
  }
}

/// True when rows of A `lda` floats apart would crowd into a few sets of a
/// 4 KiB-periodic L1 cache (every row in the same set at 4 KiB multiples),
/// which slows the 12 row streams of the register tile.
bool conflictingRowStride(int64_t lda) { return lda % 512 == 0; }

void largeGemm(ThreadPool &pool, int64_t m, int64_t n, int64_t k,
               const float *a, int64_t lda, const float *b, int64_t ldb,
               bool bKN, const PackedView *packed, float *c, int64_t ldc,
               bool accumulate, Activation activation) {
  if (hasAvx512() && conflictingRowStride(lda)) {
    // Copy A with a cache line of padding per row (the caller's buffer: a
    // product may run inside another's chunk).
    thread_local std::vector<float> padded;
    int64_t paddedLda = k + 16;
    padded.resize(std::max(padded.size(), size_t(m * paddedLda)));
    float *out = padded.data();
    pool.parallelFor(0, m, 16, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i)
        std::copy(a + i * lda, a + i * lda + k, out + i * paddedLda);
    });
    a = out;
    lda = paddedLda;
  }
  // Split the columns into whole panels, at least two per task.
  int64_t panels = (n + kNR - 1) / kNR;
  pool.parallelFor(0, panels, 2, [&](int64_t first, int64_t last) {
    largeGemmColumns(m, first * kNR, std::min(n, last * kNR), k, a, lda, b, ldb,
                     bKN, packed, c, ldc, accumulate, activation);
  });
}

} // namespace

loom_kernel_state::loom_kernel_state(int64_t numThreads)
    : pool(numThreads), packed(std::make_unique<PackedMatrices>()),
      lowRank(std::make_unique<LowRankCache>()) {}

loom_kernel_state::~loom_kernel_state() = default;

extern "C" void loom_parallel_loop(loom_context *context,
                                   void (*task)(void *, int64_t, int64_t),
                                   void *taskContext, int64_t begin,
                                   int64_t end, int64_t grain) {
  context->kernels->pool.run(begin, end, grain, task, taskContext);
}

/// What both products do first: clears C where the kernels that follow only
/// add to it (a few rows, cheap; larger products write C directly), and
/// says whether there is any product left to compute. Without one (k = 0),
/// C is final: the activation is applied here.
static bool startProduct(int64_t m, int64_t n, int64_t k, float *c, int64_t ldc,
                         bool accumulate, Activation activation) {
  if (m == 0 || n == 0)
    return false;
  if (!accumulate && (m <= kSmallM || k == 0))
    zeroRows(m, n, c, ldc);
  if (k == 0)
    applyActivation(activation, c, m, n, ldc);
  return k != 0;
}

void loom::sgemmNT(KernelState &state, int64_t m, int64_t n, int64_t k,
                   const float *a, int64_t lda, const float *b, int64_t ldb,
                   float *c, int64_t ldc, bool accumulate,
                   Activation activation) {
  if (!startProduct(m, n, k, c, ldc, accumulate, activation))
    return;
  std::optional<PackedView> packed =
      findPacked(state, b, n, k, ldb, /*bKN=*/false);
  if (m <= kSmallM)
    return packed ? smallGemmPacked(state.pool, m, a, lda, *packed, c, ldc,
                                    activation)
                  : smallGemm(state.pool, m, n, k, a, lda, b, ldb, c, ldc,
                              activation);
  largeGemm(state.pool, m, n, k, a, lda, b, ldb, /*bKN=*/false,
            packed ? &*packed : nullptr, c, ldc, accumulate, activation);
}

/// Small M with B as [K, N]: C rows accumulate scaled rows of B, which are
/// read front to back; the loop over columns vectorizes.
#define LOOM_SMALL_NN_BODY                                                     \
  for (int64_t i = 0; i < m; ++i) {                                            \
    float *out = c + i * ldc;                                                  \
    for (int64_t p = 0; p < k; ++p) {                                          \
      float x = a[i * lda + p];                                                \
      const float *row = b + p * ldb;                                          \
      for (int64_t j = n0; j < n1; ++j)                                        \
        out[j] += x * row[j];                                                  \
    }                                                                          \
  }

static void smallNNPortable(int64_t m, int64_t n0, int64_t n1, int64_t k,
                            const float *a, int64_t lda, const float *b,
                            int64_t ldb, float *c, int64_t ldc) {
  LOOM_SMALL_NN_BODY
}

#if LOOM_X86
__attribute__((target("avx512f"))) static void
smallNNAvx512(int64_t m, int64_t n0, int64_t n1, int64_t k, const float *a,
              int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc) {
  LOOM_SMALL_NN_BODY
}
#endif
#undef LOOM_SMALL_NN_BODY

void loom::sgemmNN(KernelState &state, int64_t m, int64_t n, int64_t k,
                   const float *a, int64_t lda, const float *b, int64_t ldb,
                   float *c, int64_t ldc, bool accumulate,
                   Activation activation) {
  if (!startProduct(m, n, k, c, ldc, accumulate, activation))
    return;
  std::optional<PackedView> packed =
      findPacked(state, b, n, k, ldb, /*bKN=*/true);
  if (m <= kSmallM && packed)
    return smallGemmPacked(state.pool, m, a, lda, *packed, c, ldc, activation);
  if (m > kSmallM)
    return largeGemm(state.pool, m, n, k, a, lda, b, ldb, /*bKN=*/true,
                     packed ? &*packed : nullptr, c, ldc, accumulate,
                     activation);
  // Column chunks of 256 floats: each thread streams its part of every row.
  state.pool.parallelFor(0, n, 256, [&](int64_t n0, int64_t n1) {
#if LOOM_X86
    if (hasAvx512())
      smallNNAvx512(m, n0, n1, k, a, lda, b, ldb, c, ldc);
    else
#endif
      smallNNPortable(m, n0, n1, k, a, lda, b, ldb, c, ldc);
    applyActivation(activation, c + n0, m, n1 - n0, ldc);
  });
}

size_t loom::panelMatrixFloats(int64_t n, int64_t k) {
  return size_t((n + kNR - 1) / kNR * k * kNR);
}

void loom::packPanels(const float *b, int64_t ldb, int64_t n, int64_t k,
                      bool bKN, float *out) {
  int64_t panels = (n + kNR - 1) / kNR;
  for (int64_t panel = 0; panel < panels; ++panel) {
    int64_t j0 = panel * kNR;
    (bKN ? packBFromKN : packB)(b, ldb, j0, std::min(kNR, n - j0), 0, k,
                                out + panel * k * kNR);
  }
}

void loom::sgemmPanels(ThreadPool &pool, int64_t m, int64_t n, int64_t k,
                       const float *a, int64_t lda, const PanelMatrix &b,
                       float *c, int64_t ldc, bool accumulate) {
  if (m == 0 || n == 0)
    return;
  if (k == 0) {
    if (!accumulate)
      zeroRows(m, n, c, ldc);
    return;
  }
  // The large path reads panels by `view.k` (their depth as packed) and
  // runs `k` steps; every M goes through it.
  PackedView view{b.data, b.n, b.k, WeightType::F32};
  largeGemm(pool, m, n, k, a, lda, /*b=*/nullptr, /*ldb=*/0, /*bKN=*/false,
            &view, c, ldc, accumulate, Activation::None);
}

void loom::reservePackedMatrices(KernelState &state,
                                 const std::vector<PackedShape> &shapes) {
  size_t total = 0;
  for (const PackedShape &shape : shapes)
    if (shape.n > 0)
      total += packedSize(shape.n, shape.k, shape.type);
  PackedArena &arena = state.packed->arena;
  if (total == 0 || arena.memory)
    return;
  size_t rounded = (total + kHugePage - 1) / kHugePage * kHugePage;
  void *memory = std::aligned_alloc(kHugePage, rounded);
  if (!memory)
    return;
#if defined(MADV_HUGEPAGE)
  // Before the first touch, so the pages are huge from the start.
  madvise(memory, rounded, MADV_HUGEPAGE);
#endif
  arena.memory.reset(static_cast<char *>(memory));
  arena.size = rounded;
  arena.used = 0;
}

int64_t loom::packConstantMatrix(KernelState &state, const float *b, int64_t n,
                                 int64_t k, bool storedKN) {
  return packConstantMatrix(state, b, b, WeightType::F32, n, k, storedKN,
                            WeightType::F32);
}

int64_t loom::packConstantMatrix(KernelState &state, const void *key,
                                 const void *data, WeightType dataType,
                                 int64_t n, int64_t k, bool storedKN,
                                 WeightType panelType) {
  auto &matrices = state.packed->matrices;
  auto *address = static_cast<const float *>(key);
  if (matrices.count(address))
    return 0;
  int64_t panels = (n + kNR - 1) / kNR;
  size_t bytes = packedSize(n, k, panelType);
  PackedMatrix packed;
  packed.n = n;
  packed.k = k;
  packed.storedKN = storedKN;
  packed.type = panelType;
  packed.data = allocatePacked(state.packed->arena, bytes);
  char *out = packed.data.get();
  bool plain = dataType == WeightType::F32 && panelType == WeightType::F32;
  state.pool.parallelFor(0, panels, 4, [&](int64_t first, int64_t last) {
    for (int64_t panel = first; panel < last; ++panel) {
      int64_t j0 = panel * kNR, nr = std::min(kNR, n - j0);
      if (plain) {
        float *to = reinterpret_cast<float *>(out) + panel * k * kNR;
        auto *from = static_cast<const float *>(data);
        if (storedKN)
          packBFromKN(from, n, j0, nr, 0, k, to);
        else
          packB(from, k, j0, nr, 0, k, to);
        continue;
      }
      // Element (j, p) of B is data[j * k + p], or data[p * n + j]
      // stored [k, n]; columns past n are zero.
      int64_t base = panel * k * kNR;
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < kNR; ++j) {
          float value = 0.0f;
          if (j < nr)
            value = readWeight(data, dataType,
                               storedKN ? p * n + j0 + j : (j0 + j) * k + p);
          writeWeight(out, panelType, base + p * kNR + j, value);
        }
    }
  });
  matrices.emplace(address, std::move(packed));
  return int64_t(bytes);
}

bool loom::readPackedRow(const KernelState &state, const float *key,
                         int64_t row, int64_t k, float *out) {
  auto it = state.packed->matrices.find(key);
  if (it == state.packed->matrices.end())
    return false;
  const PackedMatrix &matrix = it->second;
  PackedView view{matrix.data.get(), matrix.n, matrix.k, matrix.type};
  if (matrix.storedKN) {
    // Stored [k, n]: a stored row is depth `row` of every panel.
    if (matrix.n != k || row < 0 || row >= matrix.k)
      return false;
    for (int64_t j = 0; j < k; ++j)
      out[j] = view.element(view.offset(j / kNR, row) + j % kNR);
    return true;
  }
  if (matrix.k != k || row < 0 || row >= matrix.n)
    return false;
  // Row `row` of B is lane row % kNR of panel row / kNR, one element per
  // step of depth.
  int64_t base = view.offset(row / kNR, 0) + row % kNR;
  for (int64_t p = 0; p < k; ++p)
    out[p] = view.element(base + p * kNR);
  return true;
}

void loom::clearPackedMatrices(KernelState &state) {
  state.packed->matrices.clear();
  PackedArena &arena = state.packed->arena;
  arena.memory.reset();
  arena.size = arena.used = 0;
}

/// When B lies inside a packed matrix but is not a view the kernels read in
/// place: its elements, gathered from the packed copy into `out` as [n, k]
/// (the matrix's own layout may be half precision, reserved address space,
/// or given back to the system). Null when B is no packed matrix's.
static const float *unpackView(const KernelState &state, const float *b,
                               int64_t n, int64_t k, int64_t ldb, int64_t inner,
                               bool bKN, std::vector<float> &out) {
  auto &matrices = state.packed->matrices;
  auto it = matrices.upper_bound(b);
  if (it == matrices.begin())
    return nullptr;
  --it;
  const PackedMatrix &matrix = it->second;
  int64_t offset = int64_t(reinterpret_cast<uintptr_t>(b) -
                           reinterpret_cast<uintptr_t>(it->first)) /
                   int64_t(sizeof(float));
  if (offset >= matrix.n * matrix.k)
    return nullptr;
  PackedView whole{matrix.data.get(), matrix.n, matrix.k, matrix.type};
  out.resize(size_t(n * k));
  for (int64_t j = 0; j < n; ++j)
    for (int64_t p = 0; p < k; ++p) {
      // Index into the matrix as stored, then its row of B and depth.
      int64_t index =
          offset + (bKN ? p * ldb + j * inner : j * ldb + p * inner);
      int64_t row = matrix.storedKN ? index % matrix.n : index / matrix.k;
      int64_t depth = matrix.storedKN ? index / matrix.n : index % matrix.k;
      out[size_t(j * k + p)] =
          whole.element(whole.offset(row / kNR, depth) + row % kNR);
    }
  return out.data();
}

/// The C interface of both products: B is [n, k] (`bKN` false) or [k, n];
/// C is added to, or overwritten without `accumulate`. Views with a non-unit
/// inner stride, which generated code does not pass, take plain loops.
static void sgemmMemRefs(KernelState &state, MemRef<float, 2> *a,
                         MemRef<float, 2> *b, MemRef<float, 2> *c, bool bKN,
                         bool accumulate, Activation activation) {
  const float *pa = a->aligned + a->offset;
  const float *pb = b->aligned + b->offset;
  float *pc = c->aligned + c->offset;
  int64_t m = a->sizes[0], k = a->sizes[1];
  int64_t n = bKN ? b->sizes[1] : b->sizes[0];
  if (state.statistics && a->strides[1] == 1)
    state.statistics->record(b->aligned, pa, a->strides[0], m, k, &state.pool);
  bool small = m <= kSmallM;
  ProfileScope profile(small ? ProfileEntry::Gemv : ProfileEntry::Gemm,
                       small ? double(n) * double(k) * sizeof(float)
                             : 2.0 * double(m) * double(n) * double(k),
                       {m, n, k});
  bool unitB = b->strides[1] == 1;
  // B inside a packed matrix, in a view the kernels cannot read in place:
  // its elements come from the packed copy (the matrix's own layout may be
  // half precision, reserved address space, or given back).
  const float *copy = nullptr;
  thread_local std::vector<float> unpacked;
  if (!unitB || !findPacked(state, pb, n, k, b->strides[0], bKN))
    copy = unpackView(state, pb, n, k, b->strides[0], b->strides[1], bKN,
                      unpacked);
  if (a->strides[1] == 1 && c->strides[1] == 1 && (copy || unitB)) {
    if (copy)
      return sgemmNT(state, m, n, k, pa, a->strides[0], copy, k, pc,
                     c->strides[0], accumulate, activation);
    (bKN ? sgemmNN : sgemmNT)(state, m, n, k, pa, a->strides[0], pb,
                              b->strides[0], pc, c->strides[0], accumulate,
                              activation);
    return;
  }
  // B[j, p] in either layout.
  int64_t strideJ = bKN ? b->strides[1] : b->strides[0];
  int64_t strideP = bKN ? b->strides[0] : b->strides[1];
  if (copy) {
    pb = copy;
    strideJ = k;
    strideP = 1;
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p)
        sum += pa[i * a->strides[0] + p * a->strides[1]] *
               pb[j * strideJ + p * strideP];
      float &out = pc[i * c->strides[0] + j * c->strides[1]];
      out = (accumulate ? out : 0.0f) + sum;
      applyActivation(activation, &out, 1, 1, 1);
    }
}

/// The entry points generated code calls: B as [k, n] (`nn`) or [n, k]
/// (`nt`); C added to, or overwritten (`_overwrite`); then the activation
/// `activationId` (LOOM_ACTIVATION_*).
#define LOOM_SGEMM_ENTRY(NAME, B_KN, ACCUMULATE)                               \
  extern "C" void _mlir_ciface_##NAME(                                         \
      loom_context *context, MemRef<float, 2> *a, MemRef<float, 2> *b,         \
      MemRef<float, 2> *c, int64_t activationId) {                             \
    std::optional<Activation> activation = activationFromId(activationId);     \
    if (!activation)                                                           \
      badKernelCall(#NAME,                                                     \
                    "unknown activation " + std::to_string(activationId));     \
    sgemmMemRefs(*context->kernels, a, b, c, B_KN, ACCUMULATE, *activation);   \
  }
LOOM_SGEMM_ENTRY(loom_sgemm_nn, /*bKN=*/true, /*accumulate=*/true)
LOOM_SGEMM_ENTRY(loom_sgemm_nt, /*bKN=*/false, /*accumulate=*/true)
LOOM_SGEMM_ENTRY(loom_sgemm_nn_overwrite, /*bKN=*/true, /*accumulate=*/false)
LOOM_SGEMM_ENTRY(loom_sgemm_nt_overwrite, /*bKN=*/false, /*accumulate=*/false)
#undef LOOM_SGEMM_ENTRY
