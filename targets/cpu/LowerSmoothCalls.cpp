//===- LowerSmoothCalls.cpp - Smoothing scales through the runtime --------===//
//
// Implements `loom-lower-smooth-calls`: each `loom.smooth_scales` (in the
// model's `prepare` entry point, once per smoothed product at load) calls
// the runtime's `loom_smooth_scales` (loom_abi.h), which reads the weight
// and the calibration statistics and writes the scales.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERSMOOTHCALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;

namespace {

LogicalResult lowerSmoothScales(loom::SmoothScalesOp op) {
  FailureOr<Value> context = contextFor(op, LOOM_KERNEL_SMOOTH_SCALES);
  if (failed(context))
    return failure();
  if (!getElementTypeOrSelf(op.getW()).isF32() ||
      !getElementTypeOrSelf(op.getImportance()).isF32())
    return op.emitError("the runtime smooths f32 weights and statistics, got ")
           << op.getW().getType() << " and " << op.getImportance().getType();
  auto resultType = cast<RankedTensorType>(op.getType());
  if (!resultType.hasStaticShape())
    return op.emitError("the runtime writes scales of a static size, got ")
           << resultType;
  OpBuilder builder(op);
  Location loc = op.getLoc();
  Value out = memref::AllocOp::create(
      builder, loc,
      MemRefType::get(resultType.getShape(), resultType.getElementType()));
  Value alpha = arith::ConstantOp::create(
      builder, loc, builder.getF64FloatAttr(op.getAlpha().convertToDouble()));
  SmallVector<Value> arguments = {
      *context,
      readOnlyBuffer(builder, loc, op.getW()),
      readOnlyBuffer(builder, loc, op.getImportance()),
      castToAnyLayout(builder, loc, out),
      alpha,
      i64Constant(builder, loc, op.getInverse() ? 1 : 0)};
  callKernel(builder, loc, op, LOOM_KERNEL_SMOOTH_SCALES, arguments);
  replaceWithBuffer(builder, op, out);
  return success();
}

struct LowerSmoothCallsPass
    : loom::cpu::impl::LoomLowerSmoothCallsBase<LowerSmoothCallsPass> {
  void runOnOperation() override {
    SmallVector<loom::SmoothScalesOp> ops;
    // Scales inside a param's init are computed by `prepare`.
    getOperation().walk([&](loom::SmoothScalesOp op) {
      if (!op->getParentOfType<loom::ParamOp>())
        ops.push_back(op);
    });
    for (loom::SmoothScalesOp op : ops)
      if (failed(lowerSmoothScales(op)))
        return signalPassFailure();
  }
};

} // namespace
