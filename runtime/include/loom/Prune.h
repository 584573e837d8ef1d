//===- Prune.h - Structured pruning of weights at load ----------*- C++ -*-===//
//
// The computations behind `loom.prune_neurons`, which the compiled program
// runs once at load (or `loomc --emit=weights` ahead of time): which neurons
// of a feed-forward network to keep, and the weights without the others.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_PRUNE_H
#define LOOM_PRUNE_H

#include "loom/Model.h"
#include "loom/loom_abi.h"

#include <cstdint>
#include <vector>

namespace loom {

/// A strided view of a float matrix.
struct MatrixView {
  const float *data = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t rowStride = 0, colStride = 1;

  float at(int64_t r, int64_t c) const {
    return data[r * rowStride + c * colStride];
  }
};

/// Each neuron's score: for neuron j, |up[j, :]| * |down[:, j]| (*
/// |gate[j, :]| with a gate) without importance, |down[:, j]| *
/// sqrt(importance[j]) with it (L2 norms). `gate` and `importance` may be
/// empty (null data).
std::vector<double> neuronScores(const MatrixView &gate, const MatrixView &up,
                                 const MatrixView &down,
                                 const float *importance,
                                 int64_t importanceStride);

/// The `keep` neurons of highest score (`neuronScores`), in increasing
/// order (ties: the lower index).
std::vector<int64_t> selectNeurons(const MatrixView &gate, const MatrixView &up,
                                   const MatrixView &down,
                                   const float *importance,
                                   int64_t importanceStride, int64_t keep);

/// The weights of an attention, for scoring its head groups: `wq` [H*hd,
/// D], `wk`, `wv` [KV*hd, D], `wo` [D', H*hd].
struct AttentionWeights {
  MatrixView wq, wk, wv, wo;
  int64_t heads = 0, kvHeads = 0, headDim = 0;
};

/// Each head group's score (a KV head and the H / KV query heads that read
/// it). Scores of group g: (sum over its query heads h of |wq_h| * |wo_h|) *
/// |wk_g| * |wv_g| (Frobenius norms of the heads' rows, or columns of wo)
/// without importance; with it ([H*hd], the mean square of each input channel
/// of the output projection), sqrt(sum over the group's channels c of |wo[:,
/// c]|^2 * importance[c]).
std::vector<double> headGroupScores(const AttentionWeights &weights,
                                    const float *importance,
                                    int64_t importanceStride);

/// The `keep` groups of highest score (`headGroupScores`), in increasing
/// order (ties: the lower index).
std::vector<int64_t> selectHeadGroups(const AttentionWeights &weights,
                                      const float *importance,
                                      int64_t importanceStride, int64_t keep);

} // namespace loom

extern "C" {
/// `loom_prune_heads` (LOOM_KERNEL_PRUNE_HEADS).
void _mlir_ciface_loom_prune_heads(
    loom_context *context, loom::MemRef<float, 2> *target,
    loom::MemRef<float, 2> *wq, loom::MemRef<float, 2> *wk,
    loom::MemRef<float, 2> *wv, loom::MemRef<float, 2> *wo,
    loom::MemRef<float, 1> *importance, loom::MemRef<float, 2> *out,
    int64_t part, int64_t keep, int64_t heads, int64_t kvHeads,
    int64_t headDim);

/// `loom_prune_neurons` (LOOM_KERNEL_PRUNE_NEURONS).
void _mlir_ciface_loom_prune_neurons(
    loom_context *context, loom::MemRef<float, 2> *target,
    loom::MemRef<float, 2> *gate, loom::MemRef<float, 2> *up,
    loom::MemRef<float, 2> *down, loom::MemRef<float, 1> *importance,
    loom::MemRef<float, 2> *out, int64_t axis, int64_t keep);
}

#endif // LOOM_PRUNE_H
