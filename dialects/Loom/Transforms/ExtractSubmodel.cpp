//===- ExtractSubmodel.cpp - A MatFormer sub-model of every layer ---------===//
//
// Implements --loom-extract-submodel. A MatFormer-trained model nests
// smaller feed-forward networks in each larger one: the first m neurons of
// every layer form a sub-model that works on its own. Extracting it keeps
// rows [0, m) of each gate and up weight (and bias) and columns [0, m) of
// each down weight, as `loom.slice`s of the original weights, so the
// program runs the sub-model from the full checkpoint.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace loom {
#define GEN_PASS_DEF_LOOMEXTRACTSUBMODEL
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

struct LoomExtractSubmodelPass
    : loom::impl::LoomExtractSubmodelBase<LoomExtractSubmodelPass> {
  using LoomExtractSubmodelBase::LoomExtractSubmodelBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (ffn < 0 || heads < 0) {
      emitError(module.getLoc())
          << "--loom-extract-submodel: " << (ffn < 0 ? "ffn" : "heads")
          << " must not be negative, got " << int64_t(ffn < 0 ? ffn : heads);
      return signalPassFailure();
    }
    SmallVector<Operation *> layers;
    module.walk([&](Operation *op) {
      if (((ffn != 0 && isa<GatedMLPOp, MLPOp>(op)) ||
           (heads != 0 && isa<AttentionOp>(op))) &&
          !op->getParentOfType<ParamOp>())
        layers.push_back(op);
    });
    for (Operation *op : layers)
      if (failed(isa<AttentionOp>(op) ? extractHeads(cast<AttentionOp>(op))
                                      : extract(op)))
        return signalPassFailure();
  }

  /// Keeps the first `heads` key/value head groups of `op`: rows of the
  /// query, key and value weights and biases, columns of the output weight.
  LogicalResult extractHeads(AttentionOp op) {
    int64_t groups = op.getNumKvHeads(), perGroup = op.getNumHeads() / groups;
    int64_t headDim = op.getHeadDim();
    if (heads > groups)
      return op.emitError("--loom-extract-submodel: the sub-model keeps ")
             << int64_t(heads) << " key/value head groups, but this "
             << "attention has " << groups;
    if (heads == groups)
      return success();
    OpBuilder builder(op);
    auto first = [&](OpOperand &operand, int64_t axis, int64_t count) {
      operand.set(SliceOp::create(builder, op.getLoc(), operand.get(),
                                  uint64_t(axis), /*offset=*/uint64_t(0),
                                  uint64_t(count)));
    };
    int64_t queries = heads * perGroup * headDim, keys = heads * headDim;
    first(op.getWqMutable(), 0, queries);
    first(op.getWkMutable(), 0, keys);
    first(op.getWvMutable(), 0, keys);
    first(op.getWoMutable(), 1, queries);
    if (op.getBq())
      first(op.getBqMutable()[0], 0, queries);
    if (op.getBk())
      first(op.getBkMutable()[0], 0, keys);
    if (op.getBv())
      first(op.getBvMutable()[0], 0, keys);
    op.setNumHeads(heads * perGroup);
    op.setNumKvHeads(heads);
    return success();
  }

  LogicalResult extract(Operation *op) {
    auto gated = dyn_cast<GatedMLPOp>(op);
    auto mlp = dyn_cast<MLPOp>(op);
    Value up = gated ? gated.getWUp() : mlp.getWUp();
    int64_t neurons = cast<RankedTensorType>(up.getType()).getDimSize(0);
    if (ShapedType::isDynamic(neurons))
      return op->emitError("cannot extract from a feed-forward network of "
                           "dynamic width");
    if (ffn > neurons)
      return op->emitError("--loom-extract-submodel: the sub-model keeps ")
             << int64_t(ffn) << " neurons, but this feed-forward network has "
             << neurons;
    if (ffn == neurons)
      return success();
    OpBuilder builder(op);
    auto first = [&](OpOperand *operand, int64_t axis) {
      if (!operand)
        return;
      operand->set(SliceOp::create(builder, op->getLoc(), operand->get(),
                                   uint64_t(axis), /*offset=*/uint64_t(0),
                                   uint64_t(ffn)));
    };
    if (gated) {
      first(&gated.getWGateMutable(), 0);
      first(&gated.getWUpMutable(), 0);
      first(&gated.getWDownMutable(), 1);
      if (gated.getBGate())
        first(&gated.getBGateMutable()[0], 0);
      if (gated.getBUp())
        first(&gated.getBUpMutable()[0], 0);
      return success();
    }
    first(&mlp.getWUpMutable(), 0);
    first(&mlp.getWDownMutable(), 1);
    if (mlp.getBUp())
      first(&mlp.getBUpMutable()[0], 0);
    return success();
  }
};

} // namespace
