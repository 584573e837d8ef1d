//===- LayerCounts.cpp - Per-layer sizes for the pruning passes -----------===//

#include "dialects/Loom/Transforms/LayerCounts.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace loom;

FailureOr<LayerCounts> LayerCounts::parse(ArrayRef<std::string> entries,
                                          StringRef pass, ModuleOp module) {
  LayerCounts result;
  for (const std::string &entry : entries) {
    auto [name, text] = StringRef(entry).rsplit('=');
    int64_t count;
    if (name.empty() || text.getAsInteger(10, count) || count < 1) {
      module.emitError() << pass << ": bad count '" << entry
                         << "' (expected NAME=N, N at least 1)";
      return failure();
    }
    if (!result.counts.try_emplace(name, count).second) {
      module.emitError() << pass << ": '" << name << "' has two counts";
      return failure();
    }
  }
  return result;
}

std::optional<int64_t> LayerCounts::lookup(StringRef name) {
  auto found = counts.find(name);
  if (found == counts.end())
    return std::nullopt;
  used.insert(name);
  return found->second;
}

LogicalResult LayerCounts::checkAllUsed(StringRef pass, StringRef what,
                                        ModuleOp module) const {
  for (const auto &entry : counts)
    if (!used.contains(entry.first()))
      return module.emitError()
             << pass << ": no " << what << " '" << entry.first() << "'";
  return success();
}

std::optional<SmallVector<std::string>>
loom::weightNamesPerCall(Operation *op, Value weight, SymbolTable &symbols) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func || !func.isPrivate()) {
    auto read = weight.getDefiningOp<WeightOp>();
    if (!read)
      return std::nullopt;
    return SmallVector<std::string>{checkpointNameOf(read, symbols)};
  }
  auto argument = dyn_cast<BlockArgument>(weight);
  if (!argument || argument.getOwner() != &func.getBody().front())
    return std::nullopt;
  SmallVector<std::string> names;
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(func, op->getParentOfType<ModuleOp>());
  for (const SymbolTable::SymbolUse &use :
       uses ? *uses : SymbolTable::UseRange({})) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    auto caller = call ? call->getParentOfType<func::FuncOp>() : nullptr;
    if (!call || !caller || caller.isPrivate())
      return std::nullopt;
    auto read =
        call.getOperand(argument.getArgNumber()).getDefiningOp<WeightOp>();
    if (!read)
      return std::nullopt;
    names.push_back(checkpointNameOf(read, symbols));
  }
  return names;
}

bool loom::copyBlockPerCall(Operation *op, SymbolTable &symbols) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func || !func.isPrivate())
    return false;
  auto module = func->getParentOfType<ModuleOp>();
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(func, module);
  SmallVector<func::CallOp> calls;
  for (const SymbolTable::SymbolUse &use :
       uses ? *uses : SymbolTable::UseRange({}))
    if (auto call = dyn_cast<func::CallOp>(use.getUser()))
      calls.push_back(call);
  if (calls.size() < 2)
    return false;
  Operation *last = func;
  for (auto [index, call] : llvm::enumerate(llvm::drop_begin(calls))) {
    func::FuncOp copy = func.clone();
    copy.setSymName((func.getSymName() + "_" + llvm::Twine(index + 1)).str());
    // After the original, in call order.
    module.getBody()->getOperations().insertAfter(last->getIterator(), copy);
    last = copy;
    symbols.insert(copy);
    call.setCallee(copy.getSymName());
  }
  return true;
}

void loom::separateLayerCounts(
    llvm::function_ref<SmallVector<Operation *>()> collect,
    llvm::function_ref<size_t(Operation *)> distinctCounts,
    SymbolTable &symbols) {
  // Each copy changes the ops, so look again after each.
  for (bool copied = true; copied;) {
    copied = false;
    for (Operation *op : collect())
      if (distinctCounts(op) > 1 && copyBlockPerCall(op, symbols)) {
        copied = true;
        break;
      }
  }
}

bool loom::hasEntryPoint(ModuleOp module) {
  return llvm::any_of(module.getOps<func::FuncOp>(), [](func::FuncOp func) {
    return func->hasAttr("loom.entry");
  });
}
