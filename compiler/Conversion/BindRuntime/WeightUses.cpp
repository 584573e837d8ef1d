//===- WeightUses.cpp - How a model uses each parameter -------------------===//

#include "compiler/Conversion/BindRuntime/WeightUses.h"

#include "dialects/Loom/IR/LoomOps.h"

using namespace mlir;
using namespace loom;

namespace {

class WeightUseAnalysis {
public:
  explicit WeightUseAnalysis(ModuleOp module) : module(module) {}

  /// How `value` is used, following it into called blocks.
  WeightUse classify(Value value) {
    WeightUse use;
    for (OpOperand &operand : value.getUses())
      merge(use, classify(operand));
    return use;
  }

  static void merge(WeightUse &into, const WeightUse &use) {
    into.asMatrix |= use.asMatrix;
    into.asRows |= use.asRows;
    into.asStoredMatrix |= use.asStoredMatrix;
    into.otherwise |= use.otherwise;
  }

private:
  WeightUse classify(OpOperand &operand) {
    Operation *owner = operand.getOwner();
    Value value = operand.get();
    bool matrix = false;
    if (auto linear = dyn_cast<LinearOp>(owner))
      // A quantized weight is read as it is, by the quantized kernels.
      matrix = value == linear.getW() && !linear.getFormat();
    else if (auto attention = dyn_cast<AttentionOp>(owner))
      matrix = value == attention.getWq() || value == attention.getWk() ||
               value == attention.getWv() || value == attention.getWo();
    else if (auto mlp = dyn_cast<MLPOp>(owner))
      matrix = value == mlp.getWUp() || value == mlp.getWDown();
    else if (auto gated = dyn_cast<GatedMLPOp>(owner))
      matrix = value == gated.getWGate() || value == gated.getWUp() ||
               value == gated.getWDown();
    else if (auto call = dyn_cast<func::CallOp>(owner))
      return classifyArgument(call, operand.getOperandNumber());
    else if (auto embedding = dyn_cast<EmbeddingOp>(owner);
             embedding && value == embedding.getTable()) {
      WeightUse rows;
      rows.asRows = true;
      return rows;
    } else if (auto transpose = dyn_cast<TransposeOp>(owner))
      return classifyTransposed(transpose.getResult());
    WeightUse use;
    use.asMatrix = matrix;
    use.otherwise = !matrix;
    return use;
  }

  /// The use of a stored matrix through `transposed`, its transpose: the
  /// kernels read it in place when every use is a linear map's weight,
  /// directly or after a split into row blocks.
  WeightUse classifyTransposed(Value transposed) {
    WeightUse use;
    auto asWeight = [&](Value value) {
      WeightUse direct = classify(value);
      if (direct.asMatrix && !direct.asStoredMatrix && !direct.otherwise)
        use.asStoredMatrix = true;
      else
        use.otherwise = true;
    };
    for (OpOperand &operand : transposed.getUses()) {
      auto split = dyn_cast<SplitOp>(operand.getOwner());
      if (split && split.getAxis() == 0) {
        for (Value part : split.getResults())
          asWeight(part);
        continue;
      }
      WeightUse one = classify(operand);
      if (one.asMatrix && !one.otherwise)
        use.asStoredMatrix = true;
      else
        use.otherwise = true;
    }
    return use;
  }

  /// The use of argument `index` of the callee of `call`.
  WeightUse classifyArgument(func::CallOp call, unsigned index) {
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (!callee || callee.isExternal()) {
      WeightUse unknown;
      unknown.otherwise = true;
      return unknown;
    }
    auto [it, inserted] = arguments.try_emplace(callee);
    if (inserted) {
      for (BlockArgument argument : callee.getArguments())
        it->second.push_back(classify(argument));
    }
    return arguments[callee][index];
  }

  ModuleOp module;
  /// Per block function, the use of each argument.
  llvm::DenseMap<Operation *, SmallVector<WeightUse>> arguments;
};

} // namespace

llvm::DenseMap<StringAttr, WeightUse>
loom::analyzeWeightUses(ModuleOp module, func::FuncOp entry) {
  WeightUseAnalysis analysis(module);
  llvm::DenseMap<StringAttr, WeightUse> uses;
  entry.walk([&](WeightOp weight) {
    WeightUse use = analysis.classify(weight.getResult());
    WeightUseAnalysis::merge(uses[weight.getParamAttr().getAttr()], use);
  });
  // A param picked by an index is used as its pick is.
  entry.walk([&](WeightSelectOp select) {
    WeightUse use = analysis.classify(select.getResult());
    for (Attribute name : select.getParams())
      WeightUseAnalysis::merge(uses[cast<FlatSymbolRefAttr>(name).getAttr()],
                               use);
  });
  return uses;
}
