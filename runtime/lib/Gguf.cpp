//===- Gguf.cpp - Reading GGUF files (llama.cpp's checkpoints)
//-------------===//
//
// GGUF (versions 2 and 3): "GGUF", a version, the tensor and metadata
// counts, the metadata (typed key-value pairs), one record per tensor
// (name, dimensions innermost first, ggml type, offset), then the tensors'
// data from the next multiple of `general.alignment` (default 32).
//
// Everything is checked against the file's size before it is read: a
// truncated or hostile file is an error naming what is wrong (and the
// tensor, where there is one), never a read past the mapping. Written here
// rather than taken from ggml: the runtime links nothing but libc,
// libstdc++ and fmt, and parsing the container is a page of code.
//
//===----------------------------------------------------------------------===//

#include "loom/Safetensors.h"

#include <fmt/format.h>

#include <cstring>
#include <unordered_set>

namespace loom {

namespace {

/// GGUF metadata value types.
enum GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

/// ggml tensor types the runtime reads, and the names of some it does not.
struct GgmlType {
  uint32_t id;
  const char *name;
  std::optional<DType> dtype;
};
constexpr GgmlType kGgmlTypes[] = {
    {0, "F32", DType::F32},     {1, "F16", DType::F16},
    {2, "Q4_0", DType::Q4_0},   {3, "Q4_1", DType::Q4_1},
    {6, "Q5_0", std::nullopt},  {7, "Q5_1", std::nullopt},
    {8, "Q8_0", DType::Q8_0},   {9, "Q8_1", std::nullopt},
    {10, "Q2_K", std::nullopt}, {11, "Q3_K", std::nullopt},
    {12, "Q4_K", DType::Q4_K},  {13, "Q5_K", std::nullopt},
    {14, "Q6_K", DType::Q6_K},  {15, "Q8_K", std::nullopt},
    {30, "BF16", DType::BF16},
};

/// Reads little-endian values from [data, data + size), failing (once)
/// instead of reading past the end.
class Reader {
public:
  Reader(const unsigned char *data, uint64_t size) : data(data), size(size) {}

