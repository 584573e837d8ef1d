//===- ModelContext.h - The model context argument of generated code -*- C++
//-*-===//
//
// After `--loom-bind-runtime`, every function of a model takes the runtime's
// model context (`loom_context *`, see runtime/include/loom/loom_abi.h) as an
// `!llvm.ptr` argument marked `loom.context`. Target lowerings find it here to
// pass it on to the runtime's kernels.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECTS_LOOM_UTILS_MODELCONTEXT_H
#define LOOM_DIALECTS_LOOM_UTILS_MODELCONTEXT_H

#include "mlir/IR/Operation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace loom {

/// The unit attribute that marks a function's model context argument.
inline constexpr llvm::StringLiteral kModelContextAttr = "loom.context";

/// The model context argument of `func`, or null if it has none.
inline mlir::Value getModelContext(mlir::FunctionOpInterface func) {
  if (!func || func.isExternal())
    return {};
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, kModelContextAttr))
      return func.getArgument(i);
  return {};
}

/// The model context argument of the function that encloses `op`, or null.
inline mlir::Value getModelContext(mlir::Operation *op) {
  return getModelContext(op->getParentOfType<mlir::FunctionOpInterface>());
}

} // namespace loom

#endif // LOOM_DIALECTS_LOOM_UTILS_MODELCONTEXT_H
