//===- LowerPruneCalls.cpp - Neuron selection through the runtime ---------===//
//
// Implements `loom-lower-prune-calls`: each `loom.prune_neurons` (in the
// model's `prepare` entry point, once per weight at load) calls the
// runtime's `loom_prune_neurons` (loom_abi.h), which scores the neurons,
// keeps the best and gathers the target's rows or columns at them. A [F]
// bias goes through as a [F, 1] matrix.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERPRUNECALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;

namespace {

LogicalResult lowerPruning(loom::PruneNeuronsOp op) {
  FailureOr<Value> context = contextFor(op, LOOM_KERNEL_PRUNE_NEURONS);
  if (failed(context))
    return failure();
  for (Value operand : op->getOperands())
    if (!getElementTypeOrSelf(operand).isF32())
      return op.emitError("the runtime prunes f32 weights, got ")
             << operand.getType();
  OpBuilder builder(op);
  Location loc = op.getLoc();
  auto resultType = cast<RankedTensorType>(op.getType());
  // A vector is the matrix of its one column.
  Value target = op.getTarget();
  bool vector = resultType.getRank() == 1;
  SmallVector<ReassociationIndices> columnOf = {{0, 1}};
  if (vector) {
    auto type = cast<RankedTensorType>(target.getType());
    target = tensor::ExpandShapeOp::create(
        builder, loc,
        RankedTensorType::get({type.getDimSize(0), 1}, type.getElementType()),
        target, columnOf);
  }
  SmallVector<int64_t> shape(resultType.getShape());
  if (vector)
    shape.push_back(1);
  Value out = memref::AllocOp::create(
      builder, loc, MemRefType::get(shape, resultType.getElementType()));
  callKernel(builder, loc, op, LOOM_KERNEL_PRUNE_NEURONS,
             {*context, readOnlyBuffer(builder, loc, target),
              optionalBuffer(builder, loc, op.getGate(), /*rank=*/2),
              readOnlyBuffer(builder, loc, op.getUp()),
              readOnlyBuffer(builder, loc, op.getDown()),
              optionalBuffer(builder, loc, op.getImportance()),
              castToAnyLayout(builder, loc, out),
              i64Constant(builder, loc, op.getAxis()),
              i64Constant(builder, loc, op.getKeep())});
  if (vector)
    out = memref::CollapseShapeOp::create(builder, loc, out, columnOf);
  replaceWithBuffer(builder, op, out);
  return success();
}

struct LowerPruneCallsPass
    : loom::cpu::impl::LoomLowerPruneCallsBase<LowerPruneCallsPass> {
  void runOnOperation() override {
    SmallVector<loom::PruneNeuronsOp> ops;
    getOperation().walk([&](loom::PruneNeuronsOp op) {
      // Prunings inside a param's init are computed by `prepare`.
      if (!op->getParentOfType<loom::ParamOp>())
        ops.push_back(op);
    });
    for (loom::PruneNeuronsOp op : ops)
      if (failed(lowerPruning(op)))
        return signalPassFailure();
  }
};

} // namespace
