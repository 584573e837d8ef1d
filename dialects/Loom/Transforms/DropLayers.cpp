//===- DropLayers.cpp - Remove whole blocks from the model ----------------===//
//
// Implements --loom-drop-layers. Blocks are private functions that the
// entry points call once per layer, passing the layer's weights
// (`loom.weight` of its params, before `--loom-derive-weights`); a call is
// named by the checkpoint prefix of its weights. A removed call's result is
// replaced by the hidden state it was given.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

namespace loom {
#define GEN_PASS_DEF_LOOMDROPLAYERS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// The layer name of `call`: its weights' checkpoint names without the
/// names the block gives them (the `loom.weight` attribute of its
/// arguments: `model.layers.3.mlp.up_proj.weight` read as
/// `mlp.up_proj.weight` is layer `model.layers.3`), which all weights must
/// agree on; empty if an operand is not a `loom.weight` or they disagree.
std::string layerName(func::CallOp call, func::FuncOp callee) {
  std::string layer;
  bool first = true;
  for (auto [index, operand] :
       llvm::enumerate(call.getOperands().drop_front())) {
    auto weight = operand.getDefiningOp<WeightOp>();
    auto relative =
        callee.getArgAttrOfType<StringAttr>(unsigned(index + 1), "loom.weight");
    if (!weight || !relative)
      return "";
    StringRef name = weight.getParam();
    if (!name.consume_back(relative.getValue()) || !name.consume_back("."))
      return "";
    if (!first && name != layer)
      return "";
    layer = name.str();
    first = false;
  }
  return layer;
}

} // namespace

void loom::eraseCall(func::CallOp call) {
  // Each once: a call may pass one weight twice.
  llvm::SetVector<Operation *> weights;
  for (Value operand : call.getOperands().drop_front())
    if (Operation *def = operand.getDefiningOp())
      weights.insert(def);
  call.getResult(0).replaceAllUsesWith(call.getOperand(0));
  call.erase();
  for (Operation *weight : weights)
    if (weight->use_empty())
      weight->erase();
}

std::string loom::describeLayers(ArrayRef<std::string> names) {
  if (names.size() <= 6)
    return llvm::join(names, ", ");
  return llvm::join(names.take_front(3), ", ") + ", ..., " +
         llvm::join(names.take_back(2), ", ") + " (" +
         std::to_string(names.size()) + ")";
}

SmallVector<size_t>
loom::rankByInfluence(ArrayRef<std::string> order,
                      const llvm::StringMap<double> &influence) {
  auto indices = llvm::to_vector(llvm::seq<size_t>(0, order.size()));
  // Least influence first; of equals, the later layer.
  llvm::sort(indices, [&](size_t a, size_t b) {
    double x = influence.lookup(order[a]), y = influence.lookup(order[b]);
    return x != y ? x < y : a > b;
  });
  return indices;
}

SmallVector<std::string>
loom::leastInfluential(ArrayRef<std::string> order,
                       const llvm::StringMap<double> &influence,
                       unsigned count) {
  SmallVector<size_t> indices = rankByInfluence(order, influence);
  indices.resize(std::min<size_t>(count, indices.size()));
  llvm::sort(indices);
  SmallVector<std::string> names;
  for (size_t index : indices)
    names.push_back(order[index]);
  return names;
}

Layers loom::findLayers(ModuleOp module, SymbolTable &symbols) {
  Layers layers;
  module.walk([&](func::CallOp call) {
    auto caller = call->getParentOfType<func::FuncOp>();
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (!caller || !caller->hasAttr("loom.entry") || !callee ||
        !callee->hasAttr("loom.block"))
      return;
    std::string name = layerName(call, callee);
    if (name.empty())
      return;
    if (!layers.calls.count(name))
      layers.order.push_back(name);
    layers.calls[name].push_back(call);
  });
  return layers;
}

namespace {

struct LoomDropLayersPass : loom::impl::LoomDropLayersBase<LoomDropLayersPass> {
  using LoomDropLayersBase::LoomDropLayersBase;

  /// The layers `count` names, by their `scores`; an error at `module` if
  /// the scores do not cover them.
  FailureOr<SmallVector<std::string>>
  chooseByScore(ModuleOp module, ArrayRef<std::string> order) {
    if (!layers.empty()) {
      module.emitError() << "--loom-drop-layers: give the layers to remove "
                            "or a count, not both";
      return failure();
    }
    if (scores.empty()) {
      module.emitError() << "--loom-drop-layers: count=" << unsigned(count)
                         << " needs each layer's block influence (scores; "
                            "loomc reads them from a calibration run's "
                            "statistics with --layer-influence)";
      return failure();
    }
    llvm::StringMap<double> influence;
    for (const std::string &entry : scores) {
      auto [name, text] = StringRef(entry).rsplit('=');
      double value;
      if (name.empty() || text.getAsDouble(value) || !std::isfinite(value)) {
        module.emitError() << "--loom-drop-layers: bad score '" << entry
                           << "' (expected NAME=VALUE)";
        return failure();
      }
      influence[name] = value;
    }
    for (const std::string &name : order)
      if (!influence.count(name)) {
        module.emitError()
            << "--loom-drop-layers: no block influence for layer '" << name
            << "' (were the statistics measured on another model?)";
        return failure();
      }
    return leastInfluential(order, influence, count);
  }

  void runOnOperation() override {
    if (layers.empty() && count == 0)
      return;
    ModuleOp module = getOperation();
    SymbolTable symbols(module);

    Layers model = findLayers(module, symbols);
    llvm::StringMap<SmallVector<func::CallOp>> &calls = model.calls;
    ArrayRef<std::string> order = model.order;

    SmallVector<std::string> chosen(layers.begin(), layers.end());
    if (count != 0) {
      if (count >= order.size()) {
        module.emitError() << "--loom-drop-layers: removing " << unsigned(count)
                           << " of the " << order.size()
                           << " layers leaves no model";
        return signalPassFailure();
      }
      FailureOr<SmallVector<std::string>> byScore =
          chooseByScore(module, order);
      if (failed(byScore))
        return signalPassFailure();
      chosen = std::move(*byScore);
    }

    llvm::StringSet<> dropped;
    for (const std::string &name : chosen) {
      auto found = calls.find(name);
      if (found == calls.end()) {
        module.emitError() << "--loom-drop-layers: no layer is named '" << name
                           << "'; the layers are " << describeLayers(order);
        return signalPassFailure();
      }
      dropped.insert(name);
    }
    if (dropped.size() == calls.size()) {
      module.emitError() << "--loom-drop-layers: removing every layer ("
                         << calls.size() << ") leaves no model";
      return signalPassFailure();
    }

    for (const std::string &name : order) {
      if (!dropped.contains(name))
        continue;
      for (func::CallOp call : calls[name]) {
        if (call.getNumResults() != 1 || call.getNumOperands() == 0 ||
            call.getResult(0).getType() != call.getOperand(0).getType()) {
          call.emitError() << "--loom-drop-layers: layer '" << name
                           << "' does not return a value of its input's "
                              "type, so it cannot be skipped";
          return signalPassFailure();
        }
        eraseCall(call);
      }
    }
    // Params no entry point reads any more.
    for (ParamOp param : llvm::make_early_inc_range(module.getOps<ParamOp>()))
      if (SymbolTable::symbolKnownUseEmpty(param, module))
        param.erase();
  }
};

} // namespace
