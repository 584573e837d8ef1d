//===- LayerChains.cpp - Stacks of layers as chains of block calls --------===//

#include "dialects/Loom/Transforms/LayerChains.h"

#include "dialects/Loom/IR/LoomOps.h"

using namespace mlir;
using namespace loom;

namespace {

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
std::optional<SmallVector<ChainArgument>> classify(func::CallOp first,
                                                   func::CallOp other) {
  SmallVector<ChainArgument> kinds;
  for (unsigned i = 1, e = first.getNumOperands(); i < e; ++i) {
    Value a = first.getOperand(i), b = other.getOperand(i);
    if (a == b)
      kinds.push_back(ChainArgument::Shared);
    else if (a.getDefiningOp<WeightOp>() && b.getDefiningOp<WeightOp>())
      kinds.push_back(ChainArgument::Weight);
    else
      return std::nullopt;
  }
  return kinds;
}

/// True if `call` agrees with `kinds` as established by `first`.
bool agrees(func::CallOp first, func::CallOp call,
            ArrayRef<ChainArgument> kinds) {
  for (auto [i, kind] : llvm::enumerate(kinds)) {
    Value a = first.getOperand(i + 1), b = call.getOperand(i + 1);
    if (kind == ChainArgument::Shared ? a != b : !b.getDefiningOp<WeightOp>())
      return false;
  }
  return true;
}

} // namespace

SmallVector<LayerChain> loom::findLayerChains(Block &block, int64_t minLayers) {
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
  SmallVector<LayerChain> chains;
  for (func::CallOp head : heads) {
    func::CallOp start = head;
    while (start) {
      LayerChain chain;
      chain.calls.push_back(start);
      std::optional<SmallVector<ChainArgument>> kinds;
      func::CallOp next = nextInChain(start);
      for (; next; next = nextInChain(next)) {
        if (!kinds) {
          kinds = classify(start, next);
          if (!kinds)
            break;
        } else if (!agrees(start, next, *kinds)) {
          break;
        }
        chain.calls.push_back(next);
      }
      if (int64_t(chain.calls.size()) >= std::max<int64_t>(minLayers, 2) &&
          kinds) {
        chain.kinds = std::move(*kinds);
        chains.push_back(std::move(chain));
      }
      // A call that breaks the chain may start the next one.
      start = next;
    }
  }
  return chains;
}
