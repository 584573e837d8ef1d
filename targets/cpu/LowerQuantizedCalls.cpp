//===- LowerQuantizedCalls.cpp - Quantized weights through the runtime ----===//
//
// Implements `loom-lower-quantized-calls`: a `loom.linear` whose weight is
// block-quantized calls the runtime's integer kernel (`loom_qgemm_nt`,
// loom_abi.h), which reads the quantized bytes as they are; `loom.quantize`
// (in the model's `prepare` entry point, once per weight at load) calls
// `loom_quantize`, which writes them. The formats' code lives in the runtime,
// next to the kernels that read them, so that both agree on every byte.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/IR/QuantFormat.h"
#include "dialects/Loom/Utils/Epilogue.h"
#include "dialects/Loom/Utils/ModelContext.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERQUANTIZEDCALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;

namespace {

LogicalResult lowerProduct(loom::LinearOp op) {
  FailureOr<Value> context = contextFor(op, LOOM_KERNEL_QGEMM_NT);
  if (failed(context))
    return failure();
  auto resultType = cast<RankedTensorType>(op.getType());
  if (!resultType.getElementType().isF32() ||
      !getElementTypeOrSelf(op.getX()).isF32())
    return op.emitError("the runtime's quantized products take and return "
                        "f32 activations, got ")
           << op.getX().getType();
  OpBuilder builder(op);
  Location loc = op.getLoc();
  Value out = allocateResult(builder, loc, resultType, op.getX());
  // A residual is where the product starts.
  if (Value residual = op.getResidual())
    memref::CopyOp::create(builder, loc, readOnlyBuffer(builder, loc, residual),
                           out);
  callKernel(
      builder, loc, op, LOOM_KERNEL_QGEMM_NT,
      {*context, readOnlyBuffer(builder, loc, op.getX()),
       readOnlyBuffer(builder, loc, op.getW()),
       optionalBuffer(builder, loc, op.getBias()),
       castToAnyLayout(builder, loc, out),
       i64Constant(builder, loc, loom::getQuantKernelId(*op.getFormat())),
       i64Constant(builder, loc, op.getResidual() ? 1 : 0),
       i64Constant(builder, loc,
                   op.getActivation()
                       ? loom::getActivationKernelId(*op.getActivation())
                       : LOOM_ACTIVATION_NONE),
       i64Constant(builder, loc,
                   loom::getQuantInputsKernelId(
                       op.getInputs().value_or(loom::QuantInputs::Int8)))});
  replaceWithBuffer(builder, op, out);
  return success();
}

LogicalResult lowerQuantization(loom::QuantizeOp op) {
  FailureOr<Value> context = contextFor(op, LOOM_KERNEL_QUANTIZE);
  if (failed(context))
    return failure();
  if (!getElementTypeOrSelf(op.getW()).isF32())
    return op.emitError("the runtime quantizes f32 weights, got ")
           << op.getW().getType();
  OpBuilder builder(op);
  Location loc = op.getLoc();
  auto resultType = cast<RankedTensorType>(op.getType());
  Value out = memref::AllocOp::create(
      builder, loc,
      MemRefType::get(resultType.getShape(), resultType.getElementType()));
  callKernel(
      builder, loc, op, LOOM_KERNEL_QUANTIZE,
      {*context, readOnlyBuffer(builder, loc, op.getW()),
       optionalBuffer(builder, loc, op.getImportance()),
       optionalBuffer(builder, loc, op.getCovariance(), /*rank=*/2),
       castToAnyLayout(builder, loc, out),
       i64Constant(builder, loc, loom::getQuantKernelId(op.getFormat()))});
  replaceWithBuffer(builder, op, out);
  return success();
}

struct LowerQuantizedCallsPass
    : loom::cpu::impl::LoomLowerQuantizedCallsBase<LowerQuantizedCallsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      auto linear = dyn_cast<loom::LinearOp>(op);
      if ((linear && linear.getFormat()) || isa<loom::QuantizeOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      // Quantizations inside a param's init are computed by `prepare`.
      if (op->getParentOfType<loom::ParamOp>())
        continue;
      LogicalResult lowered =
          isa<loom::QuantizeOp>(op)
              ? lowerQuantization(cast<loom::QuantizeOp>(op))
              : lowerProduct(cast<loom::LinearOp>(op));
      if (failed(lowered))
        return signalPassFailure();
    }
  }
};

} // namespace
