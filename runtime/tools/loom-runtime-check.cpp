//===- loom-runtime-check.cpp - Check a checkpoint with the runtime -------===//
//
// Opens a checkpoint the way a compiled model does and prints its tensors, or
// binds it to a manifest and reports every problem:
//
//   loom-runtime-check PATH                   list `name dtype shape`
//   loom-runtime-check PATH --manifest M.json  validate and bind as F32
//
// The manifest format is the one scripts/make_checkpoint.py reads:
// {"tensors": [{"name": "...", "shape": [..]}]}. Exit status 1 on error.
//
//===----------------------------------------------------------------------===//

#include "loom/Weights.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>

using namespace loom;

static int fail(const std::string &message) {
  std::fprintf(stderr, "loom-runtime-check: error: %s\n", message.c_str());
  return 1;
}

static Expected<std::vector<TensorSpec>> readManifest(const std::string &path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    return makeError(path + ": cannot open");
  std::string text((std::istreambuf_iterator<char>(stream)),
                   std::istreambuf_iterator<char>());
  nlohmann::json manifest = nlohmann::json::parse(text, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object() ||
      !manifest.contains("tensors") || !manifest["tensors"].is_array())
    return makeError(path + ": expected {\"tensors\": [...]}");
  std::vector<TensorSpec> specs;
  for (const nlohmann::json &entry : manifest["tensors"]) {
    if (!entry.is_object() || !entry.contains("name") ||
        !entry["name"].is_string() || !entry.contains("shape") ||
        !entry["shape"].is_array())
      return makeError(path + ": every tensor needs a 'name' and a 'shape'");
    TensorSpec spec;
    spec.name = entry["name"].get<std::string>();
    for (const nlohmann::json &dim : entry["shape"]) {
      if (!dim.is_number_integer())
        return makeError(path + ": tensor '" + spec.name +
                         "' has a non-integer dimension");
      spec.shape.push_back(dim.get<int64_t>());
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

int main(int argc, char **argv) {
  if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--manifest"))
    return fail("usage: loom-runtime-check PATH [--manifest MANIFEST.json]");
  Expected<std::shared_ptr<Checkpoint>> checkpoint = Checkpoint::open(argv[1]);
  if (!checkpoint)
    return fail(checkpoint.getError());
  if (argc == 2) {
    for (const std::string &name : (*checkpoint)->getTensorNames()) {
      const TensorInfo *tensor = (*checkpoint)->find(name);
      std::printf("%s %s %s\n", name.c_str(),
                  std::string(dtypeName(tensor->dtype)).c_str(),
                  formatShape(tensor->shape).c_str());
    }
    return 0;
  }
  Expected<std::vector<TensorSpec>> specs = readManifest(argv[3]);
  if (!specs)
    return fail(specs.getError());
  Expected<WeightSet> weights = WeightSet::load(
      std::shared_ptr<const Checkpoint>(*checkpoint), std::move(*specs));
  if (!weights)
    return fail(weights.getError());
  size_t zeroCopy = 0;
  for (size_t i = 0; i < weights->size(); ++i)
    zeroCopy += weights->isZeroCopy(i);
  std::printf("ok: %zu tensors, %llu bytes as f32, %zu used in place\n",
              weights->size(),
              static_cast<unsigned long long>(weights->totalBytes()), zeroCopy);
  return 0;
}
