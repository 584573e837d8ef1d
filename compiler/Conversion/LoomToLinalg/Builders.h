//===- Builders.h - Linalg building blocks for the loom lowering -*- C++
//-*-===//
//
// Small helpers shared by the `loom` → linalg patterns: every layer is built
// from elementwise maps, row reductions and contractions over tensors whose
// first (sequence) dimension is dynamic.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CONVERSION_LOOMTOLINALG_BUILDERS_H
#define LOOM_COMPILER_CONVERSION_LOOMTOLINALG_BUILDERS_H

#include "dialects/Loom/IR/LoomOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace loom {

/// The sizes of `value` (a ranked tensor) as a mix of constants and
/// `tensor.dim` results.
llvm::SmallVector<mlir::OpFoldResult>
getSizes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value);

/// A `tensor.empty` of `type`, taking dynamic sizes from `sizes`.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// A tensor of `type` filled with `value`; dynamic sizes from `sizes`.
mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type,
                         llvm::ArrayRef<mlir::OpFoldResult> sizes,
                         double value);

/// The kernel a linear layer's contraction names in its `library_call`:
/// `C += A * B^T` (the runtime's `loom_sgemm_nt`).
inline constexpr const char *kSgemmNTLibraryCall = "loom_sgemm_nt";
/// The same with the weight stored [in, out]: `C += A * B`.
inline constexpr const char *kSgemmNNLibraryCall = "loom_sgemm_nn";

/// `result[i, j] = act(sum_k x[i, k] * w[j, k] (+ bias[j]) (+
/// residual[i, j]))`: x [seq, in], w [out, in], bias [out] or null, residual
/// [seq, out] or null, `activation` none or act. Bias and residual are the
/// accumulator's starting value; the activation is an epilogue
/// (dialects/Loom/Utils/Epilogue.h).
mlir::Value buildLinear(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                        mlir::Value w, mlir::Value bias,
                        mlir::Value residual = {},
                        std::optional<ActivationKind> activation = {});

/// Applies `fn` elementwise to `inputs` (all of the shape of `inputs[0]`, or
/// rank-1 tensors that broadcast along its last dimension).
mlir::Value buildElementwise(
    mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange)>
        fn);

/// Applies `fn` elementwise to `inputs`, broadcast to `resultType` as NumPy
/// does (trailing dimensions aligned; missing and unit dimensions stretch).
/// A dynamic result dimension takes its size from an input whose matching
/// dimension is dynamic.
mlir::Value
buildBroadcast(mlir::OpBuilder &b, mlir::Location loc,
               mlir::RankedTensorType resultType, mlir::ValueRange inputs,
               llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>
                   fn);

/// `act(x)` for one scalar.
mlir::Value buildActivation(mlir::OpBuilder &b, mlir::Location loc,
                            ActivationKind kind, mlir::Value x);

/// Reduces the last dimension of a tensor ([seq, D] -> [seq], [D] -> []):
/// `acc = combine(x, acc)` starting from `init`.
mlir::Value buildRowReduction(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, double init,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value /*x*/, mlir::Value /*acc*/)>
        combine);

/// Splits the last dimension of a [n, heads * hd] tensor: [n, heads, hd].
mlir::Value splitHeads(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       int64_t heads, int64_t headDim);

/// A floating-point constant of type `type`.
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);

} // namespace loom

#endif // LOOM_COMPILER_CONVERSION_LOOMTOLINALG_BUILDERS_H
