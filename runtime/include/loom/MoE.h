//===- MoE.h - Mixture-of-experts feed-forward networks ---------*- C++ -*-===//
//
// The kernel of `loom.moe`: a router picks each token's top-k experts
// (gated MLPs), and the token's output is their outputs weighted by the
// router's probabilities. Tokens are grouped by expert, so each chosen
// expert's weights are read once per call (a decode step reads only the
// chosen experts'; a prompt, each expert once for all its tokens).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_MOE_H
#define LOOM_MOE_H

#include "loom/Kernels.h"

#include <cstdint>
#include <vector>

namespace loom {

/// One token's choice: the experts and their weights, best first.
struct ExpertChoice {
  std::vector<int32_t> experts;
  std::vector<float> weights;
};

/// The top `topK` of `experts` router logits (ties: the lower index), with
/// softmax probabilities over all experts, scaled to sum to 1 when
/// `renormalize`.
ExpertChoice chooseExperts(const float *logits, int64_t experts, int64_t topK,
                           bool renormalize);

} // namespace loom

extern "C" {
/// `loom_moe` (LOOM_KERNEL_MOE).
void _mlir_ciface_loom_moe(
    loom_context *context, loom::MemRef<float, 2> *x,
    loom::MemRef<float, 2> *router, loom::MemRef<float, 2> *gate,
    loom::MemRef<float, 2> *up, loom::MemRef<float, 2> *down,
    loom::MemRef<float, 2> *shared, loom::MemRef<float, 2> *sharedGate,
    loom::MemRef<float, 2> *out, int64_t experts, int64_t topK,
    int64_t renormalize, int64_t activation);
}

#endif // LOOM_MOE_H
