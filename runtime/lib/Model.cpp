//===- Model.cpp - The interface of a compiled model ----------------------===//

#include "loom/Model.h"

#include "loom/loom_abi.h"

#include <nlohmann/json.hpp>

using namespace loom;

Expected<ModelInfo> loom::parseModelInfo(const char *json) {
  nlohmann::json root = nlohmann::json::parse(json, nullptr,
                                              /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object())
    return makeError("the model's embedded description is not valid JSON");
  ModelInfo info;
  auto integer = [&](const char *key, int64_t &out) {
    auto it = root.find(key);
    if (it == root.end() || !it->is_number_integer())
      return false;
    out = it->get<int64_t>();
    return true;
  };
  if (!integer(LOOM_INFO_ABI, info.abi) || !integer(LOOM_INFO_VOCAB, info.vocab) ||
      !integer(LOOM_INFO_MAX_POSITIONS, info.maxPositions) ||
      !integer(LOOM_INFO_OUTPUT_WIDTH, info.outputWidth) ||
      !integer(LOOM_INFO_KV_SLOTS, info.kvSlots) || !integer(LOOM_INFO_KV_WIDTH, info.kvWidth))
    return makeError("the model's embedded description lacks a field");
  if (auto it = root.find(LOOM_INFO_MODEL); it != root.end() && it->is_string())
    info.name = it->get<std::string>();
  if (auto it = root.find(LOOM_INFO_DECODER); it != root.end() && it->is_boolean())
    info.decoder = it->get<bool>();
  auto tensors = root.find(LOOM_INFO_TENSORS);
  if (tensors == root.end() || !tensors->is_array())
    return makeError("the model's embedded description lacks its tensors");
  for (const nlohmann::json &tensor : *tensors) {
    TensorSpec spec;
    auto name = tensor.find(LOOM_INFO_TENSOR_NAME);
    auto shape = tensor.find(LOOM_INFO_TENSOR_SHAPE);
    if (name == tensor.end() || !name->is_string() || shape == tensor.end() ||
        !shape->is_array())
      return makeError("the model's embedded description has a bad tensor");
    spec.name = name->get<std::string>();
    for (const nlohmann::json &dim : *shape)
      spec.shape.push_back(dim.get<int64_t>());
    info.tensors.push_back(std::move(spec));
    auto flag = [&](const char *key, bool otherwise) {
      auto it = tensor.find(key);
      return it != tensor.end() && it->is_boolean() ? it->get<bool>()
                                                    : otherwise;
    };
    info.matrix.push_back(flag(LOOM_INFO_TENSOR_MATRIX, false));
    info.storedInOut.push_back(flag(LOOM_INFO_TENSOR_STORED_IN_OUT, false));
    info.otherUses.push_back(flag(LOOM_INFO_TENSOR_OTHER_USES, true));
  }
  return info;
}
