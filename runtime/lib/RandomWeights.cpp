//===- RandomWeights.cpp - A seeded random checkpoint for a model ---------===//

#include "loom/RandomWeights.h"

#include "loom/SafetensorsWriter.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

using namespace loom;

namespace {

/// SplitMix64: one stream per tensor, from the seed and the tensor's index,
/// so a tensor's values do not depend on the others'.
struct SplitMix {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1).
  float symmetric() { return float(int64_t(next() >> 11)) * 0x1p-52f - 1.0f; }
};

} // namespace

Status loom::writeRandomWeights(const std::vector<const ModelInfo *> &infos,
                                uint64_t seed, const std::string &path) {
  std::map<std::string, const TensorSpec *> specs;
  for (const ModelInfo *info : infos)
    for (const TensorSpec &spec : info->tensors) {
      auto [it, inserted] = specs.try_emplace(spec.name, &spec);
      if (!inserted && it->second->shape != spec.shape)
        return makeError(fmt::format("the model's builds read tensor '{}' in "
                                     "two shapes",
                                     spec.name));
    }
  std::vector<std::vector<float>> values;
  std::vector<TensorToWrite> tensors;
  values.reserve(specs.size());
  uint64_t index = 0;
  for (const auto &[name, spec] : specs) {
    if (spec->quant)
      return makeError(fmt::format("--random-weights makes f32 tensors, but "
                                   "the model reads '{}' quantized",
                                   name));
    std::optional<int64_t> count = numElements(spec->shape);
    if (!count)
      return makeError(fmt::format("tensor '{}' has no valid shape", name));
    SplitMix random{seed * 0x100000001b3ull + index++};
    std::vector<float> &data = values.emplace_back(size_t(*count));
    if (spec->shape.size() <= 1) {
      for (float &value : data)
        value = 1.0f + 0.02f * random.symmetric();
    } else {
      float scale =
          1.0f / std::sqrt(float(std::max<int64_t>(spec->shape.back(), 1)));
      for (float &value : data)
        value = scale * random.symmetric();
    }
    tensors.push_back({name, DType::F32, spec->shape, data.data()});
  }
  return writeSafetensors(path, tensors,
                          {{"loom.random_weights", std::to_string(seed)}});
}
