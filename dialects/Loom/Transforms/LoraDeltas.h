//===- LoraDeltas.h - LoRA deltas on a block's shared matrices --*- C++ -*-===//
//
// A relaxed recursive block (Relaxed Recursive Transformers) reads shared
// matrices plus a per-iteration low-rank delta: each product `x S^T`
// becomes `x S^T + (x a^T) b^T`. `--loom-loopify` adds deltas to the
// blocks it shares; a `loop ... lora(r)` in the language does the same for
// a written loop.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_TRANSFORMS_LORADELTAS_H
#define LOOM_DIALECT_LOOM_TRANSFORMS_LORADELTAS_H

#include "dialects/Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace loom {

/// The name a block gives its argument `index` (its `loom.weight`), or
/// `argument #N`.
std::string argumentName(mlir::func::FuncOp func, unsigned index);

/// A copy of `block` named `name` (inserted after it) that takes, after its
/// arguments, the factors `a` ([r, K]) and `b` ([N, r]) of a delta for each
/// argument in `positions` (an [N, K] matrix; r = `rankOf` of its type), in
/// that order, and adds `(x a^T) b^T` to each product reading one. The
/// layers reading them are split into products first. An error (starting
/// with `who`, ending with `hint`; at `errorAt` if given, otherwise at the
/// op) where such an argument is read other than as a product's weight.
mlir::FailureOr<mlir::func::FuncOp>
addLoraDeltas(mlir::func::FuncOp block, llvm::ArrayRef<unsigned> positions,
              llvm::StringRef name,
              llvm::function_ref<int64_t(mlir::RankedTensorType)> rankOf,
              llvm::StringRef who, llvm::StringRef hint,
              mlir::SymbolTable &symbols,
              std::optional<mlir::Location> errorAt = std::nullopt);

} // namespace loom

#endif // LOOM_DIALECT_LOOM_TRANSFORMS_LORADELTAS_H
