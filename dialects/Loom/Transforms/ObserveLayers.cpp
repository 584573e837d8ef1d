//===- ObserveLayers.cpp - Show layers' inputs and outputs to calibration -===//
//
// Implements --loom-observe-layers. A calibration run measures each layer's
// block influence (ShortGPT: 1 - cos(input, output)) from `loom.observe`
// ops at the start and end of the blocks the entry point calls once per
// layer. A block's body is shared by its layers, so the ops carry no layer:
// the module lists the layer names in call order (`loom.layers`, carried by
// the model description) and the runtime pairs the n-th observed call of a
// forward pass with the n-th name.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace loom {
#define GEN_PASS_DEF_LOOMOBSERVELAYERS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// True if `block` maps a hidden state to one of the same type: one
/// [seq, width] input first, one result of its type.
bool isResidualBlock(func::FuncOp block) {
  FunctionType type = block.getFunctionType();
  if (block.isExternal() || type.getNumInputs() == 0 ||
      type.getNumResults() != 1 || type.getInput(0) != type.getResult(0))
    return false;
  auto tensor = dyn_cast<RankedTensorType>(type.getInput(0));
  return tensor && tensor.getRank() == 2 &&
         isa<FloatType>(tensor.getElementType());
}

/// Puts `loom.observe` at the start and before each return of `block`.
void instrument(func::FuncOp block) {
  OpBuilder builder = OpBuilder::atBlockBegin(&block.getBody().front());
  ObserveOp::create(builder, block.getLoc(), block.getArgument(0),
                    /*output=*/false);
  block.walk([&](func::ReturnOp ret) {
    builder.setInsertionPoint(ret);
    ObserveOp::create(builder, ret.getLoc(), ret.getOperand(0),
                      /*output=*/true);
  });
}

struct LoomObserveLayersPass
    : loom::impl::LoomObserveLayersBase<LoomObserveLayersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("loom.entry"))
        entries.push_back(func);
    // The runtime counts the calls of one forward pass: one entry point.
    if (entries.size() != 1 || module->hasAttr(kLayersAttr))
      return;
    func::FuncOp entry = entries.front();

    Layers layers = findLayers(module, symbols);
    llvm::DenseMap<Operation *, StringRef> layerOf;
    for (const auto &named : layers.calls)
      for (func::CallOp call : named.second)
        layerOf[call] = named.first();

    // Blocks every use of which is a layer's call straight in the entry.
    llvm::SetVector<func::FuncOp> blocks;
    entry.walk([&](func::CallOp call) {
      if (auto callee = symbols.lookup<func::FuncOp>(call.getCallee()))
        if (callee->hasAttr("loom.block"))
          blocks.insert(callee);
    });
    llvm::SmallPtrSet<Operation *, 8> observed;
    for (func::FuncOp block : blocks) {
      if (!isResidualBlock(block))
        continue;
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(block, module);
      bool direct =
          uses && llvm::all_of(*uses, [&](const SymbolTable::SymbolUse &use) {
            Operation *user = use.getUser();
            return isa<func::CallOp>(user) && user->getParentOp() == entry &&
                   layerOf.count(user);
          });
      if (direct)
        observed.insert(block);
    }
    if (observed.empty())
      return;

    SmallVector<Attribute> names;
    entry.walk([&](func::CallOp call) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (callee && observed.contains(callee))
        names.push_back(StringAttr::get(&getContext(), layerOf.lookup(call)));
    });
    for (Operation *block : observed)
      instrument(cast<func::FuncOp>(block));
    module->setAttr(kLayersAttr, ArrayAttr::get(&getContext(), names));
  }
};

} // namespace
