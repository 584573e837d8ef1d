//===- Weights.cpp - Binding a checkpoint to a model's manifest -----------===//

#include "loom/Weights.h"

#include "loom/Half.h"
#include "loom/Quant.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace loom {

/// Whether an f32 weight can be read from `dtype` (block-quantized GGUF
/// tensors are decoded at load).
static bool isFloatDType(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16 ||
         quantFormatOf(dtype);
}

int64_t TensorSpec::bytes() const {
  int64_t elements = numElements(shape).value_or(0);
  if (quant && shape.size() == 2)
    return shape[0] * quantRowBytes(*quant, shape[1]);
  return elements * int64_t(dtypeSize(floatType));
}

static std::vector<int64_t> reversed(std::vector<int64_t> shape) {
  std::reverse(shape.begin(), shape.end());
  return shape;
}

/// The problem with binding `spec`, or nullopt.
static std::optional<std::string>
checkOne(const Checkpoint &checkpoint, const TensorSpec &spec,
         const std::vector<std::string> &names) {
  if (!numElements(spec.shape))
    return fmt::format("tensor '{}': the model expects an invalid shape {}",
                       spec.name, formatShape(spec.shape));
  const TensorInfo *tensor = checkpoint.find(spec.name);
  if (!tensor) {
    std::string message = fmt::format("tensor '{}' is missing from {}",
                                      spec.name, checkpoint.describe());
    if (std::optional<std::string> guess = closestMatch(spec.name, names))
      message += fmt::format("; did you mean '{}'?", *guess);
    return message;
  }
  const std::string &file = tensor->file->getPath();
  if (spec.quant) {
    // A quantized weight is its format's bytes, one row of blocks per row:
    // a GGUF tensor of the format, or U8 bytes.
    if (quantFormatOf(tensor->dtype) == spec.quant &&
        tensor->shape == spec.shape)
      return std::nullopt;
    std::vector<int64_t> bytes = {spec.shape[0],
                                  quantRowBytes(*spec.quant, spec.shape[1])};
    if ((tensor->dtype != DType::U8 && tensor->dtype != DType::I8) ||
        tensor->shape != bytes)
      return fmt::format("tensor '{}' in {} has dtype {} and shape {}, but "
                         "the model expects the {} bytes of a {} matrix: U8 "
                         "{}",
                         spec.name, file, dtypeName(tensor->dtype),
                         formatShape(tensor->shape),
                         quantFormatName(*spec.quant), formatShape(spec.shape),
                         formatShape(bytes));
    return std::nullopt;
  }
  if (tensor->shape != spec.shape) {
    std::string message = fmt::format(
        "tensor '{}' in {} has shape {} but the model expects {}", spec.name,
        file, formatShape(tensor->shape), formatShape(spec.shape));
    if (spec.shape.size() == 2 && tensor->shape == reversed(spec.shape))
      message += " (it is transposed: check the layer's layout)";
    return message;
  }
  if (!isFloatDType(tensor->dtype))
    return fmt::format(
        "tensor '{}' in {} has dtype {}; weights must be F32, "
        "F16, BF16, or in GGUF files Q8_0, Q4_0, Q4_1, Q4_K or Q6_K",
        spec.name, file, dtypeName(tensor->dtype));
  return std::nullopt;
}

std::vector<std::string> checkWeights(const Checkpoint &checkpoint,
                                      const std::vector<TensorSpec> &specs,
                                      size_t maxProblems) {
  std::vector<std::string> names = checkpoint.getTensorNames();
  std::vector<std::string> problems;
  size_t extra = 0;
  for (const TensorSpec &spec : specs) {
    std::optional<std::string> problem = checkOne(checkpoint, spec, names);
    if (!problem)
      continue;
    if (problems.size() < maxProblems)
      problems.push_back(std::move(*problem));
    else
      ++extra;
  }
  if (extra)
    problems.push_back(
        fmt::format("... and {} more problem{}", extra, extra == 1 ? "" : "s"));
  return problems;
}

static float *allocateFloats(size_t count, size_t alignment) {
  size_t bytes = std::max<size_t>(count * sizeof(float), 1);
  bytes = (bytes + alignment - 1) / alignment * alignment;
  return static_cast<float *>(std::aligned_alloc(alignment, bytes));
}

