//===- GlobalPruning.cpp - Cross-layer pruning counts from a checkpoint ---===//

#include "compiler/Import/GlobalPruning.h"

#include "runtime/include/loom/Checkpoint.h"
#include "runtime/include/loom/Prune.h"
#include "runtime/include/loom/Weights.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace loom;

namespace {

llvm::Error pruningError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A tensor's shape in `checkpoint`, for binding it as f32.
std::vector<int64_t> shapeOf(const Checkpoint &checkpoint,
                             const std::string &name) {
  const TensorInfo *tensor = checkpoint.find(name);
  return tensor ? tensor->shape : std::vector<int64_t>();
}

/// A row-major view of an f32 matrix.
MatrixView viewOf(const float *data, const std::vector<int64_t> &shape) {
  if (!data || shape.size() != 2)
    return {};
  return {data, shape[0], shape[1], shape[1], 1};
}

} // namespace

llvm::Expected<std::vector<std::string>>
loom::globalNeuronCounts(ModuleOp module, const GlobalPruningOptions &options) {
  llvm::Expected<std::vector<FeedForwardNetwork>> found =
      findFeedForwardNetworks(module);
  if (!found)
    return found.takeError();
  std::vector<FeedForwardNetwork> &networks = *found;
  if (networks.empty())
    return pruningError("global pruning: the model has no feed-forward "
                        "network");
  Expected<std::shared_ptr<Checkpoint>> checkpoint =
      Checkpoint::open(options.checkpoints);
  if (!checkpoint)
    return pruningError(checkpoint.getError());

  // Every tensor the scores read, bound as f32 (GGUF blocks dequantized);
  // a missing one is named with the checkpoint.
  std::vector<TensorSpec> specs;
  auto add = [&](const std::string &name) {
    if (!name.empty())
      specs.push_back({name, shapeOf(**checkpoint, name)});
  };
  for (const FeedForwardNetwork &network : networks) {
    add(network.gate);
    add(network.up);
    add(network.down);
    if (options.importance)
      add(network.down + ".importance");
  }
  for (TensorSpec &spec : specs)
    if (spec.shape.empty() && !(*checkpoint)->find(spec.name))
      return pruningError("global pruning: tensor '" + spec.name +
                          "' is not in " + (*checkpoint)->describe() +
                          (llvm::StringRef(spec.name).ends_with(".importance")
                               ? " (write it with a program's --calibrate run "
                                 "and give the statistics with a second "
                                 "--weights)"
                               : ""));
  Expected<WeightSet> weights = WeightSet::load(*checkpoint, specs);
  if (!weights)
    return pruningError(weights.getError());

  // Scores relative to their network's mean, all networks together.
  struct Neuron {
    double score;
    size_t network;
  };
  std::vector<Neuron> neurons;
  std::vector<int64_t> kept;
  for (auto [index, network] : llvm::enumerate(networks)) {
    auto matrix = [&](const std::string &name) -> MatrixView {
      if (name.empty())
        return {};
      return viewOf(weights->data(name), shapeOf(**checkpoint, name));
    };
    MatrixView up = matrix(network.up), down = matrix(network.down);
    if (up.rows != network.neurons || down.cols != network.neurons)
      return pruningError("global pruning: '" + network.up + "' and '" +
                          network.down + "' in " + (*checkpoint)->describe() +
                          " do not have the model's " +
                          llvm::Twine(network.neurons) + " neurons");
    const float *importance = nullptr;
    if (options.importance) {
      std::string name = network.down + ".importance";
      if (shapeOf(**checkpoint, name) != std::vector<int64_t>{network.neurons})
        return pruningError("global pruning: '" + name + "' in " +
                            (*checkpoint)->describe() + " does not have " +
                            llvm::Twine(network.neurons) + " entries");
      importance = weights->data(name);
    }
    std::vector<double> scores =
        neuronScores(matrix(network.gate), up, down, importance, /*stride=*/1);
    double mean =
        std::accumulate(scores.begin(), scores.end(), 0.0) / scores.size();
    for (double score : scores)
      neurons.push_back({mean > 0 ? score / mean : 0.0, index});
    kept.push_back(network.neurons);
  }
  std::stable_sort(
      neurons.begin(), neurons.end(),
      [](const Neuron &a, const Neuron &b) { return a.score < b.score; });
  int64_t remove = int64_t(std::floor(options.ratio * double(neurons.size())));
  int64_t floor = std::max<int64_t>(options.multipleOf, 1);
  for (const Neuron &neuron : neurons) {
    if (remove == 0)
      break;
    if (kept[neuron.network] <= floor)
      continue;
    --kept[neuron.network];
    --remove;
  }
  std::vector<std::string> counts;
  for (auto [index, network] : llvm::enumerate(networks)) {
    int64_t keep = std::min<int64_t>(
        network.neurons, llvm::alignTo(kept[index], uint64_t(floor)));
    counts.push_back(network.down + "=" + std::to_string(keep));
  }
  return counts;
}
