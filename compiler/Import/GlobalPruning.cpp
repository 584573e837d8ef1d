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

/// The tensors global pruning scores from, as f32 (GGUF blocks
/// dequantized), by name.
class ScoredTensors {
public:
  /// Opens `options.checkpoints` and binds `names` (empty ones skipped); a
  /// missing tensor is named with the checkpoint, and a missing
  /// `.importance` says where it comes from.
  static llvm::Expected<ScoredTensors>
  load(const GlobalPruningOptions &options,
       const std::vector<std::string> &names) {
    Expected<std::shared_ptr<Checkpoint>> checkpoint =
        Checkpoint::open(options.checkpoints);
    if (!checkpoint)
      return llvm::createStringError(checkpoint.getError());
    std::vector<TensorSpec> specs;
    for (const std::string &name : names) {
      if (name.empty())
        continue;
      const TensorInfo *tensor = (*checkpoint)->find(name);
      if (!tensor)
        return llvm::createStringError(
            "global pruning: tensor '" + name + "' is not in " +
            (*checkpoint)->describe() +
            (llvm::StringRef(name).ends_with(".importance")
                 ? " (write it with a program's --calibrate run and give "
                   "the statistics with a second --weights)"
                 : ""));
      specs.push_back({name, tensor->shape});
    }
    Expected<WeightSet> weights = WeightSet::load(*checkpoint, specs);
    if (!weights)
      return llvm::createStringError(weights.getError());
    return ScoredTensors(std::move(*checkpoint), std::move(*weights));
  }

  /// The shape of tensor `name`.
  std::vector<int64_t> shape(const std::string &name) const {
    const TensorInfo *tensor = checkpoint->find(name);
    return tensor ? tensor->shape : std::vector<int64_t>();
  }

  /// A row-major view of the matrix `name` (empty for no name).
  MatrixView matrix(const std::string &name) const {
    std::vector<int64_t> dims = shape(name);
    if (name.empty() || dims.size() != 2)
      return {};
    return {weights.data(name), dims[0], dims[1], dims[1], 1};
  }

  /// The vector `name` if it has `size` entries; an error otherwise.
  llvm::Expected<const float *> vector(const std::string &name,
                                       int64_t size) const {
    if (shape(name) != std::vector<int64_t>{size})
      return llvm::createStringError(
          "global pruning: '" + name + "' in " + checkpoint->describe() +
          " does not have " + llvm::Twine(size) + " entries");
    return weights.data(name);
  }

  /// What was opened, for messages.
  std::string describe() const { return checkpoint->describe(); }

private:
  ScoredTensors(std::shared_ptr<Checkpoint> checkpoint, WeightSet weights)
      : checkpoint(std::move(checkpoint)), weights(std::move(weights)) {}

  std::shared_ptr<Checkpoint> checkpoint;
  WeightSet weights;
};

