//===- FeedForwardNetworks.cpp - A model's networks by checkpoint name ----===//

#include "compiler/Import/GlobalPruning.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/LayerCounts.h"

using namespace mlir;
using namespace loom;

llvm::Expected<std::vector<FeedForwardNetwork>>
loom::findFeedForwardNetworks(ModuleOp module) {
  SymbolTable symbols(module);
  std::vector<FeedForwardNetwork> networks;
  llvm::Error error = llvm::Error::success();
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
    auto names = [&](Value weight) {
      return weightNamesPerCall(op, weight, symbols);
    };
    auto ups = names(up), downs = names(down);
    std::optional<SmallVector<std::string>> gates;
    if (gate)
      gates = names(gate);
    if (!ups || !downs || (gate && !gates)) {
      std::string where;
      llvm::raw_string_ostream os(where);
      os << op->getLoc();
      error = llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "global pruning scores each feed-forward network "
          "from its checkpoint tensors, but the network at " +
              where + " reads computed weights (merged or sliced layers)");
      return WalkResult::interrupt();
    }
    int64_t neurons = cast<RankedTensorType>(up.getType()).getDimSize(0);
    for (size_t call = 0; call < ups->size(); ++call)
      networks.push_back({gates ? (*gates)[call] : std::string(), (*ups)[call],
                          (*downs)[call], neurons});
    return WalkResult::advance();
  });
  if (error)
    return std::move(error);
  return networks;
}
