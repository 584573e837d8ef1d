//===- SpecializeBlocks.cpp - A copy of a block per way of calling it -----===//

#include "dialects/Loom/Transforms/SpecializeBlocks.h"

#include "llvm/ADT/MapVector.h"

#include <map>

using namespace mlir;

SmallVector<std::pair<func::FuncOp, int64_t>>
loom::specializeBlocks(ModuleOp module, SymbolTable &symbols,
                       CallSignature signature) {
  SmallVector<func::FuncOp> blocks;
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPrivate() && !func.isExternal())
      blocks.push_back(func);
  SmallVector<std::pair<func::FuncOp, int64_t>> specialized;
  for (func::FuncOp block : blocks) {
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(block, module);
    if (!uses)
      continue;
    SmallVector<func::CallOp> calls;
    bool otherUses = false;
    for (const SymbolTable::SymbolUse &use : *uses) {
      if (auto call = dyn_cast<func::CallOp>(use.getUser()))
        calls.push_back(call);
      else
        otherUses = true;
    }
    if (otherUses || calls.size() < 2)
      continue;
    // The calls by signature, in the order their signatures first appear.
    llvm::MapVector<std::string, SmallVector<func::CallOp>,
                    std::map<std::string, unsigned>>
        groups;
    bool known = true;
    for (func::CallOp call : calls) {
      std::optional<std::string> key = signature(block, call);
      if (!key) {
        known = false;
        break;
      }
      groups[*key].push_back(call);
    }
    if (!known || groups.size() < 2)
      continue;
    Block::iterator after = std::next(block->getIterator());
    for (auto [index, group] : llvm::enumerate(groups)) {
      if (index == 0)
        continue;
      func::FuncOp clone = block.clone();
      clone.setName((block.getName() + "_" + Twine(index)).str());
      StringAttr name = symbols.insert(clone, after);
      after = std::next(clone->getIterator());
      for (func::CallOp call : group.second)
        call.setCallee(name.getValue());
    }
    specialized.push_back({block, int64_t(groups.size()) - 1});
  }
  return specialized;
}
