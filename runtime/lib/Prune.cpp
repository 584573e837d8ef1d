//===- Prune.cpp - Structured pruning of weights at load ------------------===//

#include "loom/Prune.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

using namespace loom;

/// Sum of squares of rows [first, first + count) (or columns, with
/// `column`) of `m`.
static double blockSquares(const MatrixView &m, int64_t first, int64_t count,
                           bool column) {
  double sum = 0;
  for (int64_t i = first; i < first + count; ++i)
    for (int64_t j = 0, e = column ? m.rows : m.cols; j < e; ++j) {
      double x = column ? m.at(j, i) : m.at(i, j);
      sum += x * x;
    }
  return sum;
}

/// The `keep` indices of highest score, in increasing order (ties: the lower
/// index).
static std::vector<int64_t> best(const std::vector<double> &scores,
                                 int64_t keep) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return scores[size_t(a)] > scores[size_t(b)];
  });
  order.resize(std::min(order.size(), size_t(std::max<int64_t>(keep, 0))));
  std::sort(order.begin(), order.end());
  return order;
}

/// L2 norm of row `r` (or column, with `column`) of `m`.
static double norm(const MatrixView &m, int64_t index, bool column) {
  double sum = 0;
  int64_t count = column ? m.rows : m.cols;
  for (int64_t i = 0; i < count; ++i) {
    double x = column ? m.at(i, index) : m.at(index, i);
    sum += x * x;
  }
  return std::sqrt(sum);
}

std::vector<double> loom::neuronScores(const MatrixView &gate,
                                       const MatrixView &up,
                                       const MatrixView &down,
                                       const float *importance,
                                       int64_t importanceStride) {
  int64_t neurons = up.rows;
  std::vector<double> scores(static_cast<size_t>(neurons));
  for (int64_t j = 0; j < neurons; ++j) {
    double score = norm(down, j, /*column=*/true);
    if (importance) {
      score *=
          std::sqrt(std::max(0.0, double(importance[j * importanceStride])));
    } else {
      score *= norm(up, j, /*column=*/false);
      if (gate.data)
        score *= norm(gate, j, /*column=*/false);
    }
    scores[size_t(j)] = score;
  }
  return scores;
}

std::vector<int64_t>
loom::selectNeurons(const MatrixView &gate, const MatrixView &up,
                    const MatrixView &down, const float *importance,
                    int64_t importanceStride, int64_t keep) {
  return best(neuronScores(gate, up, down, importance, importanceStride), keep);
}

std::vector<double> loom::headGroupScores(const AttentionWeights &w,
                                          const float *importance,
                                          int64_t importanceStride) {
  int64_t perGroup = w.heads / w.kvHeads, hd = w.headDim;
  std::vector<double> scores(static_cast<size_t>(w.kvHeads));
  for (int64_t g = 0; g < w.kvHeads; ++g) {
    double score = 0;
    if (importance) {
      for (int64_t c = g * perGroup * hd; c < (g + 1) * perGroup * hd; ++c)
        score += blockSquares(w.wo, c, 1, /*column=*/true) *
                 std::max(0.0, double(importance[c * importanceStride]));
      score = std::sqrt(score);
    } else {
      for (int64_t h = g * perGroup; h < (g + 1) * perGroup; ++h)
        score += std::sqrt(blockSquares(w.wq, h * hd, hd, false)) *
                 std::sqrt(blockSquares(w.wo, h * hd, hd, true));
      score *= std::sqrt(blockSquares(w.wk, g * hd, hd, false)) *
               std::sqrt(blockSquares(w.wv, g * hd, hd, false));
    }
    scores[size_t(g)] = score;
  }
  return scores;
}

std::vector<int64_t> loom::selectHeadGroups(const AttentionWeights &w,
                                            const float *importance,
                                            int64_t importanceStride,
                                            int64_t keep) {
  return best(headGroupScores(w, importance, importanceStride), keep);
}

static MatrixView viewOf(const MemRef<float, 2> &m) {
  return {m.aligned + m.offset, m.sizes[0], m.sizes[1], m.strides[0],
          m.strides[1]};
}

