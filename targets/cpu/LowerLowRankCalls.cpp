//===- LowerLowRankCalls.cpp - Low-rank factors through the runtime -------===//
//
// Implements `loom-lower-low-rank-calls`: each `loom.low_rank` (in the
// model's `prepare` entry point, once per factor at load) calls the
// runtime's `loom_low_rank` (loom_abi.h), which decomposes the weight (and
// importance, if any) with LAPACK and writes the factor asked for.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERLOWRANKCALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;

namespace {

LogicalResult lowerLowRank(loom::LowRankOp op) {
  FailureOr<Value> context = contextFor(op, LOOM_KERNEL_LOW_RANK);
  if (failed(context))
    return failure();
  if (!getElementTypeOrSelf(op.getW()).isF32())
    return op.emitError("the runtime factors f32 weights, got ")
           << op.getW().getType();
  OpBuilder builder(op);
  Location loc = op.getLoc();
  auto resultType = cast<RankedTensorType>(op.getType());
  Value out = memref::AllocOp::create(
      builder, loc,
      MemRefType::get(resultType.getShape(), resultType.getElementType()));
  // A missing importance is an empty buffer.
  SmallVector<Value> arguments = {
      *context,
      readOnlyBuffer(builder, loc, op.getW()),
      optionalBuffer(builder, loc, op.getImportance()),
      castToAnyLayout(builder, loc, out),
      i64Constant(builder, loc, op.getPart() == "a" ? 0 : 1),
      i64Constant(builder, loc, int64_t(op.getRank()))};
  callKernel(builder, loc, op, LOOM_KERNEL_LOW_RANK, arguments);
  replaceWithBuffer(builder, op, out);
  return success();
}

struct LowerLowRankCallsPass
    : loom::cpu::impl::LoomLowerLowRankCallsBase<LowerLowRankCallsPass> {
  void runOnOperation() override {
    SmallVector<loom::LowRankOp> ops;
    // Factors inside a param's init are computed by `prepare`.
    getOperation().walk([&](loom::LowRankOp op) {
      if (!op->getParentOfType<loom::ParamOp>())
        ops.push_back(op);
    });
    for (loom::LowRankOp op : ops)
      if (failed(lowerLowRank(op)))
        return signalPassFailure();
  }
};

} // namespace
