//===- TestUtil.h - Writing safetensors files for runtime tests -*- C++ -*-===//

#ifndef LOOM_TEST_UNIT_RUNTIME_TESTUTIL_H
#define LOOM_TEST_UNIT_RUNTIME_TESTUTIL_H

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace loom::test {

/// One tensor to write: raw little-endian bytes.
struct RawTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
};

/// A tensor of F32 values.
inline RawTensor f32Tensor(std::string name, std::vector<int64_t> shape,
                           const std::vector<float> &values) {
  RawTensor tensor{std::move(name), "F32", std::move(shape), {}};
  tensor.bytes.resize(values.size() * 4);
  std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
  return tensor;
}

/// A tensor of F32 values 0, 1, 2, ... with the given shape.
inline RawTensor iotaTensor(std::string name, std::vector<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  std::vector<float> values(static_cast<size_t>(count));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i);
  return f32Tensor(std::move(name), std::move(shape), values);
}

/// A tensor of 16-bit values (F16 or BF16 bit patterns).
inline RawTensor bits16Tensor(std::string name, std::string dtype,
                              std::vector<int64_t> shape,
                              const std::vector<uint16_t> &bits) {
  RawTensor tensor{std::move(name), std::move(dtype), std::move(shape), {}};
  for (uint16_t value : bits) {
    tensor.bytes.push_back(static_cast<unsigned char>(value & 0xff));
    tensor.bytes.push_back(static_cast<unsigned char>(value >> 8));
  }
  return tensor;
}

inline std::string shapeJson(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

/// Writes `header` (JSON text), preceded by its length (or `lengthOverride`),
/// followed by `data`.
inline void writeRawFile(const std::string &path, const std::string &header,
                         const std::vector<unsigned char> &data,
                         int64_t lengthOverride = -1) {
  uint64_t length =
      lengthOverride >= 0 ? uint64_t(lengthOverride) : uint64_t(header.size());
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < 8; ++i)
    out.put(static_cast<char>((length >> (8 * i)) & 0xff));
  out.write(header.data(), std::streamsize(header.size()));
  out.write(reinterpret_cast<const char *>(data.data()),
            std::streamsize(data.size()));
}

/// Builds the header of `tensors` laid out back to back, padding the header
/// with spaces to a multiple of `headerAlign` bytes (8 keeps F32 aligned).
inline std::string layoutHeader(const std::vector<RawTensor> &tensors,
                                std::vector<unsigned char> &data,
                                size_t headerAlign = 8,
                                const std::string &metadata = "") {
  std::string header = "{";
  if (!metadata.empty())
    header += "\"__metadata__\":" + metadata;
  for (const RawTensor &tensor : tensors) {
    size_t begin = data.size();
    data.insert(data.end(), tensor.bytes.begin(), tensor.bytes.end());
    if (header.size() > 1)
      header += ",";
    header += "\"" + tensor.name + "\":{\"dtype\":\"" + tensor.dtype +
              "\",\"shape\":" + shapeJson(tensor.shape) +
              ",\"data_offsets\":[" + std::to_string(begin) + "," +
              std::to_string(data.size()) + "]}";
  }
  header += "}";
  while ((8 + header.size()) % headerAlign)
    header += ' ';
  return header;
}

/// Writes a well-formed safetensors file.
inline void writeSafetensors(const std::string &path,
                             const std::vector<RawTensor> &tensors,
                             size_t headerAlign = 8,
                             const std::string &metadata = "") {
  std::vector<unsigned char> data;
  std::string header = layoutHeader(tensors, data, headerAlign, metadata);
  writeRawFile(path, header, data);
}

/// A fixture with a fresh temporary directory, removed afterwards.
class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "loom-rt-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    ASSERT_NE(::mkdtemp(buffer.data()), nullptr);
    dir = buffer.data();
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  /// A path inside the temporary directory.
  std::string path(const std::string &name) const { return dir + "/" + name; }

  std::string dir;
};

} // namespace loom::test

#endif // LOOM_TEST_UNIT_RUNTIME_TESTUTIL_H