extern "C" void _mlir_ciface_loom_prune_neurons(
    loom_context *context, MemRef<float, 2> *target, MemRef<float, 2> *gate,
    MemRef<float, 2> *up, MemRef<float, 2> *down, MemRef<float, 1> *importance,
    MemRef<float, 2> *out, int64_t axis, int64_t keep) {
  (void)context;
  int64_t neurons = up->sizes[0];
  bool hasGate = gate->sizes[0] != 0;
  bool hasImportance = importance->sizes[0] != 0;
  if ((axis != 0 && axis != 1) || keep < 1 || keep > neurons ||
      down->sizes[1] != neurons ||
      (hasGate &&
       (gate->sizes[0] != neurons || gate->sizes[1] != up->sizes[1])) ||
      (hasImportance && importance->sizes[0] != neurons) ||
      target->sizes[axis] != neurons || out->sizes[axis] != keep ||
      out->sizes[1 - axis] != target->sizes[1 - axis])
    badKernelCall(LOOM_KERNEL_PRUNE_NEURONS, "operands of mismatched shapes");
  std::vector<int64_t> kept = selectNeurons(
      hasGate ? viewOf(*gate) : MatrixView(), viewOf(*up), viewOf(*down),
      hasImportance ? importance->aligned + importance->offset : nullptr,
      importance->strides[0], keep);
  MatrixView from = viewOf(*target);
  float *to = out->aligned + out->offset;
  for (int64_t i = 0; i < out->sizes[0]; ++i)
    for (int64_t j = 0; j < out->sizes[1]; ++j)
      to[i * out->strides[0] + j * out->strides[1]] =
          axis == 0 ? from.at(kept[size_t(i)], j) : from.at(i, kept[size_t(j)]);
}

extern "C" void _mlir_ciface_loom_prune_heads(
    loom_context *context, MemRef<float, 2> *target, MemRef<float, 2> *wq,
    MemRef<float, 2> *wk, MemRef<float, 2> *wv, MemRef<float, 2> *wo,
    MemRef<float, 1> *importance, MemRef<float, 2> *out, int64_t part,
    int64_t keep, int64_t heads, int64_t kvHeads, int64_t headDim) {
  (void)context;
  AttentionWeights weights{viewOf(*wq), viewOf(*wk), viewOf(*wv), viewOf(*wo),
                           heads,       kvHeads,     headDim};
  bool hasImportance = importance->sizes[0] != 0;
  int64_t qWidth = heads * headDim, kvWidth = kvHeads * headDim;
  // Rows (or columns) of the target per group.
  int64_t block =
      part == 1 ? headDim : heads / std::max<int64_t>(kvHeads, 1) * headDim;
  int64_t axis = part == 2 ? 1 : 0;
  if (part < 0 || part > 2 || kvHeads < 1 || heads % kvHeads != 0 ||
      headDim < 1 || keep < 1 || keep > kvHeads || wq->sizes[0] != qWidth ||
      wk->sizes[0] != kvWidth || wv->sizes[0] != kvWidth ||
      wo->sizes[1] != qWidth ||
      (hasImportance && importance->sizes[0] != qWidth) ||
      target->sizes[axis] != block * kvHeads ||
      out->sizes[axis] != block * keep ||
      out->sizes[1 - axis] != target->sizes[1 - axis])
    badKernelCall(LOOM_KERNEL_PRUNE_HEADS, "operands of mismatched shapes");
  std::vector<int64_t> kept = selectHeadGroups(
      weights,
      hasImportance ? importance->aligned + importance->offset : nullptr,
      importance->strides[0], keep);
  MatrixView from = viewOf(*target);
  float *to = out->aligned + out->offset;
  for (int64_t i = 0; i < out->sizes[0]; ++i)
    for (int64_t j = 0; j < out->sizes[1]; ++j) {
      int64_t index = axis == 0 ? i : j;
      int64_t source = kept[size_t(index / block)] * block + index % block;
      to[i * out->strides[0] + j * out->strides[1]] =
          axis == 0 ? from.at(source, j) : from.at(i, source);
    }
}
