//===- RandomWeights.h - A seeded random checkpoint for a model -*- C++ -*-===//
//
// `--random-weights SEED`: a program runs on weights it makes itself, so that
// a large model is benchmarked (on a GPU machine that has no checkpoint and
// no Python, say) without a file to carry. The values are seeded and keep
// activations in range: vectors (norm scales, biases) near 1, matrices
// uniform in +-1/sqrt(columns).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_RANDOMWEIGHTS_H
#define LOOM_RANDOMWEIGHTS_H

#include "loom/Model.h"
#include "loom/Support.h"

#include <cstdint>
#include <string>
#include <vector>

namespace loom {

/// Writes a safetensors checkpoint to `path` with every checkpoint tensor
/// of `infos` (their union, by name) filled from `seed`.
Status writeRandomWeights(const std::vector<const ModelInfo *> &infos,
                          uint64_t seed, const std::string &path);

} // namespace loom

#endif // LOOM_RANDOMWEIGHTS_H