Expected<WeightSet>
WeightSet::load(std::shared_ptr<const Checkpoint> checkpoint,
                std::vector<TensorSpec> specs, const WeightOptions &options) {
  size_t alignment = options.alignment;
  if (alignment < alignof(float) || (alignment & (alignment - 1)))
    return makeError(
        fmt::format("weight alignment {} is not a power of two of at least {}",
                    alignment, alignof(float)));
  std::vector<std::string> problems = checkWeights(
      *checkpoint, specs, std::max<size_t>(options.maxProblems, 1));
  if (!problems.empty()) {
    std::string message = fmt::format(
        "the weights in {} do not match the model:", checkpoint->describe());
    for (const std::string &problem : problems)
      message += "\n  " + problem;
    return makeError(std::move(message));
  }

  WeightSet set;
  set.checkpoint = std::move(checkpoint);
  set.specs = std::move(specs);
  // A tensor bound twice (a tied embedding and head) is converted once.
  std::unordered_map<const TensorInfo *, const float *> bound;
  for (size_t index = 0; index < set.specs.size(); ++index) {
    const TensorSpec &spec = set.specs[index];
    const TensorInfo *tensor = set.checkpoint->find(spec.name);
    size_t count = static_cast<size_t>(tensor->numElements());
    set.sources.push_back(tensor);
    if (spec.quant) {
      // Read in place, as the format's bytes (even when the same tensor is
      // also bound as f32: a GGUF token table tied to a quantized head).
      set.pointers.push_back(reinterpret_cast<const float *>(tensor->data));
      set.owned.emplace_back();
      set.total += uint64_t(spec.bytes());
      continue;
    }
    if (auto it = bound.find(tensor); it != bound.end()) {
      set.pointers.push_back(it->second);
      set.owned.emplace_back();
      continue;
    }
    set.total += count * sizeof(float);
    if ((tensor->dtype == DType::F16 || tensor->dtype == DType::BF16) &&
        index < options.keepHalf.size() && options.keepHalf[index]) {
      set.pointers.push_back(nullptr);
      set.owned.emplace_back();
      bound.emplace(tensor, nullptr);
      continue;
    }
    bool aligned = reinterpret_cast<uintptr_t>(tensor->data) % alignment == 0;
    if (tensor->dtype == DType::F32 && aligned) {
      set.pointers.push_back(reinterpret_cast<const float *>(tensor->data));
      set.owned.emplace_back();
      bound.emplace(tensor, set.pointers.back());
      continue;
    }
    float *copy = allocateFloats(count, alignment);
    if (!copy)
      return makeError(fmt::format(
          "out of memory converting tensor '{}' ({} elements) to F32",
          spec.name, count));
    if (std::optional<QuantFormat> format = quantFormatOf(tensor->dtype)) {
      // Decoded row by row (the last dimension is a row).
      int64_t k = tensor->shape.back();
      int64_t rows = int64_t(count) / k;
      for (int64_t r = 0; r < rows; ++r)
        dequantizeRow(*format, tensor->data + r * quantRowBytes(*format, k), k,
                      copy + r * k);
      set.pointers.push_back(copy);
      set.owned.emplace_back(copy);
      bound.emplace(tensor, copy);
      set.copied += count * sizeof(float);
      continue;
    }
    switch (tensor->dtype) {
    case DType::F32:
      std::memcpy(copy, tensor->data, count * sizeof(float));
      break;
    case DType::F16:
      convertHalfToFloat(tensor->data, copy, count);
      break;
    case DType::BF16:
      convertBfloat16ToFloat(tensor->data, copy, count);
      break;
    default: // Excluded by checkWeights.
      std::free(copy);
      return makeError(fmt::format("tensor '{}' has dtype {}", spec.name,
                                   dtypeName(tensor->dtype)));
    }
    set.pointers.push_back(copy);
    set.owned.emplace_back(copy);
    bound.emplace(tensor, copy);
    set.copied += count * sizeof(float);
  }
  return set;
}

Expected<WeightSet> WeightSet::load(const std::string &path,
                                    std::vector<TensorSpec> specs,
                                    const WeightOptions &options) {
  Expected<std::shared_ptr<Checkpoint>> checkpoint = Checkpoint::open(path);
  if (!checkpoint)
    return checkpoint.takeError();
  return load(std::shared_ptr<const Checkpoint>(std::move(*checkpoint)),
              std::move(specs), options);
}

bool WeightSet::isZeroCopy(size_t index) const {
  return reinterpret_cast<const void *>(pointers[index]) ==
         reinterpret_cast<const void *>(sources[index]->data);
}

const float *WeightSet::data(std::string_view name) const {
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name)
      return pointers[i];
  return nullptr;
}

} // namespace loom
