//===- Passes.h - loom architecture passes ----------------------*- C++ -*-===//
//
// Architecture-level passes on the `loom` dialect (see Passes.td).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_H
#define LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace loom {

#define GEN_PASS_DECL
#include "dialects/Loom/Transforms/Passes.h.inc"

/// Refines result types in `module` as `--loom-infer-shapes` does. Passes that
/// change weights or shapes call this to leave verifiable IR behind.
llvm::LogicalResult inferShapes(mlir::ModuleOp module);

/// Unrolls every `loom.loop` nested in `root` (inner loops first).
void unrollLoops(mlir::Operation *root);

#define GEN_PASS_REGISTRATION
#include "dialects/Loom/Transforms/Passes.h.inc"

} // namespace loom

#endif // LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_H
