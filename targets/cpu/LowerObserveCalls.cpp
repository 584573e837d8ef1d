//===- LowerObserveCalls.cpp - Layer observations through the runtime -----===//
//
// Implements `loom-lower-observe-calls`: each `loom.observe` calls the
// runtime's `loom_observe` (loom_abi.h) with the enclosing function's model
// context, the hidden state and which side of the layer it is; a
// calibration run measures block influence from them.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWEROBSERVECALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;

namespace {

LogicalResult lowerObserve(loom::ObserveOp op) {
  FailureOr<Value> context = contextFor(op, LOOM_KERNEL_OBSERVE);
  if (failed(context))
    return failure();
  if (!getElementTypeOrSelf(op.getX()).isF32())
    return op.emitError("the runtime observes f32 activations, got ")
           << op.getX().getType();
  OpBuilder builder(op);
  Location loc = op.getLoc();
  SmallVector<Value> arguments = {
      *context, readOnlyBuffer(builder, loc, op.getX()),
      i64Constant(builder, loc, op.getOutput() ? 1 : 0)};
  callKernel(builder, loc, op, LOOM_KERNEL_OBSERVE, arguments);
  op.erase();
  return success();
}

struct LowerObserveCallsPass
    : loom::cpu::impl::LoomLowerObserveCallsBase<LowerObserveCallsPass> {
  void runOnOperation() override {
    SmallVector<loom::ObserveOp> ops;
    getOperation().walk([&](loom::ObserveOp op) { ops.push_back(op); });
    for (loom::ObserveOp op : ops)
      if (failed(lowerObserve(op)))
        return signalPassFailure();
  }
};

} // namespace
