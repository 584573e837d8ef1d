//===- Kernels.h - Matrix kernels called by generated code ------*- C++ -*-===//
//
// Generated code computes every linear layer, `C += A * B^T` with A the
// activations [M, K] and B the weights [N, K] as stored in the checkpoint,
// by calling `loom_sgemm_nt` (through a `library_call` on the contraction).
// It lives here because it needs the runtime's thread pool and a packed,
// register-blocked inner kernel that the MLIR pipeline does not yet emit;
// the generated loops remain as the reference (`loomc --kernels=generated`).
//
// The kernels keep no state of their own: each model instance owns a
// `KernelState` (its threads and its packed weights), which generated code
// passes back through the model context (loom_abi.h).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_KERNELS_H
#define LOOM_KERNELS_H

#include "loom/Activation.h"
#include "loom/EarlyExit.h"
#include "loom/Model.h"
#include "loom/ThreadPool.h"
#include "loom/loom_abi.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace loom {
struct PackedMatrices;
struct LowRankCache;
class ActivationStatistics;

/// Element types of weight data: as a checkpoint stores it, and as packed
/// panels hold it (the kernels widen F16/BF16 to f32 as they read it).
enum class WeightType { F32, F16, BF16 };

/// Bytes of one element of `type`.
inline size_t weightTypeSize(WeightType type) {
  return type == WeightType::F32 ? 4 : 2;
}

/// Element `index` of `data` of `type`, as a float.
float readWeight(const void *data, WeightType type, int64_t index);

/// Stores `value` as element `index` of `data` of `type` (rounded to nearest
/// even).
void writeWeight(void *data, WeightType type, int64_t index, float value);

/// The first of the `count` elements of `data` (of `type`) that f16 cannot
/// hold: an F32 or BF16 value that is finite but beyond ±65504, which
/// rounding to f16 makes infinite, or an infinity in F16 data (such a
/// rounding's result); none if every element fits.
std::optional<int64_t> firstBeyondHalf(const void *data, WeightType type,
                                       int64_t count);
} // namespace loom

/// What the kernels of one model instance share (`loom_context::kernels`):
/// the threads they run on and the weight matrices packed for them.
struct loom_kernel_state {
  /// A pool of `numThreads` threads (0: `LOOM_NUM_THREADS`, else every
  /// core) and no packed matrices.
  explicit loom_kernel_state(int64_t numThreads = 0);
  ~loom_kernel_state();
  loom_kernel_state(const loom_kernel_state &) = delete;
  loom_kernel_state &operator=(const loom_kernel_state &) = delete;

  /// A table read by rows that lives in half precision, not packed.
  struct HalfRows {
    const void *data;
    loom::WeightType type;
  };

  loom::ThreadPool pool;
  std::unique_ptr<loom::PackedMatrices> packed;
  /// Half-precision tables by the address the generated code passes for
  /// them (the embedding kernel reads their rows).
  std::map<const float *, HalfRows> halfRows;
  /// When set, the products record the statistics of their inputs (a
  /// calibration run).
  loom::ActivationStatistics *statistics = nullptr;
  /// Quantized matrices rearranged for the kernels
  /// (`interleaveQuantizedMatrix`), by address.
  std::set<const void *> interleavedQuantized;
  /// Weights' decompositions waiting for their second factor
  /// (`loom_low_rank`).
  std::unique_ptr<loom::LowRankCache> lowRank;
  /// The adaptive loop running now, its settings and counts.
  loom::ExitState earlyExit;
};

namespace loom {

using KernelState = loom_kernel_state;

/// Packs the constant weight matrix `b` ([n, k], row-major, contiguous; or
/// stored transposed as [k, n] with `storedKN`) into the kernels' layout,
/// once per `state`; later products in `state` with `b` (or, stored [k, n],
/// with column blocks of it) read the packed copy, found by address.
/// Returns the bytes allocated.
int64_t packConstantMatrix(KernelState &state, const float *b, int64_t n,
                           int64_t k, bool storedKN = false);

/// The general form: the matrix's data is `data` of `dataType` (F32, or
/// F16/BF16 converted as it is packed), its panels hold `panelType`, and
/// products find it by `key`, an address the generated code passes for it
/// (its f32 data, or a reserved range of n * k floats when it has none).
int64_t packConstantMatrix(KernelState &state, const void *key,
                           const void *data, WeightType dataType, int64_t n,
                           int64_t k, bool storedKN, WeightType panelType);

/// A matrix to reserve packing memory for.
struct PackedShape {
  int64_t n = 0, k = 0;
  WeightType type = WeightType::F32;
};

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
/// k <= b.k (the first columns and the first steps of depth), on `pool`.
void sgemmPanels(ThreadPool &pool, int64_t m, int64_t n, int64_t k,
                 const float *a, int64_t lda, const PanelMatrix &b, float *c,
                 int64_t ldc, bool accumulate = true);

/// Reserves memory, in huge pages where the system allows, for packing the
/// matrices of `shapes` ({n, k} each) with `packConstantMatrix`: a decode
/// step streams every packed weight once, and on 4 KiB pages that stream
/// would miss the TLB every 4 KiB. Optional; packing allocates on its own
/// once the reservation is used up.
void reservePackedMatrices(KernelState &state,
                           const std::vector<PackedShape> &shapes);

/// Forgets every matrix packed in `state` (their addresses may be reused)
/// and frees the reserved memory.
void clearPackedMatrices(KernelState &state);

/// Writes row `row` ([k] floats) of the matrix packed in `state` under
/// `key` ([n, k], not stored transposed) to `out`; false if there is none.
bool readPackedRow(const KernelState &state, const float *key, int64_t row,
                   int64_t k, float *out);

/// `C[m, n] += sum_k A[m, k] * B[n, k]` for row-major strided matrices
/// (`=` without `accumulate`: C's old values are not read), then
/// `activation` on every element of C, on `state`'s threads and with its
/// packed copy of B if it has one.
void sgemmNT(KernelState &state, int64_t m, int64_t n, int64_t k,
             const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
             int64_t ldc, bool accumulate = true,
             Activation activation = Activation::None);

/// `C[m, n] += sum_k A[m, k] * B[k, n]`: weights stored [in, out] (GPT-2's
/// Conv1D), used without transposing them.
void sgemmNN(KernelState &state, int64_t m, int64_t n, int64_t k,
             const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
             int64_t ldc, bool accumulate = true,
             Activation activation = Activation::None);

} // namespace loom

