//===- MergeLayers.cpp - Adjacent layers merged into one ------------------===//
//
// Implements --loom-merge-layers (LaCo). A group of layers, named by their
// checkpoint prefixes, becomes its first layer with merged weights; the
// others are removed, their inputs passed on as `--loom-drop-layers` does.
// LaCo's merge keeps the base layer and adds what each other layer changes
// from it, `W_b + sum_i (W_i - W_b)`; `mode=average` averages them. The
// merged weights are computations on weights, derived params named
// `model.layers.{12,13}.mlp.up_proj.weight.merged`.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace loom {
#define GEN_PASS_DEF_LOOMMERGELAYERS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

struct LoomMergeLayersPass
    : loom::impl::LoomMergeLayersBase<LoomMergeLayersPass> {
  using LoomMergeLayersBase::LoomMergeLayersBase;

  void runOnOperation() override {
    if (groups.empty())
      return;
    ModuleOp module = getOperation();
    if (mode != "laco" && mode != "average") {
      module.emitError("--loom-merge-layers: unknown mode '")
          << mode << "'; the modes are laco and average";
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    Layers model = findLayers(module, symbols);
    llvm::StringMap<SmallVector<func::CallOp>> &calls = model.calls;
    ArrayRef<std::string> order = model.order;

    llvm::StringSet<> used;
    SmallVector<SmallVector<func::CallOp>> merges;
    for (const std::string &group : groups) {
      SmallVector<StringRef> names;
      StringRef(group).split(names, '+', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
      if (names.size() < 2) {
        module.emitError("--loom-merge-layers: the group '")
            << group << "' names one layer; write the layers to merge as "
            << "A+B(+...)";
        return signalPassFailure();
      }
      SmallVector<func::CallOp> members;
      for (StringRef name : names) {
        auto found = calls.find(name);
        if (found == calls.end()) {
          module.emitError("--loom-merge-layers: no layer is named '")
              << name << "'; the layers are " << describeLayers(order);
          return signalPassFailure();
        }
        if (found->second.size() != 1) {
          found->second.front().emitError("--loom-merge-layers: layer '")
              << name << "' runs " << found->second.size()
              << " times (a weight-shared loop); only layers that run once "
                 "can be merged";
          return signalPassFailure();
        }
        if (!used.insert(name).second) {
          module.emitError("--loom-merge-layers: layer '")
              << name << "' is in two groups";
          return signalPassFailure();
        }
        members.push_back(found->second.front());
      }
      merges.push_back(std::move(members));
    }
    for (ArrayRef<func::CallOp> members : merges)
      if (failed(merge(members, symbols)))
        return signalPassFailure();
    // Params no entry point reads any more.
    for (ParamOp param : llvm::make_early_inc_range(module.getOps<ParamOp>()))
      if (SymbolTable::symbolKnownUseEmpty(param, module))
        param.erase();
  }

  /// Gives the first of `members` the merged weights and removes the
  /// others.
  LogicalResult merge(ArrayRef<func::CallOp> members, SymbolTable &symbols) {
    func::CallOp base = members.front();
    for (func::CallOp other : members.drop_front()) {
      if (other.getCallee() != base.getCallee() ||
          other.getOperandTypes() != base.getOperandTypes())
        return other.emitError("--loom-merge-layers: this layer is not of "
                               "the same block as the one it is merged into");
      if (other.getNumResults() != 1 ||
          other.getResult(0).getType() != other.getOperand(0).getType())
        return other.emitError("--loom-merge-layers: this layer does not "
                               "return a value of its input's type, so it "
                               "cannot be removed");
    }
    OpBuilder builder(base);
    Location loc = base.getLoc();
    SmallVector<Value> operands(base.getOperands());
    for (unsigned i = 1, e = base.getNumOperands(); i < e; ++i) {
      auto own = base.getOperand(i).getDefiningOp<WeightOp>();
      SmallVector<WeightOp> others;
      for (func::CallOp other : members.drop_front())
        if (auto weight = other.getOperand(i).getDefiningOp<WeightOp>())
          others.push_back(weight);
      if (!own || others.size() + 1 != members.size()) {
        // The same value in every layer (not a weight) stays.
        if (llvm::all_of(members, [&](func::CallOp member) {
              return member.getOperand(i) == base.getOperand(i);
            }))
          continue;
        return base.emitError("--loom-merge-layers: argument #")
               << i << " of the merged layers is not a weight in each";
      }
      SmallVector<std::string> names = {checkpointNameOf(own, symbols)};
      Value sum = own.getResult();
      Value negated;
      for (WeightOp weight : others) {
        Value read = builder.clone(*weight)->getResult(0);
        names.push_back(checkpointNameOf(weight, symbols));
        if (mode == "average") {
          sum = AddOp::create(builder, loc, sum, read);
          continue;
        }
        if (!negated)
          negated = ScaleOp::create(builder, loc, own.getResult(), -1.0);
        Value change = AddOp::create(builder, loc, read, negated);
        sum = AddOp::create(builder, loc, sum, change);
      }
      Operation *merged = sum.getDefiningOp();
      if (mode == "average")
        merged =
            ScaleOp::create(builder, loc, sum, 1.0 / double(members.size()));
      std::string braced = bracedName(names);
      merged->setAttr(kDerivedNameAttr,
                      builder.getStringAttr(
                          (braced.empty() ? llvm::join(names, "+") : braced) +
                          (mode == "average" ? ".mean" : ".merged")));
      operands[i] = merged->getResult(0);
    }
    base->setOperands(operands);
    for (func::CallOp other : members.drop_front())
      eraseCall(other);
    return success();
  }
};

} // namespace
