//===- LowerMemRefCopy.cpp - memref.copy as linalg.copy -------------------===//
//
// Bufferization copies strided views (KV cache slices, weight slices) with
// `memref.copy`, which the LLVM lowering turns into a call to a C library
// function. Rewriting them as `linalg.copy` lets them become plain loops
// that LLVM optimizes with the rest of the model, with no library needed.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERMEMREFCOPY
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;

namespace {
struct LowerMemRefCopyPass
    : loom::cpu::impl::LoomLowerMemRefCopyBase<LowerMemRefCopyPass> {
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