/// The kernels generated code calls (LOOM_KERNEL_* in loom_abi.h), each with
/// the model context first.
extern "C" {
/// Runs `task(taskContext, first, last)` over chunks of [begin, end) of at
/// least `grain` indices on the context's threads: the outer dimension of a
/// parallel loop in generated code (`loom-lower-parallel-calls`).
void loom_parallel_loop(loom_context *context,
                        void (*task)(void *taskContext, int64_t first,
                                     int64_t last),
                        void *taskContext, int64_t begin, int64_t end,
                        int64_t grain);

/// The library call generated code makes (MLIR C interface): `C += A * B^T`,
/// then the activation `activation` (LOOM_ACTIVATION_*) on each element.
void _mlir_ciface_loom_sgemm_nt(loom_context *context,
                                loom::MemRef<float, 2> *a,
                                loom::MemRef<float, 2> *b,
                                loom::MemRef<float, 2> *c, int64_t activation);

/// `C += A * B` with B as [K, N] (MLIR C interface), then the activation.
void _mlir_ciface_loom_sgemm_nn(loom_context *context,
                                loom::MemRef<float, 2> *a,
                                loom::MemRef<float, 2> *b,
                                loom::MemRef<float, 2> *c, int64_t activation);

/// `C = A * B^T` and `C = A * B`, then the activation: C's old values are
/// not read (generated code calls these instead of zero-filling C first).
void _mlir_ciface_loom_sgemm_nt_overwrite(loom_context *context,
                                          loom::MemRef<float, 2> *a,
                                          loom::MemRef<float, 2> *b,
                                          loom::MemRef<float, 2> *c,
                                          int64_t activation);
void _mlir_ciface_loom_sgemm_nn_overwrite(loom_context *context,
                                          loom::MemRef<float, 2> *a,
                                          loom::MemRef<float, 2> *b,
                                          loom::MemRef<float, 2> *c,
                                          int64_t activation);

/// `out[i] = table[ids[i]]`, reading the table where the context keeps it:
/// packed (a table tied to the LM head), in half precision, or as f32.
void _mlir_ciface_loom_embedding(loom_context *context,
                                 loom::MemRef<float, 2> *table,
                                 loom::MemRef<int32_t, 1> *ids,
                                 loom::MemRef<float, 2> *out);

/// A layer's input (`output` 0) or output (1) shown to a calibration run
/// (`loom_observe`); returns at once outside one.
void _mlir_ciface_loom_observe(loom_context *context, loom::MemRef<float, 2> *x,
                               int64_t output);

/// Adaptive loops (EarlyExit.h): a run over `rows` tokens starts; after
/// each iteration, `out` gets the new rows of the tokens still running and
/// the old rows of those that had left, and the call returns how many still
/// run; the run ends.
void _mlir_ciface_loom_exit_begin(loom_context *context, int64_t rows,
                                  int64_t rule, double threshold,
                                  int64_t tripCount, int64_t iterationWidth);
int64_t _mlir_ciface_loom_exit_step(loom_context *context, int64_t iteration,
                                    loom::MemRef<float, 2> *previous,
                                    loom::MemRef<float, 2> *next,
                                    loom::MemRef<float, 2> *logits,
                                    loom::MemRef<float, 2> *out);
void _mlir_ciface_loom_exit_end(loom_context *context);
/// Adaptive loops in generated code: the threshold they apply
/// (`ExitState::effectiveThreshold`), and a run's per-token depths added to
/// the statistics.
double _mlir_ciface_loom_exit_threshold(loom_context *context,
                                        double threshold);
void _mlir_ciface_loom_exit_record(loom_context *context,
                                   loom::MemRef<int32_t, 1> *depths,
                                   int64_t tripCount);

/// Writes `keys` and `values` ([seq, width]) into rows [pos, pos + seq) of
/// cache slot `slot`; inside an adaptive loop, only the running tokens'
/// rows, also into the same slot of every later iteration.
void _mlir_ciface_loom_write_kv(loom_context *context,
                                loom::MemRef<float, 3> *keyCache,
                                loom::MemRef<float, 3> *valueCache,
                                loom::MemRef<float, 2> *keys,
                                loom::MemRef<float, 2> *values, int64_t slot,
                                int64_t pos);

/// Attention of `q` ([seq, heads * headDim]) over rows [0, pos + seq) of KV
/// cache slot `slot` (the new rows already written), into `out`; causal
/// masks positions after each token's own, and a `window` > 0 (causal
/// only) those `window` or more before it.
void _mlir_ciface_loom_attention(
    loom_context *context, loom::MemRef<float, 2> *q,
    loom::MemRef<float, 3> *keyCache, loom::MemRef<float, 3> *valueCache,
    loom::MemRef<float, 2> *out, int64_t pos, int64_t slot, int64_t heads,
    int64_t kvHeads, int64_t headDim, int64_t causal, int64_t window);
}

#endif // LOOM_KERNELS_H
