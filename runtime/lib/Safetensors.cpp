//===- Safetensors.cpp - One memory-mapped .safetensors file --------------===//

#include "loom/Safetensors.h"

#include "loom/MappedFiles.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace loom {

using json = nlohmann::json;

namespace {
struct DTypeEntry {
  DType dtype;
  std::string_view name;
  size_t size;
  /// Whether safetensors headers may name it.
  bool safetensors = true;
};
} // namespace

static constexpr DTypeEntry dtypeTable[] = {
    {DType::Bool, "BOOL", 1},
    {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},
    {DType::U16, "U16", 2},
    {DType::I16, "I16", 2},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::U32, "U32", 4},
    {DType::I32, "I32", 4},
    {DType::F32, "F32", 4},
    {DType::U64, "U64", 8},
    {DType::I64, "I64", 8},
    {DType::F64, "F64", 8},
    {DType::F8E4M3, "F8_E4M3", 1},
    {DType::F8E5M2, "F8_E5M2", 1},
    {DType::Q8_0, "Q8_0", 0, false},
    {DType::Q4_0, "Q4_0", 0, false},
    {DType::Q4_1, "Q4_1", 0, false},
    {DType::Q4_K, "Q4_K", 0, false},
    {DType::Q6_K, "Q6_K", 0, false},
};

std::string_view dtypeName(DType dtype) {
  return dtypeTable[static_cast<size_t>(dtype)].name;
}

size_t dtypeSize(DType dtype) {
  return dtypeTable[static_cast<size_t>(dtype)].size;
}

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeEntry &entry : dtypeTable)
    if (entry.name == name && entry.safetensors)
      return entry.dtype;
  return std::nullopt;
}

std::optional<QuantFormat> quantFormatOf(DType dtype) {
  switch (dtype) {
  case DType::Q8_0:
    return QuantFormat::Q8_0;
  case DType::Q4_0:
    return QuantFormat::Q4_0;
  case DType::Q4_1:
    return QuantFormat::Q4_1;
  case DType::Q4_K:
    return QuantFormat::Q4_K;
  case DType::Q6_K:
    return QuantFormat::Q6_K;
  default:
    return std::nullopt;
  }
}

int64_t TensorInfo::numElements() const {
  if (std::optional<QuantFormat> format = quantFormatOf(dtype))
    return static_cast<int64_t>(byteSize) / quantBlockBytes(*format) *
           quantBlockWeights(*format);
  return static_cast<int64_t>(byteSize / dtypeSize(dtype));
}

/// The safetensors format caps the header at 100 MB; a larger length means
/// the file is not a safetensors file.
static constexpr uint64_t maxHeaderSize = 100u * 1000 * 1000;

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::open(const std::string &path) {
  Expected<std::unique_ptr<SafetensorsFile>> file = map(path);
  if (!file)
    return file.takeError();
  if (Status status = (*file)->parseHeader(); !status)
    return status.takeError();
  return file;
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::openGguf(const std::string &path) {
  Expected<std::unique_ptr<SafetensorsFile>> file = map(path);
  if (!file)
    return file.takeError();
  if (Status status = (*file)->parseGguf(); !status)
    return status.takeError();
  return file;
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::map(const std::string &path) {
  // Non-blocking: opening a FIFO would otherwise wait for a writer; it is
  // refused below, as anything that is not a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return makeError(
        fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    int savedErrno = errno;
    ::close(fd);
    return makeError(
        fmt::format("{}: cannot stat: {}", path, std::strerror(savedErrno)));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return makeError(fmt::format("{}: not a regular file", path));
  }
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path = path;
  file->fileSize = static_cast<uint64_t>(info.st_size);
  if (file->fileSize > 0) {
    void *address =
        ::mmap(nullptr, file->fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
      int savedErrno = errno;
      ::close(fd);
      return makeError(
          fmt::format("{}: cannot map: {}", path, std::strerror(savedErrno)));
    }
    file->mapping = static_cast<const unsigned char *>(address);
    registerMapping(address, file->fileSize, path);
  }
  ::close(fd); // The mapping keeps the file alive.
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping) {
    unregisterMapping(mapping);
    ::munmap(const_cast<unsigned char *>(mapping), fileSize);
  }
}

