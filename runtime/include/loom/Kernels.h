//===- Kernels.h - Matrix kernels called by generated code ------*- C++ -*-===//
//
// Generated code computes every linear layer, `C += A * B^T` with A the
// activations [M, K] and B the weights [N, K] as stored in the checkpoint,
// by calling `loom_sgemm_nt` (through a `library_call` on the contraction).
// It lives here because it needs the runtime's thread pool and a packed,
// register-blocked inner kernel that the MLIR pipeline does not yet emit;
// the generated loops remain as the reference (`loomc --kernels=generated`).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_KERNELS_H
#define LOOM_KERNELS_H

#include "loom/Model.h"
#include "loom/ThreadPool.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace loom {

/// The pool the kernels run on: `LOOM_NUM_THREADS` threads, else every
/// core, unless `setKernelThreads` chose a count before first use.
ThreadPool &getKernelThreadPool();

/// Sets the kernels' thread count (0: the default). Takes effect only before
/// the first kernel runs.
void setKernelThreads(int64_t count);

/// Packs the constant weight matrix `b` ([n, k], row-major, contiguous; or
/// stored transposed as [k, n] with `storedKN`) into the kernels' layout,
/// once; later products with `b` (or, stored [k, n], with column blocks of
/// it) read the packed copy, found by address. Returns the bytes allocated.
int64_t packConstantMatrix(const float *b, int64_t n, int64_t k,
                           bool storedKN = false);

/// A matrix B packed by the caller with `packPanels`, for products over a
/// prefix of its columns (n) or of its depth (k) without packing it again.
struct PanelMatrix {
  const float *data;
  int64_t n, k; ///< as packed
};

/// Floats `packPanels` writes for an n x k matrix.
size_t panelMatrixFloats(int64_t n, int64_t k);

/// Packs B ([n, k] with row stride `ldb`, or [k, n] with `bKN`) into `out`
/// in the kernels' panel layout.
void packPanels(const float *b, int64_t ldb, int64_t n, int64_t k, bool bKN,
                float *out);

/// `C[m, n] (+)= A[m, k] * B^T` for B packed by `packPanels`, n <= b.n and
/// k <= b.k (the first columns and the first steps of depth).
void sgemmPanels(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                 const PanelMatrix &b, float *c, int64_t ldc,
                 bool accumulate = true);

/// Reserves memory, in huge pages where the system allows, for packing the
/// matrices of `shapes` ({n, k} each) with `packConstantMatrix`: a decode
/// step streams every packed weight once, and on 4 KiB pages that stream
/// would miss the TLB every 4 KiB. Optional; packing allocates on its own
/// once the reservation is used up.
void reservePackedMatrices(
    const std::vector<std::pair<int64_t, int64_t>> &shapes);

/// Forgets every packed matrix (their addresses may be reused) and frees
/// the reserved memory.
void clearPackedMatrices();

/// `C[m, n] += sum_k A[m, k] * B[n, k]` for row-major strided matrices
/// (`=` without `accumulate`: C's old values are not read).
void sgemmNT(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
             const float *b, int64_t ldb, float *c, int64_t ldc,
             bool accumulate = true);

/// `C[m, n] += sum_k A[m, k] * B[k, n]`: weights stored [in, out] (GPT-2's
/// Conv1D), used without transposing them.
void sgemmNN(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
             const float *b, int64_t ldb, float *c, int64_t ldc,
             bool accumulate = true);

} // namespace loom

extern "C" {
/// Runs `task(context, first, last)` over chunks of [begin, end) of at least
/// `grain` indices on the kernels' thread pool: the outer dimension of a
/// parallel loop in generated code (`loom-lower-parallel-calls`).
void loom_parallel_loop(void (*task)(void *context, int64_t first,
                                     int64_t last),
                        void *context, int64_t begin, int64_t end,
                        int64_t grain);

/// The library call generated code makes (MLIR C interface).
void _mlir_ciface_loom_sgemm_nt(loom::MemRef<float, 2> *a,
                                loom::MemRef<float, 2> *b,
                                loom::MemRef<float, 2> *c);

/// `C += A * B` with B as [K, N] (MLIR C interface).
void _mlir_ciface_loom_sgemm_nn(loom::MemRef<float, 2> *a,
                                loom::MemRef<float, 2> *b,
                                loom::MemRef<float, 2> *c);

/// `C = A * B^T` and `C = A * B`: C's old values are not read (generated
/// code calls these instead of zero-filling C first).
void _mlir_ciface_loom_sgemm_nt_overwrite(loom::MemRef<float, 2> *a,
                                          loom::MemRef<float, 2> *b,
                                          loom::MemRef<float, 2> *c);
void _mlir_ciface_loom_sgemm_nn_overwrite(loom::MemRef<float, 2> *a,
                                          loom::MemRef<float, 2> *b,
                                          loom::MemRef<float, 2> *c);

/// Attention of `q` ([seq, heads * headDim]) over rows [0, pos + seq) of KV
/// cache slot `slot` (the new rows already written), into `out`; causal
/// masks positions after each token's own.
void _mlir_ciface_loom_attention(loom::MemRef<float, 2> *q,
                                 loom::MemRef<float, 3> *keyCache,
                                 loom::MemRef<float, 3> *valueCache,
                                 loom::MemRef<float, 2> *out, int64_t pos,
                                 int64_t slot, int64_t heads, int64_t kvHeads,
                                 int64_t headDim, int64_t causal);
}

#endif // LOOM_KERNELS_H
