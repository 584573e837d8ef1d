//===- WeightUses.h - How a model uses each parameter -----------*- C++ -*-===//

#ifndef LOOM_COMPILER_CONVERSION_BINDRUNTIME_WEIGHTUSES_H
#define LOOM_COMPILER_CONVERSION_BINDRUNTIME_WEIGHTUSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

namespace loom {

/// How the model reads one parameter.
struct WeightUse {
  /// As the weight matrix of a linear map (linear, attention and MLP
  /// projections), unchanged: the runtime may keep it in a kernel-friendly
  /// layout.
  bool asMatrix = false;
  /// As the weight matrix of linear maps, but stored [in, out] (read through
  /// a transpose, and possibly a split of its rows into q, k and v).
  bool asStoredMatrix = false;
  /// As the table of a token embedding: read a row per token, through a
  /// runtime kernel that finds the table by its address (so it may live in
  /// the kernels' layout, or in half precision).
  bool asRows = false;
  /// In any other way (a norm scale, through a transpose or a split): the
  /// checkpoint's layout must stay available.
  bool otherwise = false;
};

/// Classifies every use of every parameter of `module` read by `entry`,
/// following weights into the blocks they are passed to.
llvm::DenseMap<mlir::StringAttr, WeightUse>
analyzeWeightUses(mlir::ModuleOp module, mlir::func::FuncOp entry);

} // namespace loom

#endif // LOOM_COMPILER_CONVERSION_BINDRUNTIME_WEIGHTUSES_H