const TensorInfo *SafetensorsFile::find(std::string_view name) const {
  auto it = byName.find(std::string(name));
  return it == byName.end() ? nullptr : &tensors[it->second];
}

namespace {
/// A SAX consumer that only records the first parse error, to explain why
/// the (non-throwing) DOM parse failed.
struct ParseErrorRecorder : nlohmann::json_sax<json> {
  std::string message;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t &) override { return true; }
  bool string(string_t &) override { return true; }
  bool binary(binary_t &) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t &) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &error) override {
    std::string_view what = error.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    if (size_t close = what.find("] "); close != std::string_view::npos)
      what.remove_prefix(close + 2);
    message = std::string(what);
    return false;
  }
};
} // namespace

/// Reads a JSON array of non-negative integers; nullopt on any other value.
static std::optional<std::vector<uint64_t>> readIndexArray(const json &value) {
  if (!value.is_array())
    return std::nullopt;
  std::vector<uint64_t> result;
  for (const json &element : value) {
    if (element.is_number_unsigned())
      result.push_back(element.get<uint64_t>());
    else if (element.is_number_integer() && element.get<int64_t>() >= 0)
      result.push_back(static_cast<uint64_t>(element.get<int64_t>()));
    else
      return std::nullopt;
  }
  return result;
}

