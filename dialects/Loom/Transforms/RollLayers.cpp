//===- RollLayers.cpp - Stacks of layers as loops over their weights ------===//
//
// Implements --loom-roll-layers. A stack `Decoder[N]` elaborates to N calls
// of the block, each reading its own weights: the block's code exists once,
// but the entry point holds N calls, N sets of weight arguments and, after
// binding, N sets of KV-slot offsets, which the rest of the pipeline and
// LLVM then process N times. Rolled, the stack is one loop whose body calls
// the block with the weights `loom.weight_select` picks for the iteration.
//
// Stacks are found as chains of calls (LayerChains.h).
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/LayerChains.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"

namespace loom {
#define GEN_PASS_DEF_LOOMROLLLAYERS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// Replaces the chain `calls` by a loop at the last call.
void roll(ArrayRef<func::CallOp> calls, ArrayRef<ChainArgument> kinds) {
  func::CallOp first = calls.front(), last = calls.back();
  OpBuilder builder(last);
  Location loc = builder.getFusedLoc(llvm::to_vector(
      llvm::map_range(calls, [](func::CallOp call) { return call.getLoc(); })));
  SmallVector<ArrayAttr> selected(kinds.size());
  for (auto [i, kind] : llvm::enumerate(kinds)) {
    if (kind != ChainArgument::Weight)
      continue;
    SmallVector<Attribute> params;
    for (func::CallOp call : calls)
      params.push_back(
          call.getOperand(i + 1).getDefiningOp<WeightOp>().getParamAttr());
    selected[i] = builder.getArrayAttr(params);
  }
  auto loop = LoopOp::create(
      builder, loc, int64_t(calls.size()), ValueRange{first.getOperand(0)},
      [&](OpBuilder &body, Location bodyLoc, Value index, ValueRange carried) {
        SmallVector<Value> operands = {carried.front()};
        for (auto [i, kind] : llvm::enumerate(kinds)) {
          Value operand = first.getOperand(i + 1);
          if (kind == ChainArgument::Weight)
            operand = WeightSelectOp::create(body, bodyLoc, operand.getType(),
                                             selected[i], index);
          operands.push_back(operand);
        }
        auto call = func::CallOp::create(body, bodyLoc, first.getCallee(),
                                         first.getResultTypes(), operands);
        call->setDiscardableAttrs(first->getDiscardableAttrDictionary());
        YieldOp::create(body, bodyLoc, call.getResults());
      });
  last.getResult(0).replaceAllUsesWith(loop.getResult(0));
  // The weights the calls read (once each: calls may share one), erased
  // once nothing reads them.
  llvm::SetVector<Operation *> weights;
  for (func::CallOp call : llvm::reverse(calls)) {
    for (Value operand : call.getOperands())
      if (auto weight = operand.getDefiningOp<WeightOp>())
        weights.insert(weight);
    call.erase();
  }
  for (Operation *weight : weights)
    if (weight->use_empty())
      weight->erase();
}

struct LoomRollLayersPass : loom::impl::LoomRollLayersBase<LoomRollLayersPass> {
  using LoomRollLayersBase::LoomRollLayersBase;

  void runOnOperation() override {
    if (minLayers < 2) {
      emitError(getOperation()->getLoc())
          << "--loom-roll-layers: min-layers must be at least 2, got "
          << int64_t(minLayers);
      return signalPassFailure();
    }
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks)
      for (const LayerChain &chain : findLayerChains(*block, minLayers))
        roll(chain.calls, chain.kinds);
  }
};

} // namespace
