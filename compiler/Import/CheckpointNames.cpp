//===- CheckpointNames.cpp - Layers and products by checkpoint name -------===//
//
// The feed-forward networks, attentions and factored products of a module,
// once per layer that runs them, with the checkpoint names of their
// weights: what global pruning and energy ranks read from the checkpoint at
// compile time. Kept apart from GlobalPruning.cpp and LowRankEnergy.cpp,
// which include the runtime's headers (whose names clash with the
// dialect's).
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/GlobalPruning.h"
#include "compiler/Import/LowRankEnergy.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/LayerCounts.h"

using namespace mlir;
using namespace loom;

/// The error for a layer whose weights are computed rather than read:
/// `reader` (global pruning, --low-rank-energy) reads each `what`'s weights
/// from the checkpoint.
static llvm::Error computedWeights(Operation *op, llvm::StringRef reader,
                                   llvm::StringRef what) {
  std::string where;
  if (auto file = op->getLoc()->findInstanceOf<FileLineColLoc>())
    where = (file.getFilename().getValue() + ":" + llvm::Twine(file.getLine()) +
             ":" + llvm::Twine(file.getColumn()) + ": ")
                .str();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      where + reader + " reads each " + what +
          "'s weights as checkpoint tensors, but this one's are computed or "
          "rearranged (merged or sliced layers, or a checkpoint that stores "
          "them transposed or fused, as GPT-2's Conv1D layers)");
}

/// The checkpoint names of `weights` (values of `op`'s function) per call;
/// none if one of them is computed.
static std::optional<SmallVector<SmallVector<std::string>>>
namesPerCall(Operation *op, ArrayRef<Value> weights, SymbolTable &symbols) {
  SmallVector<SmallVector<std::string>> names;
  for (Value weight : weights) {
    if (!weight) {
      names.emplace_back();
      continue;
    }
    std::optional<SmallVector<std::string>> perCall =
        weightNamesPerCall(op, weight, symbols);
    if (!perCall)
      return std::nullopt;
    names.push_back(std::move(*perCall));
  }
  return names;
}

llvm::Expected<std::vector<FeedForwardNetwork>>
loom::findFeedForwardNetworks(ModuleOp module) {
  SymbolTable symbols(module);
  std::vector<FeedForwardNetwork> networks;
  Operation *computed = nullptr;
  module.walk([&](Operation *op) {
    Value gate, up, down;
    if (auto gated = dyn_cast<GatedMLPOp>(op)) {
      gate = gated.getWGate();
      up = gated.getWUp();
      down = gated.getWDown();
    } else if (auto mlp = dyn_cast<MLPOp>(op)) {
      up = mlp.getWUp();
      down = mlp.getWDown();
    } else {
      return WalkResult::advance();
    }
    auto names = namesPerCall(op, {gate, up, down}, symbols);
    if (!names) {
      computed = op;
      return WalkResult::interrupt();
    }
    int64_t neurons = cast<RankedTensorType>(up.getType()).getDimSize(0);
    for (size_t call = 0; call < (*names)[1].size(); ++call)
      networks.push_back({gate ? (*names)[0][call] : std::string(),
                          (*names)[1][call], (*names)[2][call], neurons});
    return WalkResult::advance();
  });
  if (computed)
    return computedWeights(computed, "global pruning", "feed-forward network");
  return networks;
}

llvm::Expected<std::vector<AttentionLayer>>
loom::findAttentions(ModuleOp module) {
  SymbolTable symbols(module);
  std::vector<AttentionLayer> attentions;
  Operation *computed = nullptr;
  module.walk([&](AttentionOp op) {
    auto names = namesPerCall(
        op, {op.getWq(), op.getWk(), op.getWv(), op.getWo()}, symbols);
    if (!names) {
      computed = op;
      return WalkResult::interrupt();
    }
    for (size_t call = 0; call < (*names)[0].size(); ++call)
      attentions.push_back(
          {(*names)[0][call], (*names)[1][call], (*names)[2][call],
           (*names)[3][call], int64_t(op.getNumHeads()),
           int64_t(op.getNumKvHeads()), int64_t(op.getHeadDim())});
    return WalkResult::advance();
  });
  if (computed)
    return computedWeights(computed, "global pruning", "attention");
  return attentions;
}

llvm::Expected<std::vector<FactoredWeight>>
loom::findFactoredWeights(ModuleOp module) {
  SymbolTable symbols(module);
  std::vector<FactoredWeight> weights;
  Operation *computed = nullptr;
  module.walk([&](LowRankOp op) {
    if (op.getPart() != "a")
      return WalkResult::advance();
    std::optional<SmallVector<std::string>> names =
        weightNamesPerCall(op, op.getW(), symbols);
    if (!names) {
      computed = op;
      return WalkResult::interrupt();
    }
    auto type = cast<RankedTensorType>(op.getW().getType());
    for (const std::string &name : *names)
      weights.push_back({name, type.getDimSize(0), type.getDimSize(1)});
    return WalkResult::advance();
  });
  if (computed)
    return computedWeights(computed, "--low-rank-energy", "factored product");
  return weights;
}

std::vector<PrunedLayer> loom::describePruning(ModuleOp module) {
  SymbolTable symbols(module);
  std::vector<PrunedLayer> layers;
  // The weight a pruned value was cut from, and the neurons or groups of
  // the original and of the cut.
  auto original = [](Value weight) {
    if (auto neurons = weight.getDefiningOp<PruneNeuronsOp>())
      return neurons.getTarget();
    if (auto heads = weight.getDefiningOp<PruneHeadsOp>())
      return heads.getTarget();
    return weight;
  };
  auto add = [&](Operation *op, Value weight, bool attention, int64_t kept,
                 int64_t total) {
    std::optional<SmallVector<std::string>> names =
        weightNamesPerCall(op, original(weight), symbols);
    for (const std::string &name :
         names ? *names : SmallVector<std::string>{"(computed weight)"})
      layers.push_back({name, attention, kept, total});
  };
  module.walk([&](Operation *op) {
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      Value wo = attention.getWo();
      int64_t total = attention.getNumKvHeads();
      if (auto pruned = wo.getDefiningOp<PruneHeadsOp>())
        total = pruned.getKvHeads();
      add(op, wo, true, attention.getNumKvHeads(), total);
      return;
    }
    Value down;
    if (auto gated = dyn_cast<GatedMLPOp>(op))
      down = gated.getWDown();
    else if (auto mlp = dyn_cast<MLPOp>(op))
      down = mlp.getWDown();
    else
      return;
    auto width = [](Value value) {
      return cast<RankedTensorType>(value.getType()).getDimSize(1);
    };
    add(op, down, false, width(down), width(original(down)));
  });
  // By layer: numbers in names compare as numbers.
  llvm::stable_sort(layers, [](const PrunedLayer &a, const PrunedLayer &b) {
    return llvm::StringRef(a.name).compare_numeric(b.name) < 0;
  });
  return layers;
}
