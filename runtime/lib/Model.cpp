//===- Model.cpp - The interface of a compiled model ----------------------===//

#include "loom/Model.h"

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
  if (!integer("abi", info.abi) || !integer("vocab", info.vocab) ||
      !integer("max_positions", info.maxPositions) ||
      !integer("output_width", info.outputWidth) ||
      !integer("kv_slots", info.kvSlots) || !integer("kv_width", info.kvWidth))
    return makeError("the model's embedded description lacks a field");
  if (auto it = root.find("model"); it != root.end() && it->is_string())
    info.name = it->get<std::string>();
  if (auto it = root.find("decoder"); it != root.end() && it->is_boolean())
    info.decoder = it->get<bool>();
  auto tensors = root.find("tensors");
  if (tensors == root.end() || !tensors->is_array())
    return makeError("the model's embedded description lacks its tensors");
  for (const nlohmann::json &tensor : *tensors) {
    TensorSpec spec;
    auto name = tensor.find("name");
    auto shape = tensor.find("shape");
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
    info.matrix.push_back(flag("matrix", false));
    info.storedInOut.push_back(flag("stored_in_out", false));
    info.otherUses.push_back(flag("other_uses", true));
  }
  return info;
}
