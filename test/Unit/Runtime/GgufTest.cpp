//===- GgufTest.cpp - Reading and validating GGUF files -------------------===//

#include "loom/Checkpoint.h"
#include "loom/Quant.h"
#include "loom/Safetensors.h"

#include "TestUtil.h"

#include <gmock/gmock.h>

#include <cstring>
#include <fstream>

using namespace loom;
using namespace loom::test;
using ::testing::HasSubstr;

namespace {

/// Builds a GGUF file byte by byte (little-endian), as llama.cpp lays it
/// out; tests then break one thing at a time.
class GgufBuilder {
public:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims; ///< innermost first, as GGUF lists them
    uint32_t type;
    std::vector<unsigned char> data;
    int64_t offsetShift = 0; ///< added to the recorded offset
  };

  uint32_t version = 3;
  std::string magic = "GGUF";
  uint32_t alignment = 32;
  std::vector<Tensor> tensors;
  std::vector<std::pair<std::string, std::string>> strings;

  std::vector<unsigned char> build() const {
    std::vector<unsigned char> out(magic.begin(), magic.end());
    put(out, version);
    put(out, uint64_t(tensors.size()));
    put(out, uint64_t(strings.size() + 1));
    for (const auto &[key, value] : strings) {
      putString(out, key);
      put(out, uint32_t(8));
      putString(out, value);
    }
    putString(out, "general.alignment");
    put(out, uint32_t(4));
    put(out, alignment);
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (const Tensor &tensor : tensors) {
      putString(out, tensor.name);
      put(out, uint32_t(tensor.dims.size()));
      for (uint64_t dim : tensor.dims)
        put(out, dim);
      put(out, tensor.type);
      put(out, uint64_t(int64_t(offset) + tensor.offsetShift));
      offsets.push_back(offset);
      offset =
          (offset + tensor.data.size() + alignment - 1) / alignment * alignment;
    }
    out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
    size_t start = out.size();
    out.resize(start + offset, 0);
    for (size_t t = 0; t < tensors.size(); ++t)
      std::memcpy(out.data() + start + offsets[t], tensors[t].data.data(),
                  tensors[t].data.size());
    return out;
  }

private:
  template <typename T>
  static void put(std::vector<unsigned char> &out, T value) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.insert(out.end(), bytes, bytes + sizeof(T));
  }
  static void putString(std::vector<unsigned char> &out,
                        const std::string &text) {
    put(out, uint64_t(text.size()));
    out.insert(out.end(), text.begin(), text.end());
  }
};

std::vector<unsigned char> floats(const std::vector<float> &values) {
  std::vector<unsigned char> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

class GgufTest : public TempDirTest {
protected:
  std::string write(const std::vector<unsigned char> &bytes) {
    std::string file = path("model.gguf");
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()),
               std::streamsize(bytes.size()));
    return file;
  }
  std::string error(const GgufBuilder &builder) {
    return errorOf(builder.build());
  }
  std::string errorOf(const std::vector<unsigned char> &bytes) {
    auto result = SafetensorsFile::openGguf(write(bytes));
    EXPECT_FALSE(result);
    return result ? std::string("no error") : result.getError();
  }
  /// A valid file: an f32 [2, 3] matrix and a Q8_0 [2, 32] matrix.
  GgufBuilder valid() {
    GgufBuilder builder;
    builder.strings = {{"general.architecture", "llama"}};
    builder.tensors.push_back({"w", {3, 2}, 0, floats({1, 2, 3, 4, 5, 6})});
    std::vector<float> q(64);
    for (int i = 0; i < 64; ++i)
      q[size_t(i)] = float(i % 7) - 3.0f;
    std::vector<unsigned char> bytes(
        size_t(2 * quantRowBytes(QuantFormat::Q8_0, 32)));
    for (int r = 0; r < 2; ++r)
      quantizeRow(QuantFormat::Q8_0, q.data() + 32 * r, 32, nullptr,
                  bytes.data() + r * 34);
    builder.tensors.push_back({"q", {32, 2}, 8, bytes});
    return builder;
  }
};

TEST_F(GgufTest, ReadsTensorsAndMetadata) {
  auto file = SafetensorsFile::openGguf(write(valid().build()));
  ASSERT_TRUE(file) << file.getError();
  const TensorInfo *w = (*file)->find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::F32);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3})); // row-major
  float last;
  std::memcpy(&last, w->data + 20, 4);
  EXPECT_EQ(last, 6.0f);
  const TensorInfo *q = (*file)->find("q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->dtype, DType::Q8_0);
  EXPECT_EQ(q->shape, (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(q->byteSize, 68u);
  EXPECT_EQ(q->numElements(), 64);
  EXPECT_EQ((*file)->getMetadata().at("general.architecture"), "llama");
  EXPECT_EQ((*file)->getMetadata().at("general.alignment"), "32");
  // Through a checkpoint, by its extension.
  auto checkpoint = Checkpoint::open(path("model.gguf"));
  ASSERT_TRUE(checkpoint) << checkpoint.getError();
  EXPECT_NE((*checkpoint)->find("q"), nullptr);
}

TEST_F(GgufTest, RejectsBrokenFiles) {
  GgufBuilder bad = valid();
  bad.magic = "GGUG";
  EXPECT_THAT(error(bad), HasSubstr("it does not start with \"GGUF\""));

  bad = valid();
  bad.version = 1;
  EXPECT_THAT(error(bad), HasSubstr("version 1 (this runtime reads versions "
                                    "2 and 3)"));

  bad = valid();
  bad.tensors[1].type = 13;
  EXPECT_THAT(error(bad), HasSubstr("tensor 'q' has type Q5_K, which this "
                                    "runtime does not read"));
  bad.tensors[1].type = 99;
  EXPECT_THAT(error(bad), HasSubstr("tensor 'q' has unknown tensor type 99"));

  bad = valid();
  bad.tensors[1].offsetShift = 4;
  EXPECT_THAT(error(bad), HasSubstr("tensor 'q' starts at offset 36, not a "
                                    "multiple of the alignment 32"));

  bad = valid();
  bad.tensors[1].dims = {16, 4};
  EXPECT_THAT(error(bad), HasSubstr("tensor 'q' has rows of 16 weights, not "
                                    "whole Q8_0 blocks of 32"));

  bad = valid();
  bad.tensors[1].dims = {32, 200};
  EXPECT_THAT(error(bad), HasSubstr("tensor 'q' (Q8_0, shape [200, 32]) needs "
                                    "bytes 32 to 6832 of the data, past the "
                                    "end of the file"));

  bad = valid();
  bad.tensors[1].name = "w";
  EXPECT_THAT(error(bad), HasSubstr("tensor 'w' appears twice"));

  bad = valid();
  bad.alignment = 24;
  EXPECT_THAT(error(bad),
              HasSubstr("general.alignment must be a power of two"));

  // Every truncation of a valid file that cuts into what it holds is an
  // error, never a crash (the last 28 bytes are padding after the last
  // tensor's 100).
  std::vector<unsigned char> bytes = valid().build();
  for (size_t size = 0; size < bytes.size() - 28; size += 7) {
    std::vector<unsigned char> cut(bytes.begin(),
                                   bytes.begin() + std::ptrdiff_t(size));
    EXPECT_THAT(errorOf(cut), HasSubstr("not a valid GGUF file")) << size;
  }
}

} // namespace
