//===- LowerMoECalls.cpp - Mixtures of experts through the runtime --------===//
//
// Implements `loom-lower-moe-calls`: each `loom.moe` calls the runtime's
// `loom_moe` (loom_abi.h) with the enclosing function's model context, the
// activations, the router and the experts' stacked matrices. The kernel
// routes the tokens, groups them by expert and runs each chosen expert once.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Utils/Epilogue.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERMOECALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;

namespace {

LogicalResult lowerMoE(loom::MoEOp op) {
  FailureOr<Value> context = contextFor(op, LOOM_KERNEL_MOE);
  if (failed(context))
    return failure();
  auto resultType = cast<RankedTensorType>(op.getType());
  for (Value operand : op->getOperands())
    if (!getElementTypeOrSelf(operand).isF32())
      return op.emitError("the runtime's mixture of experts reads f32 "
                          "activations and weights, got ")
             << operand.getType();
  OpBuilder builder(op);
  Location loc = op.getLoc();
  Value out = allocateResult(builder, loc, resultType, op.getX());
  callKernel(builder, loc, op, LOOM_KERNEL_MOE,
             {*context, readOnlyBuffer(builder, loc, op.getX()),
              readOnlyBuffer(builder, loc, op.getRouter()),
              readOnlyBuffer(builder, loc, op.getWGate()),
              readOnlyBuffer(builder, loc, op.getWUp()),
              readOnlyBuffer(builder, loc, op.getWDown()),
              optionalBuffer(builder, loc, op.getShared(), 2),
              optionalBuffer(builder, loc, op.getSharedGate(), 2),
              castToAnyLayout(builder, loc, out),
              i64Constant(builder, loc, int64_t(op.getExperts())),
              i64Constant(builder, loc, int64_t(op.getTopK())),
              i64Constant(builder, loc, op.getRenormalize() ? 1 : 0),
              i64Constant(builder, loc,
                          loom::getActivationKernelId(op.getActivation()))});
  replaceWithBuffer(builder, op, out);
  return success();
}

struct LowerMoECallsPass
    : loom::cpu::impl::LoomLowerMoECallsBase<LowerMoECallsPass> {
  void runOnOperation() override {
    SmallVector<loom::MoEOp> ops;
    getOperation().walk([&](loom::MoEOp op) { ops.push_back(op); });
    for (loom::MoEOp op : ops)
      if (failed(lowerMoE(op)))
        return signalPassFailure();
  }
};

} // namespace
