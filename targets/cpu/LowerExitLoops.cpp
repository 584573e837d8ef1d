//===- LowerExitLoops.cpp - Adaptive loops through the runtime ------------===//
//
// Implements `loom-lower-exit-loops`: an adaptive `loom.loop` (tokens may
// leave it early, `exit gate|converge`) becomes a plain loop that also
// carries how many tokens still run. Each iteration runs the body only
// while some do; after it, the runtime's `loom_exit_step` keeps the rows of
// tokens that had left, decides which leave now and returns how many still
// run. `loom_exit_begin` and `loom_exit_end` bracket the loop: meanwhile
// the attention kernels' cache writes (`loom_write_kv`) give the iterations
// a token skips the key and value rows of its last one.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Utils/KVCache.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWEREXITLOOPS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;
using loom::LoopOp;

namespace {

LogicalResult lowerExitLoop(LoopOp loop) {
  FailureOr<Value> context = contextFor(loop, LOOM_KERNEL_EXIT_STEP);
  if (failed(context))
    return failure();
  auto width = loop->getAttrOfType<IntegerAttr>(loom::kIterationWidthAttr);
  if (!width)
    return loop.emitError("an adaptive loop needs its cache geometry: bind "
                          "the model to the runtime first "
                          "(--loom-bind-runtime)");
  if (loop.getInits().size() != 1)
    return loop.emitError("the runtime runs adaptive loops that carry one "
                          "value, this one carries ")
           << loop.getInits().size();
  Value x = loop.getInits()[0];
  auto type = cast<RankedTensorType>(x.getType());
  if (!type.getElementType().isF32())
    return loop.emitError("the runtime runs adaptive loops over f32 "
                          "activations, got ")
           << type;

  OpBuilder builder(loop);
  Location loc = loop.getLoc();
  Type i64 = builder.getI64Type();
  auto toI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(builder, loc, i64, index);
  };
  Value rows = toI64(tensor::DimOp::create(builder, loc, x, int64_t(0)));
  Value threshold = arith::ConstantOp::create(
      builder, loc,
      builder.getF64FloatAttr(loop.getExitThresholdAttr().getValueAsDouble()));
  bool gated = loop.getExitRule() == loom::ExitRule::Gate;
  int64_t tripCount = loop.getTripCountAttr().getInt();
  callKernel(
      builder, loc, loop, LOOM_KERNEL_EXIT_BEGIN,
      {*context, rows,
       i64Constant(builder, loc, gated ? LOOM_EXIT_GATE : LOOM_EXIT_CONVERGE),
       threshold, i64Constant(builder, loc, tripCount),
       i64Constant(builder, loc, width.getInt())});

  // The plain loop carries the rows and the number of tokens still running.
  auto plain = LoopOp::create(builder, loc, tripCount, ValueRange{x, rows});
  Block *body = plain.getBodyBlock();
  Value index = plain.getIterationIndex();
  Value rowsBefore = body->getArgument(1), running = body->getArgument(2);
  builder.setInsertionPointToStart(body);
  Value anyRunning =
      arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::sgt, running,
                            arith::ConstantIntOp::create(builder, loc, 0, 64));
  auto branch = scf::IfOp::create(builder, loc, TypeRange{type, i64},
                                  anyRunning, /*withElseRegion=*/true);

  // Then: the old body, and the decisions after it.
  Block *old = loop.getBodyBlock();
  auto yield = cast<loom::YieldOp>(old->getTerminator());
  old->getArgument(0).replaceAllUsesWith(index);
  old->getArgument(1).replaceAllUsesWith(rowsBefore);
  Block *then = &branch.getThenRegion().front();
  then->getOperations().splice(then->end(), old->getOperations(), old->begin(),
                               Block::iterator(yield));
  builder.setInsertionPointToEnd(then);
  Value next = yield.getValues()[0];
  Value logits = gated ? yield.getValues()[1] : Value();
  Value kept = allocateResult(builder, loc, type, next);
  func::CallOp step = callKernel(
      builder, loc, loop, LOOM_KERNEL_EXIT_STEP,
      {*context, toI64(index), readOnlyBuffer(builder, loc, rowsBefore),
       readOnlyBuffer(builder, loc, next),
       logits ? readOnlyBuffer(builder, loc, logits)
              : optionalBuffer(builder, loc, Value(), 2),
       castToAnyLayout(builder, loc, kept)},
      i64);
  Value keptRows = bufferization::ToTensorOp::create(
      builder, loc, type, kept, /*restrict=*/true, /*writable=*/true);
  scf::YieldOp::create(builder, loc, ValueRange{keptRows, step.getResult(0)});

  // Else: every token has left; nothing changes.
  builder.setInsertionPointToStart(&branch.getElseRegion().front());
  scf::YieldOp::create(builder, loc, ValueRange{rowsBefore, running});

  builder.setInsertionPointToEnd(body);
  loom::YieldOp::create(builder, loc, branch.getResults());

  builder.setInsertionPointAfter(plain);
  callKernel(builder, loc, loop, LOOM_KERNEL_EXIT_END, {*context});
  loop.getResult(0).replaceAllUsesWith(plain.getResult(0));
  loop.erase();
  return success();
}

struct LowerExitLoopsPass
    : loom::cpu::impl::LoomLowerExitLoopsBase<LowerExitLoopsPass> {
  void runOnOperation() override {
    SmallVector<LoopOp> loops;
    getOperation().walk([&](LoopOp loop) {
      if (loop.isAdaptive())
        loops.push_back(loop);
    });
    for (LoopOp loop : loops)
      if (failed(lowerExitLoop(loop)))
        return signalPassFailure();
  }
};

} // namespace
