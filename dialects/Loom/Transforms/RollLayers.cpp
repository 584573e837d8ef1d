//===- RollLayers.cpp - Stacks of layers as loops over their weights ------===//
//
// Implements --loom-roll-layers. A stack `Decoder[N]` elaborates to N calls
// of the block, each reading its own weights: the block's code exists once,
// but the entry point holds N calls, N sets of weight arguments and, after
// binding, N sets of KV-slot offsets, which the rest of the pipeline and
// LLVM then process N times. Rolled, the stack is one loop whose body calls
// the block with the weights `loom.weight_select` picks for the iteration.
//
// A chain is a run of calls of one callee in one block where each call's
// first operand is the previous call's only use, its result has the type of
// that operand (the loop-carried value), and every other operand is either
// the same value in every call (a shared argument) or a `loom.weight` in
// every call (a per-layer weight).
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
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

/// How an argument position varies along a chain.
enum class ArgumentKind { Shared, Weight };

/// True if `call` can start a chain: one result, of its first operand's
/// type.
bool canChain(func::CallOp call) {
  return call.getNumResults() == 1 && call.getNumOperands() >= 1 &&
         call.getResult(0).getType() == call.getOperand(0).getType();
}

/// The call that continues a chain ending in `call`, if any: the only user
/// of its result, a call of the same callee in the same block that takes it
/// as its first operand.
func::CallOp nextInChain(func::CallOp call) {
  Value result = call.getResult(0);
  if (!result.hasOneUse())
    return nullptr;
  auto next = dyn_cast<func::CallOp>(*result.getUsers().begin());
  if (!next || next->getBlock() != call->getBlock() ||
      next.getCallee() != call.getCallee() ||
      next.getOperandTypes() != call.getOperandTypes() ||
      next.getOperand(0) != result || !canChain(next))
    return nullptr;
  return next;
}

/// The kind of each argument (but the first) of `first` when `other`
/// follows it in a chain; none if they do not agree.
std::optional<SmallVector<ArgumentKind>> classify(func::CallOp first,
                                                  func::CallOp other) {
  SmallVector<ArgumentKind> kinds;
  for (unsigned i = 1, e = first.getNumOperands(); i < e; ++i) {
    Value a = first.getOperand(i), b = other.getOperand(i);
    if (a == b)
      kinds.push_back(ArgumentKind::Shared);
    else if (a.getDefiningOp<WeightOp>() && b.getDefiningOp<WeightOp>())
      kinds.push_back(ArgumentKind::Weight);
    else
      return std::nullopt;
  }
  return kinds;
}

/// True if `call` agrees with `kinds` as established by `first`.
bool agrees(func::CallOp first, func::CallOp call,
            ArrayRef<ArgumentKind> kinds) {
  for (auto [i, kind] : llvm::enumerate(kinds)) {
    Value a = first.getOperand(i + 1), b = call.getOperand(i + 1);
    if (kind == ArgumentKind::Shared ? a != b : !b.getDefiningOp<WeightOp>())
      return false;
  }
  return true;
}

/// Replaces the chain `calls` by a loop at the last call.
void roll(ArrayRef<func::CallOp> calls, ArrayRef<ArgumentKind> kinds) {
  func::CallOp first = calls.front(), last = calls.back();
  OpBuilder builder(last);
  Location loc = builder.getFusedLoc(llvm::to_vector(
      llvm::map_range(calls, [](func::CallOp call) { return call.getLoc(); })));
  SmallVector<ArrayAttr> selected(kinds.size());
  for (auto [i, kind] : llvm::enumerate(kinds)) {
    if (kind != ArgumentKind::Weight)
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
          if (kind == ArgumentKind::Weight)
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

/// Rolls the chains of at least `minLayers` calls that start in `block`.
void rollBlock(Block &block, int64_t minLayers) {
  SmallVector<func::CallOp> heads;
  for (auto call : block.getOps<func::CallOp>()) {
    // A chain starts at a call that does not continue another one.
    auto previous = call.getNumOperands()
                        ? call.getOperand(0).getDefiningOp<func::CallOp>()
                        : nullptr;
    if (canChain(call) &&
        !(previous && canChain(previous) && nextInChain(previous) == call))
      heads.push_back(call);
  }
  for (func::CallOp head : heads) {
    func::CallOp start = head;
    while (start) {
      SmallVector<func::CallOp> chain = {start};
      std::optional<SmallVector<ArgumentKind>> kinds;
      func::CallOp next = nextInChain(start);
      for (; next; next = nextInChain(next)) {
        if (!kinds) {
          kinds = classify(start, next);
          if (!kinds)
            break;
        } else if (!agrees(start, next, *kinds)) {
          break;
        }
        chain.push_back(next);
      }
      if (int64_t(chain.size()) >= minLayers && kinds)
        roll(chain, *kinds);
      // A call that breaks the chain may start the next one.
      start = next;
    }
  }
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
      rollBlock(*block, minLayers);
  }
};

} // namespace
