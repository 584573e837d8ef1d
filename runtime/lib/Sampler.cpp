//===- Sampler.cpp - Choosing the next token from logits ------------------===//

#include "loom/Sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace loom {

Status validateSamplerOptions(const SamplerOptions &options) {
  if (!std::isfinite(options.temperature) || options.temperature < 0)
    return makeError(fmt::format(
        "temperature must be a finite number >= 0 (0 is greedy), got {}",
        options.temperature));
  if (options.topK < 0)
    return makeError(fmt::format(
        "top-k must be >= 0 (0 keeps every token), got {}", options.topK));
  if (!(options.topP > 0 && options.topP <= 1))
    return makeError(fmt::format(
        "top-p must be in (0, 1] (1 keeps every token), got {}", options.topP));
  return Status::success();
}

int64_t argmax(const float *logits, size_t count) {
  int64_t best = -1;
  for (size_t i = 0; i < count; ++i) {
    if (std::isnan(logits[i]))
      continue;
    if (best < 0 || logits[i] > logits[best])
      best = static_cast<int64_t>(i);
  }
  return best;
}

Sampler::Sampler(const SamplerOptions &options)
    : options(options), engine(options.seed) {}

Expected<Sampler> Sampler::create(const SamplerOptions &options) {
  if (Status status = validateSamplerOptions(options); !status)
    return status.takeError();
  return Sampler(options);
}

void Sampler::reseed(uint64_t seed) {
  options.seed = seed;
  engine.seed(seed);
}

double Sampler::nextUniform() {
  return static_cast<double>(engine() >> 11) * 0x1.0p-53;
}

int64_t Sampler::sample(const float *logits, size_t count) {
  int64_t best = argmax(logits, count);
  if (best < 0 || options.temperature == 0 || options.topK == 1 ||
      std::isinf(logits[best]))
    return best;

  // Candidates: every non-NaN token, or the top k by (logit desc, id asc).
  candidates.clear();
  for (size_t i = 0; i < count; ++i)
    if (!std::isnan(logits[i]))
      candidates.push_back(static_cast<int64_t>(i));
  auto moreLikely = [logits](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  bool sorted = false;
  if (options.topK > 0 &&
      static_cast<size_t>(options.topK) < candidates.size()) {
    std::partial_sort(candidates.begin(), candidates.begin() + options.topK,
                      candidates.end(), moreLikely);
    candidates.resize(static_cast<size_t>(options.topK));
    sorted = true;
  }

  // Unnormalized probabilities exp((l - max) / T), all in (0, 1].
  double maxLogit = logits[best];
  double inverseTemperature = 1.0 / options.temperature;
  weights.resize(candidates.size());
  double mass = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    weights[i] =
        std::exp((logits[candidates[i]] - maxLogit) * inverseTemperature);
    mass += weights[i];
  }

  if (options.topP < 1) {
    if (!sorted) {
      // Tokens below (1 - p) / (n - 1) of the mass can never be part of the
      // nucleus; drop them before sorting (as llama2.c does).
      double cutoff = (1 - options.topP) / double(candidates.size() - 1) * mass;
      size_t kept = 0;
      for (size_t i = 0; i < candidates.size(); ++i)
        if (weights[i] >= cutoff || candidates[i] == best)
          candidates[kept++] = candidates[i];
      candidates.resize(kept);
      std::sort(candidates.begin(), candidates.end(), moreLikely);
      weights.resize(kept);
      for (size_t i = 0; i < kept; ++i)
        weights[i] =
            std::exp((logits[candidates[i]] - maxLogit) * inverseTemperature);
    }
    // Keep the shortest prefix reaching p of the total mass.
    double target = options.topP * mass;
    double cumulative = 0;
    size_t keep = candidates.size();
    for (size_t i = 0; i < candidates.size(); ++i) {
      cumulative += weights[i];
      if (cumulative >= target) {
        keep = i + 1;
        break;
      }
    }
    candidates.resize(keep);
    weights.resize(keep);
    mass = 0;
    for (double weight : weights)
      mass += weight;
  }

  double threshold = nextUniform() * mass;
  double cumulative = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    cumulative += weights[i];
    if (threshold < cumulative)
      return candidates[i];
  }
  return candidates.back(); // Rounding: the threshold was at the very end.
}

} // namespace loom