/// How many of its scored units (neurons, head groups) each layer keeps
/// when the `count` (if not 0) or `floor(ratio * all)` lowest scores
/// relative to their layer's mean go across layers (ties: the earlier
/// layer, then the lower unit), no layer going below `least`; an error if
/// that cannot remove as many.
llvm::Expected<std::vector<int64_t>>
keepAcross(const std::vector<std::vector<double>> &scores,
           const GlobalPruningOptions &options, int64_t least,
           llvm::StringRef what) {
  struct Unit {
    double score;
    size_t layer;
  };
  std::vector<Unit> units;
  std::vector<int64_t> kept;
  for (auto [layer, layerScores] : llvm::enumerate(scores)) {
    double mean = std::accumulate(layerScores.begin(), layerScores.end(), 0.0) /
                  double(std::max<size_t>(layerScores.size(), 1));
    for (double score : layerScores)
      units.push_back({mean > 0 ? score / mean : 0.0, layer});
    kept.push_back(int64_t(layerScores.size()));
  }
  std::stable_sort(
      units.begin(), units.end(),
      [](const Unit &a, const Unit &b) { return a.score < b.score; });
  int64_t remove =
      options.count != 0
          ? options.count
          : int64_t(std::floor(options.ratio * double(units.size())));
  int64_t asked = remove;
  for (const Unit &unit : units) {
    if (remove == 0)
      break;
    if (kept[unit.layer] <= least)
      continue;
    --kept[unit.layer];
    --remove;
  }
  if (remove != 0)
    return llvm::createStringError(
        "global pruning: removing " + llvm::Twine(asked) + " of the model's " +
        llvm::Twine(units.size()) + " " + what +
        " would leave a layer fewer than " + llvm::Twine(least));
  return kept;
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
    return llvm::createStringError(
        "global pruning: the model has no feed-forward "
        "network");
  std::vector<std::string> names;
  for (const FeedForwardNetwork &network : networks) {
    names.insert(names.end(), {network.gate, network.up, network.down});
    if (options.importance)
      names.push_back(network.down + ".importance");
  }
  llvm::Expected<ScoredTensors> tensors = ScoredTensors::load(options, names);
  if (!tensors)
    return tensors.takeError();

  std::vector<std::vector<double>> scores;
  for (const FeedForwardNetwork &network : networks) {
    MatrixView up = tensors->matrix(network.up);
    MatrixView down = tensors->matrix(network.down);
    if (up.rows != network.neurons || down.cols != network.neurons)
      return llvm::createStringError(
          "global pruning: '" + network.up + "' and '" + network.down +
          "' in " + tensors->describe() + " do not have the model's " +
          llvm::Twine(network.neurons) + " neurons");
    const float *importance = nullptr;
    if (options.importance) {
      llvm::Expected<const float *> found =
          tensors->vector(network.down + ".importance", network.neurons);
      if (!found)
        return found.takeError();
      importance = *found;
    }
    scores.push_back(neuronScores(tensors->matrix(network.gate), up, down,
                                  importance, /*importanceStride=*/1));
  }
  int64_t least = std::max<int64_t>(options.multipleOf, 1);
  llvm::Expected<std::vector<int64_t>> kept =
      keepAcross(scores, options, least, "neurons");
  if (!kept)
    return kept.takeError();
  std::vector<std::string> counts;
  for (auto [network, keep] : llvm::zip_equal(networks, *kept))
    counts.push_back(network.down + "=" +
                     std::to_string(std::min<int64_t>(
                         network.neurons, llvm::alignTo(keep, least))));
  return counts;
}

llvm::Expected<std::vector<std::string>>
loom::globalHeadCounts(ModuleOp module, const GlobalPruningOptions &options) {
  llvm::Expected<std::vector<AttentionLayer>> found = findAttentions(module);
  if (!found)
    return found.takeError();
  std::vector<AttentionLayer> &attentions = *found;
  if (attentions.empty())
    return llvm::createStringError(
        "global pruning: the model has no attention");
  std::vector<std::string> names;
  for (const AttentionLayer &attention : attentions) {
    names.insert(names.end(),
                 {attention.wq, attention.wk, attention.wv, attention.wo});
    if (options.importance)
      names.push_back(attention.wo + ".importance");
  }
  llvm::Expected<ScoredTensors> tensors = ScoredTensors::load(options, names);
  if (!tensors)
    return tensors.takeError();

  std::vector<std::vector<double>> scores;
  for (const AttentionLayer &attention : attentions) {
    AttentionWeights weights{tensors->matrix(attention.wq),
                             tensors->matrix(attention.wk),
                             tensors->matrix(attention.wv),
                             tensors->matrix(attention.wo),
                             attention.heads,
                             attention.kvHeads,
                             attention.headDim};
    int64_t queries = attention.heads * attention.headDim;
    int64_t keys = attention.kvHeads * attention.headDim;
    if (weights.wq.rows != queries || weights.wk.rows != keys ||
        weights.wv.rows != keys || weights.wo.cols != queries)
      return llvm::createStringError(
          "global pruning: the weights of '" + attention.wo +
          "''s attention in " + tensors->describe() +
          " do not have the model's " + llvm::Twine(attention.heads) +
          " heads of " + llvm::Twine(attention.headDim));
    const float *importance = nullptr;
    if (options.importance) {
      llvm::Expected<const float *> found =
          tensors->vector(attention.wo + ".importance", queries);
      if (!found)
        return found.takeError();
      importance = *found;
    }
    scores.push_back(
        headGroupScores(weights, importance, /*importanceStride=*/1));
  }
  llvm::Expected<std::vector<int64_t>> kept =
      keepAcross(scores, options, 1, "head groups");
  if (!kept)
    return kept.takeError();
  std::vector<std::string> counts;
  for (auto [attention, keep] : llvm::zip_equal(attentions, *kept))
    counts.push_back(attention.wo + "=" + std::to_string(keep));
  return counts;
}
