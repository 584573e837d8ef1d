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
  if (!integer(LOOM_INFO_ABI, info.abi) ||
      !integer(LOOM_INFO_VOCAB, info.vocab) ||
      !integer(LOOM_INFO_MAX_POSITIONS, info.maxPositions) ||
      !integer(LOOM_INFO_OUTPUT_WIDTH, info.outputWidth) ||
      !integer(LOOM_INFO_KV_SLOTS, info.kvSlots))
    return makeError("the model's embedded description lacks a field");
  // Each slot's width; the cache holds them all for every position.
  auto widths = root.find(LOOM_INFO_KV_WIDTHS);
  if (widths == root.end() || !widths->is_array() ||
      int64_t(widths->size()) != info.kvSlots)
    return makeError("the model's embedded description lacks its KV cache "
                     "widths");
  for (const nlohmann::json &width : *widths) {
    if (!width.is_number_integer() || width.get<int64_t>() <= 0 ||
        width.get<int64_t>() > (int64_t(1) << 24))
      return makeError("the model's embedded description has a bad KV cache "
                       "width");
    info.kvWidths.push_back(width.get<int64_t>());
    info.kvWidth += width.get<int64_t>();
  }
  if (auto it = root.find(LOOM_INFO_MODEL); it != root.end() && it->is_string())
    info.name = it->get<std::string>();
  if (!integer(LOOM_INFO_INPUT_WIDTH, info.inputWidth) || info.inputWidth < 0)
    return makeError("the model's embedded description lacks its input "
                     "width");
  // Running states (absent: none).
  if (auto it = root.find(LOOM_INFO_STATE_FLOATS); it != root.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
        it->get<int64_t>() > (int64_t(1) << 34))
      return makeError("the model's embedded description has a bad running "
                       "state size");
    info.stateFloats = it->get<int64_t>();
  }
  if (auto it = root.find(LOOM_INFO_DECODER);
      it != root.end() && it->is_boolean())
    info.decoder = it->get<bool>();
  if (auto it = root.find(LOOM_INFO_WEIGHT_TYPE); it != root.end()) {
    std::string type = it->is_string() ? it->get<std::string>() : "";
    if (type == "keep")
      info.weightType = WeightPolicy::Keep;
    else if (type == "f32")
      info.weightType = WeightPolicy::F32;
    else if (type == "f16")
      info.weightType = WeightPolicy::F16;
    else if (type == "bf16")
      info.weightType = WeightPolicy::BF16;
    else
      return makeError("the model's embedded description has an unknown "
                       "weight type");
  }
  // Checkpoint tensors, then derived ones: the order of the weight table.
  auto readTensors = [&](const char *key, std::vector<TensorSpec> &specs,
                         bool required) -> Status {
    auto list = root.find(key);
    if (list == root.end() && !required)
      return Status::success();
    if (list == root.end() || !list->is_array())
      return makeError(std::string("the model's embedded description lacks "
                                   "its ") +
                       key);
    for (const nlohmann::json &tensor : *list) {
      TensorSpec spec;
      auto name = tensor.find(LOOM_INFO_TENSOR_NAME);
      auto shape = tensor.find(LOOM_INFO_TENSOR_SHAPE);
      if (name == tensor.end() || !name->is_string() || shape == tensor.end() ||
          !shape->is_array())
        return makeError("the model's embedded description has a bad tensor");
      spec.name = name->get<std::string>();
      for (const nlohmann::json &dim : *shape) {
        if (!dim.is_number_integer() || dim.get<int64_t>() < 0)
          return makeError("the model's embedded description has a bad "
                           "tensor shape");
        spec.shape.push_back(dim.get<int64_t>());
      }
      // F32, BF16 or F16 (derived weights only), or a quantized [n, k]
      // matrix of whole blocks.
      if (auto dtype = tensor.find(LOOM_INFO_TENSOR_DTYPE);
          dtype != tensor.end()) {
        std::string type = dtype->is_string() ? dtype->get<std::string>() : "";
        if (!required && (type == "BF16" || type == "F16")) {
          spec.floatType = type == "BF16" ? DType::BF16 : DType::F16;
        } else if (type != "F32") {
          spec.quant = quantFormatFromName(type);
          if (!spec.quant)
            return makeError("the model's embedded description has tensor '" +
                             spec.name + "' of unknown dtype '" + type + "'");
          if (spec.shape.size() != 2 ||
              spec.shape[1] % quantBlockWeights(*spec.quant) != 0)
            return makeError("the model's embedded description has a "
                             "quantized tensor '" +
                             spec.name + "' that is not whole blocks");
        }
      }
      specs.push_back(std::move(spec));
      auto flag = [&](const char *flagKey, bool otherwise) {
        auto it = tensor.find(flagKey);
        return it != tensor.end() && it->is_boolean() ? it->get<bool>()
                                                      : otherwise;
      };
      info.matrix.push_back(flag(LOOM_INFO_TENSOR_MATRIX, false));
      info.storedInOut.push_back(flag(LOOM_INFO_TENSOR_STORED_IN_OUT, false));
      info.otherUses.push_back(flag(LOOM_INFO_TENSOR_OTHER_USES, true));
      info.rows.push_back(flag(LOOM_INFO_TENSOR_ROWS, false));
      info.prepareOnly.push_back(flag(LOOM_INFO_TENSOR_PREPARE_ONLY, false));
    }
    return Status::success();
  };
  if (Status status = readTensors(LOOM_INFO_TENSORS, info.tensors, true);
      !status)
    return status.takeError();
  if (Status status = readTensors(LOOM_INFO_DERIVED, info.derived, false);
      !status)
    return status.takeError();
  // What each derived weight reads: entries before its own.
  if (auto list = root.find(LOOM_INFO_DERIVED); list != root.end()) {
    size_t index = info.tensors.size();
    for (const nlohmann::json &tensor : *list) {
      std::vector<int64_t> sources;
      auto found = tensor.find(LOOM_INFO_TENSOR_SOURCES);
      if (found == tensor.end() || !found->is_array())
        return makeError("the model's embedded description lacks the "
                         "sources of a derived weight");
      for (const nlohmann::json &source : *found) {
        if (!source.is_number_integer() || source.get<int64_t>() < 0 ||
            size_t(source.get<int64_t>()) >= index)
          return makeError("the model's embedded description has a bad "
                           "derived weight source");
        sources.push_back(source.get<int64_t>());
      }
      info.derivedSources.push_back(std::move(sources));
      auto rearranges = tensor.find(LOOM_INFO_TENSOR_REARRANGES);
      info.derivedRearranges.push_back(rearranges != tensor.end() &&
                                       rearranges->is_boolean() &&
                                       rearranges->get<bool>());
      auto stacks = tensor.find(LOOM_INFO_TENSOR_STACKS_ROWS);
      info.derivedStacksRows.push_back(stacks != tensor.end() &&
                                       stacks->is_boolean() &&
                                       stacks->get<bool>());
      auto quantizes = tensor.find(LOOM_INFO_TENSOR_QUANTIZES);
      info.derivedQuantizes.push_back(
          quantizes != tensor.end() && quantizes->is_boolean() &&
          quantizes->get<bool>() && info.derivedSources.back().size() == 1);
      ++index;
    }
  }
  if (auto list = root.find(LOOM_INFO_LAYERS); list != root.end()) {
    if (!list->is_array())
      return makeError("the model's embedded description has bad layers");
    for (const nlohmann::json &name : *list) {
      if (!name.is_string())
        return makeError("the model's embedded description has bad layers");
      info.layers.push_back(name.get<std::string>());
    }
  }
  return info;
}