Status SafetensorsFile::parseHeader() {
  if (fileSize < 8)
    return makeError(fmt::format(
        "{}: file is too small to be a safetensors file ({} bytes; the "
        "8-byte header length is missing)",
        path, fileSize));
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = (headerSize << 8) | mapping[i];
  if (headerSize > fileSize - 8)
    return makeError(fmt::format(
        "{}: header length {} is larger than the rest of the file ({} bytes); "
        "the file is truncated or not a safetensors file",
        path, headerSize, fileSize - 8));
  if (headerSize > maxHeaderSize)
    return makeError(fmt::format(
        "{}: header length {} exceeds the 100 MB limit of the format", path,
        headerSize));

  const char *headerBegin = reinterpret_cast<const char *>(mapping + 8);
  const char *headerEnd = headerBegin + headerSize;
  json header = json::parse(headerBegin, headerEnd, nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded()) {
    ParseErrorRecorder recorder;
    json::sax_parse(headerBegin, headerEnd, &recorder);
    return makeError(fmt::format("{}: header is not valid JSON ({})", path,
                                 recorder.message));
  }
  if (!header.is_object())
    return makeError(fmt::format("{}: header is not a JSON object", path));

  const uint64_t dataSize = fileSize - 8 - headerSize;
  const unsigned char *dataBegin = mapping + 8 + headerSize;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string &name = it.key();
    const json &entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object())
        return makeError(fmt::format(
            "{}: '__metadata__' must be an object of strings", path));
      for (auto meta = entry.begin(); meta != entry.end(); ++meta) {
        if (!meta.value().is_string())
          return makeError(
              fmt::format("{}: '__metadata__' entry '{}' is not a string", path,
                          meta.key()));
        metadata[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    if (!entry.is_object())
      return makeError(fmt::format(
          "{}: tensor '{}': entry is not a JSON object", path, name));
    auto dtypeIt = entry.find("dtype");
    if (dtypeIt == entry.end() || !dtypeIt->is_string())
      return makeError(
          fmt::format("{}: tensor '{}' has no 'dtype' string", path, name));
    std::string dtypeText = dtypeIt->get<std::string>();
    std::optional<DType> dtype = parseDType(dtypeText);
    if (!dtype)
      return makeError(fmt::format(
          "{}: tensor '{}' has unknown dtype '{}' (known: BOOL, U8, I8, U16, "
          "I16, F16, BF16, U32, I32, F32, U64, I64, F64, F8_E4M3, F8_E5M2)",
          path, name, dtypeText));

    auto shapeIt = entry.find("shape");
    std::optional<std::vector<uint64_t>> dims;
    if (shapeIt != entry.end())
      dims = readIndexArray(*shapeIt);
    if (!dims)
      return makeError(fmt::format(
          "{}: tensor '{}' has no 'shape' array of non-negative integers", path,
          name));
    std::vector<int64_t> shape;
    for (uint64_t dim : *dims) {
      if (dim > static_cast<uint64_t>(INT64_MAX))
        return makeError(fmt::format(
            "{}: tensor '{}' has a dimension too large: {}", path, name, dim));
      shape.push_back(static_cast<int64_t>(dim));
    }

    auto offsetsIt = entry.find("data_offsets");
    std::optional<std::vector<uint64_t>> offsets;
    if (offsetsIt != entry.end())
      offsets = readIndexArray(*offsetsIt);
    if (!offsets || offsets->size() != 2)
      return makeError(fmt::format(
          "{}: tensor '{}' has no 'data_offsets' pair of non-negative "
          "integers",
          path, name));
    uint64_t begin = (*offsets)[0], end = (*offsets)[1];
    if (begin > end)
      return makeError(fmt::format(
          "{}: tensor '{}' has data_offsets [{}, {}) that end before they "
          "begin",
          path, name, begin, end));

    std::optional<int64_t> count = numElements(shape);
    uint64_t elementSize = dtypeSize(*dtype);
    if (!count || static_cast<uint64_t>(*count) > UINT64_MAX / elementSize)
      return makeError(fmt::format("{}: tensor '{}' has a shape {} too large",
                                   path, name, formatShape(shape)));
    uint64_t needed = static_cast<uint64_t>(*count) * elementSize;
    if (end - begin != needed)
      return makeError(fmt::format(
          "{}: tensor '{}' has data_offsets [{}, {}) but its shape {} in {} "
          "needs {} bytes",
          path, name, begin, end, formatShape(shape), dtypeText, needed));

    TensorInfo tensor;
    tensor.name = name;
    tensor.dtype = *dtype;
    tensor.shape = std::move(shape);
    tensor.data = dataBegin + begin;
    tensor.byteSize = needed;
    tensor.dataOffset = begin;
    tensor.file = this;
    tensors.push_back(std::move(tensor));
  }

  // The data section must hold the furthest-reaching tensor.
  const TensorInfo *last = nullptr;
  for (const TensorInfo &tensor : tensors)
    if (!last ||
        tensor.dataOffset + tensor.byteSize > last->dataOffset + last->byteSize)
      last = &tensor;
  if (last && last->dataOffset + last->byteSize > dataSize)
    return makeError(fmt::format(
        "{}: file is truncated: header says {} bytes of data but only {} "
        "remain (tensor '{}' has data_offsets [{}, {}))",
        path, last->dataOffset + last->byteSize, dataSize, last->name,
        last->dataOffset, last->dataOffset + last->byteSize));

  // Tensors may not share bytes. Sort by offset and compare neighbours
  // (empty tensors occupy no bytes and overlap nothing).
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorInfo &a, const TensorInfo &b) {
              if (a.dataOffset != b.dataOffset)
                return a.dataOffset < b.dataOffset;
              return a.name < b.name;
            });
  const TensorInfo *previous = nullptr;
  for (const TensorInfo &tensor : tensors) {
    if (tensor.byteSize == 0)
      continue;
    if (previous &&
        tensor.dataOffset < previous->dataOffset + previous->byteSize)
      return makeError(
          fmt::format("{}: tensors '{}' [{}, {}) and '{}' [{}, {}) overlap",
                      path, previous->name, previous->dataOffset,
                      previous->dataOffset + previous->byteSize, tensor.name,
                      tensor.dataOffset, tensor.dataOffset + tensor.byteSize));
    previous = &tensor;
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    byName.emplace(tensors[i].name, i);
  return Status::success();
}

} // namespace loom
