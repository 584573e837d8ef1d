//===- GlobalPruning.h - Cross-layer pruning counts from a checkpoint -----===//
//
// `--prune-ffn=RATIO --prune-scope=global` removes RATIO of all feed-forward
// neurons of the model, not of each layer: layers whose neurons matter less
// lose more. Which layer keeps how many decides the program's shapes, so it
// is computed at compile time, from the checkpoint (and a calibration
// run's statistics), with the runtime's own scores; the pruning pass then
// gets one count per network (`keep=NAME=N`) and the program selects the
// neurons at load as usual.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_IMPORT_GLOBALPRUNING_H
#define LOOM_COMPILER_IMPORT_GLOBALPRUNING_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace loom {

/// What `globalNeuronCounts` reads and how much it removes.
struct GlobalPruningOptions {
  /// The checkpoint (and, with `importance`, the statistics file): opened
  /// as one.
  std::vector<std::string> checkpoints;
  /// Fraction of all neurons (head groups) to remove, in [0, 1).
  double ratio = 0;
  /// How many to remove instead, if not 0.
  int64_t count = 0;
  /// Score by calibrated activations (`NAME.importance` of each down
  /// weight) instead of weight magnitude.
  bool importance = false;
  /// Each network keeps a multiple of this many neurons (at least one
  /// multiple).
  int64_t multipleOf = 1;
};

/// A feed-forward network as one layer runs it: its weights' checkpoint
/// names (no gate for a plain MLP) and its width.
struct FeedForwardNetwork {
  std::string gate, up, down;
  int64_t neurons = 0;
};

/// Every feed-forward network of `module`, once per layer that runs it; an
/// error naming the place of one whose weights are computed (merged or
/// sliced layers) rather than checkpoint tensors.
llvm::Expected<std::vector<FeedForwardNetwork>>
findFeedForwardNetworks(mlir::ModuleOp module);

/// An attention as one layer runs it: its weights' checkpoint names and its
/// heads.
struct AttentionLayer {
  std::string wq, wk, wv, wo;
  int64_t heads = 0, kvHeads = 0, headDim = 0;
};

/// Every attention of `module`, once per layer that runs it; an error as
/// for `findFeedForwardNetworks`.
llvm::Expected<std::vector<AttentionLayer>>
findAttentions(mlir::ModuleOp module);

/// One `DOWN=N` count per feed-forward network of `module` (per layer that
/// runs it; DOWN its down weight's checkpoint name): each neuron's score
/// (the runtime's `neuronScores`) is divided by the mean score of its
/// network, and the `floor(ratio * total)` lowest across the model go,
/// every network keeping at least `multipleOf`; counts are rounded up to a
/// multiple of it. Errors name the checkpoint and tensor, or say which
/// network's weights are not checkpoint tensors.
llvm::Expected<std::vector<std::string>>
globalNeuronCounts(mlir::ModuleOp module, const GlobalPruningOptions &options);

/// One `WO=G` count per attention of `module` (per layer that runs it; WO
/// its output weight's checkpoint name): each head group's score (the
/// runtime's `headGroupScores`, with `importance` the `WO.importance` of a
/// calibration run) is divided by the mean score of its attention, and the
/// `floor(ratio * all groups)` lowest across the model go, every attention
/// keeping at least one group.
llvm::Expected<std::vector<std::string>>
globalHeadCounts(mlir::ModuleOp module, const GlobalPruningOptions &options);

/// What a pruned feed-forward network or attention keeps, for a report:
/// its output weight's checkpoint name (down or o projection), and what it
/// keeps of how many (neurons, or key/value head groups).
struct PrunedLayer {
  std::string name;
  bool attention = false;
  int64_t kept = 0, total = 0;
};

/// The networks and attentions of `module` after the pruning passes, once
/// per layer, in module order; one that was not pruned keeps all.
std::vector<PrunedLayer> describePruning(mlir::ModuleOp module);

} // namespace loom

#endif // LOOM_COMPILER_IMPORT_GLOBALPRUNING_H
