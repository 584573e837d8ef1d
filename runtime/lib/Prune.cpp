//===- Prune.cpp - Structured pruning of weights at load ------------------===//

#include "loom/Prune.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

using namespace loom;

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

std::vector<int64_t>
loom::selectNeurons(const MatrixView &gate, const MatrixView &up,
                    const MatrixView &down, const float *importance,
                    int64_t importanceStride, int64_t keep) {
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
  std::vector<int64_t> order(static_cast<size_t>(neurons));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return scores[size_t(a)] > scores[size_t(b)];
  });
  order.resize(size_t(std::min(keep, neurons)));
  std::sort(order.begin(), order.end());
  return order;
}

/// Stops the program: generated code passed what no compiled model passes.
[[noreturn]] static void badCall(const char *message) {
  std::fprintf(stderr, "loom runtime: loom_prune_neurons: %s\n", message);
  std::abort();
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
    badCall("operands of mismatched shapes");
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
