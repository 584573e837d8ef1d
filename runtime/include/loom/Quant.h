//===- Quant.h - Block-quantized weights ------------------------*- C++ -*-===//
//
// The block formats of loom_abi.h (GGUF's Q8_0, Q4_0, Q4_1 and Q4_K bytes):
// how a row of weights is quantized and read back, and the products of f32
// activations with quantized weight matrices that generated code calls
// (`loom_qgemm_nt`). Products quantize the activations to 8 bits per block
// of 32 on the fly and take integer dot products, so a decode step reads
// each weight byte once.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_QUANT_H
#define LOOM_QUANT_H

#include "loom/Kernels.h"
#include "loom/QuantFormat.h"
#include "loom/Support.h"

#include <cstdint>
#include <optional>

namespace loom {

/// Quantizes `k` weights (a multiple of `quantBlockWeights(format)`) into
/// `out`, rounding each block to nearest as GGUF's reference code does (the
/// same input gives the same bytes; Q4_K rounds by QuantK.cpp's rule). With
/// `importance` (`k` non-negative weights), each block's scale is instead the
/// one, of candidates around the plain scale, that minimizes the
/// importance-weighted squared error.
void quantizeRow(QuantFormat format, const float *x, int64_t k,
                 const float *importance, void *out);

/// A block of a quantized matrix: its row, the row's first weight it holds,
/// and whether its bad scale is an infinity (rounding from a weight beyond
/// what the format's half-precision scales reach) rather than a NaN (a
/// weight that was not finite: `markNonFiniteBlocks`).
struct QuantBlockIndex {
  int64_t row, weight;
  bool infinite;
};

/// The first block of the `rows` rows of `k` weights of `format` in `data`
/// (rows `quantRowBytes(format, k)` bytes apart) whose scale or minimum is
/// not a finite number (INT8: a row whose scale is not), if any: it decodes
/// to infinities or NaNs. In a file, the block is damaged.
std::optional<QuantBlockIndex> firstNonFiniteScale(QuantFormat format,
                                                   const void *data,
                                                   int64_t rows, int64_t k);

/// Sets a NaN scale in each block of the quantized row `out` whose weights
/// in `x` (`k` of them) are not all finite (INT8: the row's scale), where
/// rounding made ordinary integers of them, so that `firstNonFiniteScale`
/// finds the block.
void markNonFiniteBlocks(QuantFormat format, const float *x, int64_t k,
                         void *out);

/// Whether `format` has quantization with error feedback
/// (`quantizeWithFeedback`).
bool quantHasFeedback(QuantFormat format);

/// Quantizes the [n, k] matrix `w` (rows `ldw` apart) into `out` (rows of
/// `quantRowBytes(format, k)`, `ldo` bytes apart) with error feedback
/// (GPTQ): each row's
/// weights are rounded in order and each rounding error is compensated on
/// the weights not yet rounded, as the inputs' `covariance` ([k, k], the sum
/// or mean of x x^T over calibration inputs, rows `ldh` apart) says they
/// correlate. With `importance`, each block's scale is the
/// importance-weighted one. Fails for a format without feedback, or a
/// covariance that holds a value that is not finite or is not positive
/// definite even damped.
Status quantizeWithFeedback(ThreadPool &pool, QuantFormat format,
                            const float *w, int64_t ldw, int64_t n, int64_t k,
                            const float *covariance, int64_t ldh,
                            const float *importance, uint8_t *out, int64_t ldo);

/// Decodes a row of `k` weights of `format`.
void dequantizeRow(QuantFormat format, const void *row, int64_t k, float *out);

/// How a quantized product rounds its f32 inputs (LOOM_QUANT_INPUTS_*).
enum class QuantInputs {
  /// To 8 bits per block of 32, one scale a block (integer products).
  Int8,
  /// To 8 bits, and their rounding errors to 8 bits again: a second integer
  /// product, about 15 bits.
  Int8x2,
  /// Each to bfloat16 (to nearest even), multiplied by the weights' exact
  /// integers in f32 (bfloat16 dot products where the CPU has them).
  BF16,
};

/// The rounding of kernel id `id` (LOOM_QUANT_INPUTS_*), if there is one.
std::optional<QuantInputs> quantInputsFromId(int64_t id);

/// `C[m, n] (=|+=) round(A[m, k]) * W^T + bias` for W a [n, k] matrix of
/// `format` (rows `quantRowBytes(format, k)` bytes apart), then `activation`
/// on each element of C, on `state`'s threads. `bias` may be null. `inputs`
/// says how A is rounded; a decode step reads each weight once whatever it
/// is.
void qgemmNT(KernelState &state, QuantFormat format, int64_t m, int64_t n,
             int64_t k, const float *a, int64_t lda, const void *w,
             const float *bias, float *c, int64_t ldc, bool accumulate,
             Activation activation = Activation::None,
             QuantInputs inputs = QuantInputs::Int8);

/// Rearranges the [n, k] `format` matrix `data` (row-major blocks, as
/// quantized) in place for this CPU's fastest products, and records it in
/// `state` so that `qgemmNT` reads it so; false (nothing changed) if the CPU
/// has no such kernel. The bytes are no longer GGUF's.
bool interleaveQuantizedMatrix(KernelState &state, void *data,
                               QuantFormat format, int64_t n, int64_t k);

/// Which integer dot products `qgemmNT` uses on this CPU. Avx512Vnni
/// interleaves matrices (`interleaveQuantizedMatrix`); rows that are not
/// interleaved take the AVX2 kernels there too.
enum class QuantKernel { Portable, Avx2, Avx512Vnni };

/// The best kernel this CPU runs.
QuantKernel bestQuantKernel();

/// Makes `qgemmNT` use `kernel` (tests compare them; a kernel the CPU lacks
/// is refused with false).
bool setQuantKernel(QuantKernel kernel);

} // namespace loom

extern "C" {
/// `loom_qgemm_nt` (LOOM_KERNEL_QGEMM_NT).
void _mlir_ciface_loom_qgemm_nt(loom_context *context,
                                loom::MemRef<float, 2> *x,
                                loom::MemRef<int8_t, 2> *w,
                                loom::MemRef<float, 1> *bias,
                                loom::MemRef<float, 2> *out, int64_t format,
                                int64_t accumulate, int64_t activation,
                                int64_t inputs);

/// `loom_quantize` (LOOM_KERNEL_QUANTIZE).
void _mlir_ciface_loom_quantize(loom_context *context,
                                loom::MemRef<float, 2> *w,
                                loom::MemRef<float, 1> *importance,
                                loom::MemRef<float, 2> *covariance,
                                loom::MemRef<int8_t, 2> *out, int64_t format);
}

#endif // LOOM_QUANT_H