  bool read(void *out, uint64_t bytes) {
    if (bytes > size - position)
      return false;
    std::memcpy(out, data + position, bytes);
    position += bytes;
    return true;
  }
  template <typename T> bool read(T &out) { return read(&out, sizeof(T)); }
  bool readString(std::string &out) {
    uint64_t length;
    if (!read(length) || length > size - position)
      return false;
    out.assign(reinterpret_cast<const char *>(data + position), length);
    position += length;
    return true;
  }
  bool skip(uint64_t bytes) {
    if (bytes > size - position)
      return false;
    position += bytes;
    return true;
  }
  uint64_t getPosition() const { return position; }
  uint64_t remaining() const { return size - position; }

private:
  const unsigned char *data;
  uint64_t size;
  uint64_t position = 0;
};

/// Bytes of one scalar of metadata type `type`, or 0 for strings, arrays
/// and unknown types.
uint64_t scalarSize(uint32_t type) {
  switch (type) {
  case kUint8:
  case kInt8:
  case kBool:
    return 1;
  case kUint16:
  case kInt16:
    return 2;
  case kUint32:
  case kInt32:
  case kFloat32:
    return 4;
  case kUint64:
  case kInt64:
  case kFloat64:
    return 8;
  default:
    return 0;
  }
}

/// A scalar of `type` at `bytes`, as text.
std::string scalarText(uint32_t type, const unsigned char *bytes) {
  auto get = [&](auto value) {
    std::memcpy(&value, bytes, sizeof(value));
    return value;
  };
  switch (type) {
  case kUint8:
    return std::to_string(get(uint8_t()));
  case kInt8:
    return std::to_string(get(int8_t()));
  case kUint16:
    return std::to_string(get(uint16_t()));
  case kInt16:
    return std::to_string(get(int16_t()));
  case kUint32:
    return std::to_string(get(uint32_t()));
  case kInt32:
    return std::to_string(get(int32_t()));
  case kFloat32:
    return fmt::format("{}", get(float()));
  case kBool:
    return get(uint8_t()) ? "true" : "false";
  case kUint64:
    return std::to_string(get(uint64_t()));
  case kInt64:
    return std::to_string(get(int64_t()));
  case kFloat64:
    return fmt::format("{}", get(double()));
  default:
    return "";
  }
}

} // namespace

Status SafetensorsFile::parseGguf() {
  Reader reader(mapping, fileSize);
  auto bad = [&](const std::string &why) {
    return makeError(fmt::format("{}: not a valid GGUF file: {}", path, why));
  };
  char magic[4];
  if (!reader.read(magic, 4) || std::memcmp(magic, "GGUF", 4) != 0)
    return bad("it does not start with \"GGUF\"");
  uint32_t version;
  uint64_t tensorCount, metadataCount;
  if (!reader.read(version))
    return bad("truncated header");
  if (version != 2 && version != 3)
    return bad(fmt::format("version {} (this runtime reads versions 2 and 3)",
                           version));
  if (!reader.read(tensorCount) || !reader.read(metadataCount))
    return bad("truncated header");
  // Every entry takes at least a few bytes: counts the file cannot hold are
  // a corrupt header, not an allocation to attempt.
  if (tensorCount > reader.remaining() / 16 ||
      metadataCount > reader.remaining() / 12)
    return bad(fmt::format("{} tensors and {} metadata entries do not fit in "
                           "{} bytes",
                           tensorCount, metadataCount, fileSize));

  uint64_t alignment = 32;
  for (uint64_t i = 0; i < metadataCount; ++i) {
    std::string key;
    uint32_t type;
    if (!reader.readString(key) || !reader.read(type))
      return bad(fmt::format("truncated metadata entry {}", i));
    auto where = [&] { return fmt::format("metadata '{}'", key); };
    if (type == kString) {
      std::string value;
      if (!reader.readString(value))
        return bad(where() + " is truncated");
      metadata[key] = value;
      continue;
    }
    if (type == kArray) {
      uint32_t itemType;
      uint64_t count;
      if (!reader.read(itemType) || !reader.read(count))
        return bad(where() + " is truncated");
      arrays[key] = {itemType, count, reader.getPosition()};
      if (itemType == kString) {
        for (uint64_t n = 0; n < count; ++n) {
          uint64_t length;
          if (!reader.read(length) || !reader.skip(length))
            return bad(where() + " is truncated");
        }
        continue;
      }
      uint64_t item = scalarSize(itemType);
      if (item == 0)
        return bad(fmt::format("{} is an array of unsupported type {}", where(),
                               itemType));
      if (count > reader.remaining() / item || !reader.skip(count * item))
        return bad(where() + " is truncated");
      continue;
    }
    uint64_t bytes = scalarSize(type);
    if (bytes == 0)
      return bad(fmt::format("{} has unknown type {}", where(), type));
    unsigned char value[8];
    if (!reader.read(value, bytes))
      return bad(where() + " is truncated");
    metadata[key] = scalarText(type, value);
    if (key == "general.alignment") {
      uint32_t requested;
      std::memcpy(&requested, value, 4);
      if (type != kUint32 || requested == 0 ||
          (requested & (requested - 1)) != 0)
        return bad("general.alignment must be a power of two (uint32)");
      alignment = requested;
    }
  }

  struct Record {
    std::string name;
    std::vector<int64_t> shape;
    DType dtype;
    uint64_t offset, bytes;
  };
  std::vector<Record> records;
  std::unordered_set<std::string> seen;
  for (uint64_t i = 0; i < tensorCount; ++i) {
    Record record;
    uint32_t dims;
    if (!reader.readString(record.name) || !reader.read(dims))
      return bad(fmt::format("truncated tensor record {}", i));
    auto named = [&](const std::string &why) {
      return bad(fmt::format("tensor '{}' {}", record.name, why));
    };
    if (!seen.insert(record.name).second)
      return named("appears twice");
    if (dims == 0 || dims > 4)
      return named(fmt::format("has {} dimensions (1 to 4)", dims));
    std::vector<uint64_t> extents(dims);
    for (uint64_t &extent : extents)
      if (!reader.read(extent))
        return named("is truncated");
    uint32_t typeId;
    if (!reader.read(typeId) || !reader.read(record.offset))
      return named("is truncated");
    const GgmlType *type = nullptr;
    for (const GgmlType &known : kGgmlTypes)
      if (known.id == typeId)
        type = &known;
    if (!type)
      return named(fmt::format("has unknown tensor type {}", typeId));
    if (!type->dtype)
      return named(fmt::format("has type {}, which this runtime does not "
                               "read (it reads F32, F16, BF16, Q8_0, Q4_0, "
                               "Q4_1, Q4_K and Q6_K)",
                               type->name));
    record.dtype = *type->dtype;
    // Row-major: GGUF lists the innermost dimension first.
    uint64_t elements = 1;
    for (uint64_t extent : extents) {
      if (extent == 0 || extent > (uint64_t(1) << 40) ||
          elements > (uint64_t(1) << 40) / extent)
        return named("has an impossible shape");
      elements *= extent;
    }
    for (size_t d = extents.size(); d-- > 0;)
      record.shape.push_back(int64_t(extents[d]));
    if (std::optional<QuantFormat> format = quantFormatOf(record.dtype)) {
      int64_t block = quantBlockWeights(*format);
      if (extents[0] % uint64_t(block) != 0)
        return named(fmt::format("has rows of {} weights, not whole {} "
                                 "blocks of {}",
                                 extents[0], type->name, block));
      record.bytes = elements / uint64_t(block) * quantBlockBytes(*format);
    } else {
      record.bytes = elements * dtypeSize(record.dtype);
    }
    if (record.offset % alignment != 0)
      return named(fmt::format("starts at offset {}, not a multiple of the "
                               "alignment {}",
                               record.offset, alignment));
    records.push_back(std::move(record));
  }

  uint64_t dataStart =
      (reader.getPosition() + alignment - 1) / alignment * alignment;
  if (dataStart > fileSize && !records.empty())
    return bad("truncated before its tensor data");
  for (Record &record : records) {
    if (record.offset > fileSize - std::min(fileSize, dataStart) ||
        record.bytes > fileSize - dataStart - record.offset)
      return bad(fmt::format("tensor '{}' ({}, shape {}) needs bytes {} to "
                             "{} of the data, past the end of the file",
                             record.name, dtypeName(record.dtype),
                             formatShape(record.shape), record.offset,
                             record.offset + record.bytes));
    TensorInfo tensor;
    tensor.name = std::move(record.name);
    tensor.dtype = record.dtype;
    tensor.shape = std::move(record.shape);
    tensor.data = mapping + dataStart + record.offset;
    tensor.byteSize = record.bytes;
    tensor.dataOffset = record.offset;
    tensor.file = this;
    byName.emplace(tensor.name, tensors.size());
    tensors.push_back(std::move(tensor));
  }
  return Status::success();
}

std::optional<std::vector<std::string>>
SafetensorsFile::getStringArray(const std::string &key) const {
  auto found = arrays.find(key);
  if (found == arrays.end() || found->second.itemType != kString)
    return std::nullopt;
  // Validated by parseGguf: every length fits in the file.
  Reader reader(mapping + found->second.offset,
                fileSize - found->second.offset);
  std::vector<std::string> items(found->second.count);
  for (std::string &item : items)
    if (!reader.readString(item))
      return std::nullopt;
  return items;
}

std::optional<std::vector<float>>
SafetensorsFile::getFloatArray(const std::string &key) const {
  auto found = arrays.find(key);
  if (found == arrays.end() || found->second.itemType != kFloat32)
    return std::nullopt;
  std::vector<float> items(found->second.count);
  std::memcpy(items.data(), mapping + found->second.offset,
              items.size() * sizeof(float));
  return items;
}

std::optional<std::vector<int64_t>>
SafetensorsFile::getIntegerArray(const std::string &key) const {
  auto found = arrays.find(key);
  if (found == arrays.end())
    return std::nullopt;
  uint32_t type = found->second.itemType;
  uint64_t size = scalarSize(type);
  if (size == 0 || type == kFloat32 || type == kFloat64 || type == kBool)
    return std::nullopt;
  bool isSigned =
      type == kInt8 || type == kInt16 || type == kInt32 || type == kInt64;
  std::vector<int64_t> items(found->second.count);
  const unsigned char *data = mapping + found->second.offset;
  for (uint64_t i = 0; i < items.size(); ++i) {
    uint64_t raw = 0;
    std::memcpy(&raw, data + i * size, size);
    if (isSigned && size < 8 && (raw >> (size * 8 - 1)) & 1)
      raw |= ~uint64_t(0) << (size * 8); // Sign-extend.
    items[i] = int64_t(raw);
  }
  return items;
}

} // namespace loom
