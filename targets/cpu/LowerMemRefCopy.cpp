//===- LowerMemRefCopy.cpp - memref.copy as linalg.copy -------------------===//
//
// Bufferization copies strided views (KV cache slices, weight slices) with
// `memref.copy`, which the LLVM lowering turns into a call to a C library
// function. Rewriting them as `linalg.copy` lets them become plain loops
// that LLVM optimizes with the rest of the model, with no library needed.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/CpuTarget.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace {
struct LowerMemRefCopyPass
    : PassWrapper<LowerMemRefCopyPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerMemRefCopyPass)

  StringRef getArgument() const final { return "loom-lower-memref-copy"; }
  StringRef getDescription() const final {
    return "Rewrite memref.copy as linalg.copy";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect>();
  }
  void runOnOperation() override {
    getOperation().walk([](memref::CopyOp copy) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    });
  }
};
} // namespace

std::unique_ptr<Pass> loom::cpu::createLowerMemRefCopyPass() {
  return std::make_unique<LowerMemRefCopyPass>();
}
