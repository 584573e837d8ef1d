//===- Safetensors.h - One memory-mapped .safetensors file ------*- C++ -*-===//
//
// A safetensors file is: an 8-byte little-endian header length N, N bytes of
// JSON (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
// "__metadata__": {..}}`), then the data section; offsets are relative to the
// data section. The file is mapped read-only and validated completely when it
// is opened, so a `TensorInfo` always points at in-bounds bytes of the right
// size. See docs/checkpoints.md for the rules and the error messages.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_SAFETENSORS_H
#define LOOM_SAFETENSORS_H

#include "loom/QuantFormat.h"
#include "loom/Support.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loom {

/// The element types of safetensors. All can be read; weights bound to a
/// model must be F32, F16 or BF16 (see Weights.h).
enum class DType {
  Bool,
  U8,
  I8,
  U16,
  I16,
  F16,
  BF16,
  U32,
  I32,
  F32,
  U64,
  I64,
  F64,
  F8E4M3,
  F8E5M2,
  // Block-quantized (GGUF files only): the layouts of loom_abi.h.
  Q8_0,
  Q4_0,
  Q4_1,
  Q4_K,
  Q6_K,
};

/// The safetensors spelling of `dtype` ("F32", "BF16", "F8_E4M3", ...).
std::string_view dtypeName(DType dtype);
/// Bytes per element of `dtype` (0 for the block-quantized types).
size_t dtypeSize(DType dtype);
/// Parses a safetensors dtype spelling; nullopt if unknown (the
/// block-quantized types are GGUF's only).
std::optional<DType> parseDType(std::string_view name);
/// The block format of a block-quantized dtype.
std::optional<QuantFormat> quantFormatOf(DType dtype);

class SafetensorsFile;

/// One tensor of a safetensors file. `data` points into the file's mapping
/// and stays valid as long as the file is open.
struct TensorInfo {
  /// The tensor's name as written in the header.
  std::string name;
  /// Its element type.
  DType dtype;
  /// Its shape (empty for a scalar).
  std::vector<int64_t> shape;
  /// Its first byte (little-endian elements, row-major, any alignment).
  const unsigned char *data = nullptr;
  /// Its size in bytes: numel(shape) * dtypeSize(dtype).
  uint64_t byteSize = 0;
  /// `data_offsets[0]`, relative to the data section.
  uint64_t dataOffset = 0;
  /// The file it lives in.
  const SafetensorsFile *file = nullptr;

  /// The number of elements.
  int64_t numElements() const;
};

/// A validated, memory-mapped safetensors file.
class SafetensorsFile {
public:
  /// Maps and validates the file at `path`. Errors start with `path: `.
  static Expected<std::unique_ptr<SafetensorsFile>>
  open(const std::string &path);

  /// The same for a GGUF file (llama.cpp's format, versions 2 and 3;
  /// Gguf.cpp): its tensors with their shapes row-major (GGUF lists
  /// dimensions innermost first), its scalar metadata as text.
  static Expected<std::unique_ptr<SafetensorsFile>>
  openGguf(const std::string &path);

  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;
  ~SafetensorsFile();

  /// The path the file was opened with.
  const std::string &getPath() const { return path; }
  /// Its tensors, in data-offset order.
  const std::vector<TensorInfo> &getTensors() const { return tensors; }
  /// The tensor called `name`, or null.
  const TensorInfo *find(std::string_view name) const;
  /// The optional `__metadata__` string map.
  const std::map<std::string, std::string> &getMetadata() const {
    return metadata;
  }
  /// The size of the whole file in bytes.
  uint64_t getFileSize() const { return fileSize; }
  /// A GGUF metadata array of strings (e.g. `tokenizer.ggml.tokens`), or
  /// nothing if the key is absent or holds something else.
  std::optional<std::vector<std::string>>
  getStringArray(const std::string &key) const;
  /// A GGUF metadata array of integers (any width), or nothing.
  std::optional<std::vector<int64_t>>
  getIntegerArray(const std::string &key) const;
  /// A GGUF metadata array of float32, or nothing.
  std::optional<std::vector<float>> getFloatArray(const std::string &key) const;

private:
  SafetensorsFile() = default;
  /// Maps the file at `path` (nothing parsed yet).
  static Expected<std::unique_ptr<SafetensorsFile>>
  map(const std::string &path);
  Status parseHeader();
  Status parseGguf();

  std::string path;
  /// The whole file, mapped read-only (null for an empty mapping).
  const unsigned char *mapping = nullptr;
  uint64_t fileSize = 0;
  std::vector<TensorInfo> tensors;
  std::unordered_map<std::string, size_t> byName;
  std::map<std::string, std::string> metadata;
  /// Where a GGUF metadata array's items start in the mapping.
  struct ArrayRecord {
    uint32_t itemType;
    uint64_t count;
    uint64_t offset;
  };
  std::map<std::string, ArrayRecord> arrays;
};

} // namespace loom

#endif // LOOM_SAFETENSORS_H
