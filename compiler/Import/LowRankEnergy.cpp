//===- LowRankEnergy.cpp - Ranks that keep a fraction of the energy -------===//

#include "compiler/Import/LowRankEnergy.h"

#include "runtime/include/loom/Checkpoint.h"
#include "runtime/include/loom/LowRank.h"
#include "runtime/include/loom/Weights.h"

#include "llvm/ADT/StringSet.h"

using namespace loom;

llvm::Expected<std::vector<std::string>>
loom::energyRanks(const std::vector<FactoredWeight> &weights,
                  const LowRankEnergyOptions &options) {
  Expected<std::shared_ptr<Checkpoint>> checkpoint =
      Checkpoint::open(options.checkpoints);
  if (!checkpoint)
    return llvm::createStringError(checkpoint.getError());
  // Each weight once, as f32 (GGUF blocks dequantized), checked against the
  // model's shape.
  std::vector<TensorSpec> specs;
  llvm::StringSet<> seen;
  for (const FactoredWeight &weight : weights) {
    if (!seen.insert(weight.name).second)
      continue;
    specs.push_back({weight.name, {weight.rows, weight.cols}});
    if (!options.importance)
      continue;
    std::string importance = weight.name + ".importance";
    if (!(*checkpoint)->find(importance))
      return llvm::createStringError(
          "--low-rank-energy: tensor '" + importance + "' is not in " +
          (*checkpoint)->describe() +
          " (the importance comes from a program's --calibrate "
          "run, given with a second --weights)");
    specs.push_back({importance, {weight.cols}});
  }
  Expected<WeightSet> loaded = WeightSet::load(*checkpoint, specs);
  if (!loaded)
    return llvm::createStringError(loaded.getError());
  std::vector<std::string> ranks;
  for (const FactoredWeight &weight : weights) {
    MatrixView view{loaded->data(weight.name), weight.rows, weight.cols,
                    weight.cols, 1};
    const float *importance = options.importance
                                  ? loaded->data(weight.name + ".importance")
                                  : nullptr;
    std::vector<double> values = singularValues(view, importance);
    if (values.empty())
      return llvm::createStringError(
          "--low-rank-energy: tensor '" + weight.name + "' in " +
          (*checkpoint)->describe() + " has a NaN or an infinity");
    ranks.push_back(weight.name + "=" +
                    std::to_string(rankForEnergy(values, options.energy)));
  }
  return ranks;
}
