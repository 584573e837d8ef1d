//===- LowerPruneCalls.cpp - Neuron selection through the runtime ---------===//
//
// Implements `loom-lower-prune-calls`: each `loom.prune_neurons` and
// `loom.prune_heads` (in the model's `prepare` entry point, once per weight
// at load) calls the runtime's `loom_prune_neurons` / `loom_prune_heads`
// (loom_abi.h), which score the neurons or head groups, keep the best and
// gather the target's rows or columns at them. A bias goes through as a
// matrix of one column.
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

/// Lowers `op` (a pruning whose target is its first operand) to a call of
/// `kernel` with the target, the score matrices `operands`, `importance`,
/// the result buffer, then `scalars`.
LogicalResult lowerPruning(Operation *op, StringRef kernel,
                           ArrayRef<Value> operands, ArrayRef<int64_t> scalars,
                           Value importance) {
  FailureOr<Value> context = contextFor(op, kernel);
  if (failed(context))
    return failure();
  for (Value operand : op->getOperands())
    if (!getElementTypeOrSelf(operand).isF32())
      return op->emitError("the runtime prunes f32 weights, got ")
             << operand.getType();
  OpBuilder builder(op);
  Location loc = op->getLoc();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  // A vector is the matrix of its one column.
  Value target = op->getOperand(0);
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
  SmallVector<Value> arguments = {*context,
                                  readOnlyBuffer(builder, loc, target)};
  // Matrices of the scores; a missing matrix (a gate) or vector
  // (importance) is an empty buffer.
  for (Value operand : operands)
    arguments.push_back(operand ? readOnlyBuffer(builder, loc, operand)
                                : optionalBuffer(builder, loc, Value(),
                                                 /*rank=*/2));
  arguments.push_back(optionalBuffer(builder, loc, importance));
  arguments.push_back(castToAnyLayout(builder, loc, out));
  for (int64_t scalar : scalars)
    arguments.push_back(i64Constant(builder, loc, scalar));
  callKernel(builder, loc, op, kernel, arguments);
  if (vector)
    out = memref::CollapseShapeOp::create(builder, loc, out, columnOf);
  replaceWithBuffer(builder, op, out);
  return success();
}

struct LowerPruneCallsPass
    : loom::cpu::impl::LoomLowerPruneCallsBase<LowerPruneCallsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      // Prunings inside a param's init are computed by `prepare`.
      if (isa<loom::PruneNeuronsOp, loom::PruneHeadsOp>(op) &&
          !op->getParentOfType<loom::ParamOp>())
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      LogicalResult lowered = failure();
      if (auto neurons = dyn_cast<loom::PruneNeuronsOp>(op)) {
        lowered = lowerPruning(
            op, LOOM_KERNEL_PRUNE_NEURONS,
            {neurons.getGate(), neurons.getUp(), neurons.getDown()},
            {int64_t(neurons.getAxis()), int64_t(neurons.getKeep())},
            neurons.getImportance());
      } else {
        auto heads = cast<loom::PruneHeadsOp>(op);
        int64_t part = heads.getPart() == "q"    ? 0
                       : heads.getPart() == "kv" ? 1
                                                 : 2;
        lowered = lowerPruning(
            op, LOOM_KERNEL_PRUNE_HEADS,
            {heads.getWq(), heads.getWk(), heads.getWv(), heads.getWo()},
            {part, int64_t(heads.getKeep()), int64_t(heads.getHeads()),
             int64_t(heads.getKvHeads()), int64_t(heads.getHeadDim())},
            heads.getImportance());
      }
      if (failed(lowered))
        return signalPassFailure();
    }
  }
};

} // namespace
