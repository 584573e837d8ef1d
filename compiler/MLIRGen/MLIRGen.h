//===- MLIRGen.h - Elaborated Loom model to `loom` IR -----------*- C++ -*-===//
//
// The only place that sees both the front end's elaborated model and the
// `loom` dialect. Emits one module per model:
//
//   * module attributes `loom.model` (the name) and `loom.config` (every
//     config value, after overrides);
//   * one `loom.param` per distinct checkpoint tensor (tied weights share
//     one);
//   * one private `func.func` per instantiated block, taking the hidden
//     state(s) and then the block's weights as arguments;
//   * the public entry `func.func @forward(%tokens: tensor<?xi32>)`.
//
// Every op carries the `.loom` location of the declaration or expression it
// came from.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_MLIRGEN_MLIRGEN_H
#define LOOM_COMPILER_MLIRGEN_MLIRGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace loom {
namespace dsl {
struct Model;
} // namespace dsl

/// Builds the `loom` IR of `model` and verifies it. Returns null (after
/// emitting diagnostics in `ctx`) on failure.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &ctx,
                                          const dsl::Model &model,
                                          const llvm::SourceMgr &srcMgr);

} // namespace loom

#endif // LOOM_COMPILER_MLIRGEN_MLIRGEN_H
