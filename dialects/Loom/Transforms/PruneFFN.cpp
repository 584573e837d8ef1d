//===- PruneFFN.cpp - Remove the least important feed-forward neurons -----===//
//
// Implements --loom-prune-ffn. A feed-forward network's neuron j is row j of
// its gate and up weights (and entry j of their biases) and column j of its
// down weight; removing it removes them all and leaves the layer's input
// and output widths alone. Each weight is replaced by `loom.prune_neurons`
// of itself, which scores the neurons from all the layer's weights and keeps
// the best: computed at load per layer (a block's weights are arguments, so
// `--loom-derive-weights` makes one derived param per call).
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/LayerCounts.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace loom {
#define GEN_PASS_DEF_LOOMPRUNEFFN
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// What pruning one network needs: its weights, and where the pruned ones
/// go.
struct Network {
  Operation *op;
  Value gate, up, down;
  OpOperand *gateWeight, *upWeight, *downWeight;
  OpOperand *gateBias, *upBias;
};

std::optional<Network> networkOf(Operation *op) {
  if (auto gated = dyn_cast<GatedMLPOp>(op))
    return Network{op,
                   gated.getWGate(),
                   gated.getWUp(),
                   gated.getWDown(),
                   &gated.getWGateMutable(),
                   &gated.getWUpMutable(),
                   &gated.getWDownMutable(),
                   gated.getBGate() ? &gated.getBGateMutable()[0] : nullptr,
                   gated.getBUp() ? &gated.getBUpMutable()[0] : nullptr};
  if (auto mlp = dyn_cast<MLPOp>(op))
    return Network{op,
                   Value(),
                   mlp.getWUp(),
                   mlp.getWDown(),
                   nullptr,
                   &mlp.getWUpMutable(),
                   &mlp.getWDownMutable(),
                   nullptr,
                   mlp.getBUp() ? &mlp.getBUpMutable()[0] : nullptr};
  return std::nullopt;
}

struct LoomPruneFFNPass : loom::impl::LoomPruneFFNBase<LoomPruneFFNPass> {
  using LoomPruneFFNBase::LoomPruneFFNBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!(ratio >= 0.0 && ratio < 1.0)) {
      emitError(module.getLoc())
          << "--loom-prune-ffn: ratio must be in [0, 1), got "
          << llvm::formatv("{0}", double(ratio)).str();
      return signalPassFailure();
    }
    if (multipleOf < 1) {
      emitError(module.getLoc())
          << "--loom-prune-ffn: multiple-of must be positive, got "
          << int64_t(multipleOf);
      return signalPassFailure();
    }
    FailureOr<LayerCounts> parsed =
        LayerCounts::parse(keep, "--loom-prune-ffn", module);
    if (failed(parsed))
      return signalPassFailure();
    counts = std::move(*parsed);
    auto collect = [&] {
      SmallVector<Network> networks;
      module.walk([&](Operation *op) {
        if (std::optional<Network> network = networkOf(op))
          networks.push_back(*network);
      });
      return networks;
    };
    SymbolTable symbols(module);
    // A block whose layers keep different counts: one copy per layer.
    if (!counts.counts.empty())
      separateLayerCounts(
          [&] {
            return llvm::to_vector(llvm::map_range(
                collect(), [](const Network &network) { return network.op; }));
          },
          [&](Operation *op) {
            Network network = *networkOf(op);
            return countsPerCall(network, symbols).size();
          },
          symbols);
    SmallVector<Network> networks = collect();
    if (networks.empty() && (ratio != 0.0 || !keep.empty()) &&
        hasEntryPoint(module))
      module.emitWarning() << "--loom-prune-ffn: the model has no "
                              "feed-forward network (MLP or GatedMLP layer) "
                              "to prune; a loop with LoRA deltas reads its "
                              "products one by one";
    for (Network &network : networks)
      if (failed(prune(network, module, symbols)))
        return signalPassFailure();
    if (failed(counts.checkAllUsed("--loom-prune-ffn",
                                   "feed-forward network has the down weight",
                                   module)))
      return signalPassFailure();
  }

  /// The neurons a network of `neurons` keeps without a count of its own.
  int64_t keepByRatio(int64_t neurons) const {
    return neurons - int64_t(std::floor(ratio * double(neurons)));
  }

  /// The distinct counts the calls of `network`'s function ask for (one
  /// outside blocks), by its down weight's name.
  llvm::SmallSetVector<int64_t, 2> countsPerCall(Network &network,
                                                 SymbolTable &symbols) {
    llvm::SmallSetVector<int64_t, 2> distinct;
    int64_t neurons =
        cast<RankedTensorType>(network.up.getType()).getDimSize(0);
    std::optional<SmallVector<std::string>> names =
        weightNamesPerCall(network.op, network.down, symbols);
    if (!names)
      return distinct;
    for (const std::string &name : *names)
      distinct.insert(counts.lookup(name).value_or(keepByRatio(neurons)));
    return distinct;
  }

  LogicalResult prune(Network &network, ModuleOp module, SymbolTable &symbols) {
    Operation *op = network.op;
    auto upType = cast<RankedTensorType>(network.up.getType());
    int64_t neurons = upType.getDimSize(0);
    if (ShapedType::isDynamic(neurons))
      return op->emitError("cannot prune a feed-forward network of dynamic "
                           "width");
    llvm::SmallSetVector<int64_t, 2> asked = countsPerCall(network, symbols);
    int64_t keep = asked.empty() ? keepByRatio(neurons) : asked.front();
    if (keep > neurons)
      return op->emitError("--loom-prune-ffn: a count keeps ")
             << keep << " neurons of a network of " << neurons;
    keep = std::min<int64_t>(neurons, llvm::alignTo(keep, multipleOf));
    if (keep == neurons)
      return success();
    Value importance;
    if (this->importance) {
      FailureOr<Value> found =
          importanceFor(op, network.down, neurons, module, symbols);
      if (failed(found))
        return failure();
      importance = *found;
    }
    OpBuilder builder(op);
    auto pruned = [&](OpOperand *operand, int64_t axis) {
      if (!operand)
        return;
      auto type = cast<RankedTensorType>(operand->get().getType());
      SmallVector<int64_t> shape(type.getShape());
      shape[axis] = keep;
      Value value = PruneNeuronsOp::create(
          builder, op->getLoc(),
          RankedTensorType::get(shape, type.getElementType()), operand->get(),
          network.gate, network.up, network.down, importance, axis, keep);
      operand->set(value);
    };
    pruned(network.gateWeight, 0);
    pruned(network.upWeight, 0);
    pruned(network.downWeight, 1);
    pruned(network.gateBias, 0);
    pruned(network.upBias, 0);
    return success();
  }

  LayerCounts counts;
};

} // namespace
