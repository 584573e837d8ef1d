//===- UnrollLoops.cpp - Unroll loom.loop ---------------------------------===//
//
// Implements --loom-unroll-loops: each `loom.loop` becomes `trip_count`
// copies of its body, the iteration index an `arith.constant`, the carried
// values threaded from one copy to the next.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace loom {
#define GEN_PASS_DEF_LOOMUNROLLLOOPS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

/// Replaces `loop` by `trip_count` copies of its body.
static void unrollLoop(LoopOp loop) {
  OpBuilder builder(loop);
  Block *body = loop.getBodyBlock();
  auto yield = cast<YieldOp>(body->getTerminator());
  SmallVector<Value> carried(loop.getInits());
  for (int64_t i = 0, e = loop.getTripCountAttr().getInt(); i < e; ++i) {
    IRMapping mapping;
    mapping.map(loop.getIterationIndex(),
                arith::ConstantIndexOp::create(builder, loop.getLoc(), i));
    mapping.map(loop.getRegionIterArgs(), carried);
    for (Operation &op : body->without_terminator())
      builder.clone(op, mapping);
    for (auto [next, yielded] : llvm::zip_equal(carried, yield.getValues()))
      next = mapping.lookupOrDefault(yielded);
  }
  loop.replaceAllUsesWith(carried);
  loop.erase();
}

void loom::unrollLoops(Operation *root) {
  // Post-order: inner loops are unrolled before the loops containing them.
  SmallVector<LoopOp> loops;
  // Adaptive loops stay loops: their depth is decided per token at run time.
  root->walk([&](LoopOp loop) {
    if (!loop.isAdaptive())
      loops.push_back(loop);
  });
  for (LoopOp loop : loops)
    unrollLoop(loop);
}

namespace {
struct LoomUnrollLoopsPass
    : loom::impl::LoomUnrollLoopsBase<LoomUnrollLoopsPass> {
  void runOnOperation() override { unrollLoops(getOperation()); }
};
} // namespace
