//===- Sampler.h - Choosing the next token from logits ----------*- C++ -*-===//
//
// Greedy decoding (temperature 0) and sampling from softmax(logits / T),
// optionally restricted to the k most likely tokens (top-k) and then to the
// smallest prefix of them whose probability reaches p (top-p, nucleus). The
// random stream is std::mt19937_64 seeded by the user, turned into doubles
// by hand, so a seed gives the same tokens on every platform and run.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_SAMPLER_H
#define LOOM_SAMPLER_H

#include "loom/Support.h"

#include <random>

namespace loom {

/// Sampling parameters.
struct SamplerOptions {
  /// 0 means greedy; otherwise logits are divided by it. Must be finite, >= 0.
  double temperature = 0.0;
  /// Keep only the k most likely tokens; 0 keeps all. Must be >= 0.
  int64_t topK = 0;
  /// Keep the smallest set of most likely tokens whose probability is at
  /// least p; 1 keeps all. Must be in (0, 1].
  double topP = 1.0;
  /// The random seed.
  uint64_t seed = 0;
};

/// Checks the ranges of `options`; the message names the offending option.
Status validateSamplerOptions(const SamplerOptions &options);

/// The index of the largest logit; ties go to the lowest index, NaNs are
/// skipped. Returns -1 when `count` is 0 or every logit is NaN.
int64_t argmax(const float *logits, size_t count);

/// Draws tokens. Allocates scratch space only when the vocabulary grows, so
/// a decode loop allocates nothing after its first step.
class Sampler {
public:
  /// Validates `options` and builds a sampler.
  static Expected<Sampler> create(const SamplerOptions &options);

  /// Picks a token from `count` logits. Greedy when the temperature is 0 or
  /// top-k is 1; NaN logits are never picked. Returns -1 when `count` is 0
  /// or every logit is NaN.
  int64_t sample(const float *logits, size_t count);

  /// Restarts the random stream from `seed`.
  void reseed(uint64_t seed);
  /// The next uniform double in [0, 1) (53 random bits).
  double nextUniform();
  /// The options in use.
  const SamplerOptions &getOptions() const { return options; }

private:
  explicit Sampler(const SamplerOptions &options);

  SamplerOptions options;
  std::mt19937_64 engine;
  /// Candidate token ids, most likely first once sorted.
  std::vector<int64_t> candidates;
  /// Unnormalized probabilities, parallel to `candidates`.
  std::vector<double> weights;
};

} // namespace loom

#endif // LOOM_SAMPLER_H
