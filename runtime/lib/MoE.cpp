//===- MoE.cpp - Mixture-of-experts feed-forward networks -----------------===//

#include "loom/MoE.h"

#include "loom/Activation.h"
#include "loom/Profile.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace loom;

ExpertChoice loom::chooseExperts(const float *logits, int64_t experts,
                                 int64_t topK, bool renormalize) {
  float maximum = *std::max_element(logits, logits + experts);
  std::vector<float> probabilities(static_cast<size_t>(experts));
  float total = 0;
  for (int64_t e = 0; e < experts; ++e)
    total += probabilities[size_t(e)] = std::exp(logits[e] - maximum);
  std::vector<int32_t> order(static_cast<size_t>(experts));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return probabilities[size_t(a)] > probabilities[size_t(b)];
  });
  ExpertChoice choice;
  choice.experts.assign(order.begin(), order.begin() + topK);
  float chosen = 0;
  for (int32_t e : choice.experts) {
    choice.weights.push_back(probabilities[size_t(e)] / total);
    chosen += choice.weights.back();
  }
  if (renormalize && chosen > 0)
    for (float &weight : choice.weights)
      weight /= chosen;
  return choice;
}

namespace {
/// Per-thread buffers of `loom_moe`, grown on demand and reused.
struct MoEScratch {
  std::vector<float> scales, logits, rows, gated, ups, result;
  /// Per expert: its tokens and their weights.
  std::vector<std::vector<std::pair<int64_t, float>>> tokensOf;
};
} // namespace

extern "C" void
_mlir_ciface_loom_moe(loom_context *context, MemRef<float, 2> *x,
                      MemRef<float, 2> *router, MemRef<float, 2> *gate,
                      MemRef<float, 2> *up, MemRef<float, 2> *down,
                      MemRef<float, 2> *shared, MemRef<float, 2> *sharedGate,
                      MemRef<float, 2> *out, int64_t experts, int64_t topK,
                      int64_t renormalize, int64_t activation) {
  KernelState &state = *context->kernels;
  int64_t seq = x->sizes[0], dim = x->sizes[1];
  int64_t hidden = gate->sizes[0] / experts;
  const float *xs = x->aligned + x->offset;
  int64_t ldx = x->strides[0];
  float *ys = out->aligned + out->offset;
  int64_t ldy = out->strides[0];
  // Buffers kept from call to call: a decode step allocates nothing.
  thread_local MoEScratch scratch;
  // The shared expert's output, scaled by its gate, or zeros.
  std::vector<float> &scales = scratch.scales;
  scales.assign(static_cast<size_t>(seq), 1.0f);
  if (sharedGate->sizes[0] > 0) {
    sgemmNT(state, seq, 1, dim, xs, ldx,
            sharedGate->aligned + sharedGate->offset, sharedGate->strides[0],
            scales.data(), 1, /*accumulate=*/false);
    for (float &scale : scales)
      scale = 1.0f / (1.0f + std::exp(-scale));
  }
  for (int64_t t = 0; t < seq; ++t) {
    float *y = ys + t * ldy;
    if (shared->sizes[0] == 0) {
      std::fill(y, y + dim, 0.0f);
      continue;
    }
    const float *s = shared->aligned + shared->offset + t * shared->strides[0];
    for (int64_t d = 0; d < dim; ++d)
      y[d] = scales[size_t(t)] * s[d * shared->strides[1]];
  }

  // The router's logits, then each token's experts.
  std::vector<float> &logits = scratch.logits;
  logits.resize(static_cast<size_t>(seq * experts));
  sgemmNT(state, seq, experts, dim, xs, ldx, router->aligned + router->offset,
          router->strides[0], logits.data(), experts, /*accumulate=*/false);
  auto &tokensOf = scratch.tokensOf;
  tokensOf.resize(static_cast<size_t>(experts));
  for (auto &tokens : tokensOf)
    tokens.clear();
  for (int64_t t = 0; t < seq; ++t) {
    ExpertChoice choice = chooseExperts(logits.data() + t * experts, experts,
                                        topK, renormalize != 0);
    for (size_t i = 0; i < choice.experts.size(); ++i)
      tokensOf[size_t(choice.experts[i])].push_back({t, choice.weights[i]});
  }

  // Each chosen expert once, on all its tokens' rows gathered.
  Activation act = activationFromId(activation).value_or(Activation::Silu);
  std::vector<float> &rows = scratch.rows, &gated = scratch.gated,
                     &ups = scratch.ups, &result = scratch.result;
  for (int64_t e = 0; e < experts; ++e) {
    const auto &tokens = tokensOf[size_t(e)];
    if (tokens.empty())
      continue;
    int64_t n = int64_t(tokens.size());
    rows.resize(size_t(n * dim));
    for (int64_t i = 0; i < n; ++i)
      std::copy(xs + tokens[size_t(i)].first * ldx,
                xs + tokens[size_t(i)].first * ldx + dim,
                rows.data() + i * dim);
    gated.resize(size_t(n * hidden));
    ups.resize(size_t(n * hidden));
    result.resize(size_t(n * dim));
    const float *wg =
        gate->aligned + gate->offset + e * hidden * gate->strides[0];
    const float *wu = up->aligned + up->offset + e * hidden * up->strides[0];
    const float *wd = down->aligned + down->offset + e * dim * down->strides[0];
    sgemmNT(state, n, hidden, dim, rows.data(), dim, wg, gate->strides[0],
            gated.data(), hidden, /*accumulate=*/false, act);
    sgemmNT(state, n, hidden, dim, rows.data(), dim, wu, up->strides[0],
            ups.data(), hidden, /*accumulate=*/false);
    for (size_t i = 0; i < gated.size(); ++i)
      gated[i] *= ups[i];
    sgemmNT(state, n, dim, hidden, gated.data(), hidden, wd, down->strides[0],
            result.data(), dim, /*accumulate=*/false);
    for (int64_t i = 0; i < n; ++i) {
      auto [token, weight] = tokens[size_t(i)];
      float *y = ys + token * ldy;
      const float *r = result.data() + i * dim;
      for (int64_t d = 0; d < dim; ++d)
        y[d] += weight * r[d];
    }
  }
}
