//===- SafetensorsTest.cpp - Reading and validating .safetensors ----------===//

#include "loom/Safetensors.h"

#include "TestUtil.h"

#include <gmock/gmock.h>

using namespace loom;
using namespace loom::test;
using ::testing::HasSubstr;

namespace {

class SafetensorsTest : public TempDirTest {
protected:
  /// Opens `file` and expects failure; returns the message.
  std::string openError(const std::string &file) {
    Expected<std::unique_ptr<SafetensorsFile>> result =
        SafetensorsFile::open(file);
    EXPECT_FALSE(result) << "expected an error opening " << file;
    return result ? std::string() : result.getError();
  }
  /// Writes a file whose header is `header` and whose data is `dataSize`
  /// zero bytes, and returns the error opening it.
  std::string errorFor(const std::string &header, size_t dataSize) {
    std::string file = path("model.safetensors");
    writeRawFile(file, header, std::vector<unsigned char>(dataSize, 0));
    return openError(file);
  }
};

TEST_F(SafetensorsTest, ReadsTensorsBack) {
  std::string file = path("model.safetensors");
  writeSafetensors(file,
                   {iotaTensor("model.norm.weight", {4}),
                    iotaTensor("lm_head.weight", {2, 3}),
                    bits16Tensor("half", "F16", {2}, {0x3c00, 0xc000})},
                   8, R"({"format":"pt"})");
  Expected<std::unique_ptr<SafetensorsFile>> result =
      SafetensorsFile::open(file);
  ASSERT_TRUE(result) << result.getError();
  const SafetensorsFile &st = **result;
  EXPECT_EQ(st.getTensors().size(), 3u);
  EXPECT_EQ(st.getMetadata().at("format"), "pt");

  const TensorInfo *norm = st.find("model.norm.weight");
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->dtype, DType::F32);
  EXPECT_EQ(norm->shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(norm->byteSize, 16u);
  EXPECT_EQ(norm->numElements(), 4);
  EXPECT_EQ(norm->file, &st);
  float values[4];
  std::memcpy(values, norm->data, 16);
  EXPECT_EQ(values[3], 3.0f);

  const TensorInfo *head = st.find("lm_head.weight");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->shape, (std::vector<int64_t>{2, 3}));
  float last;
  std::memcpy(&last, head->data + 20, 4);
  EXPECT_EQ(last, 5.0f);

  const TensorInfo *half = st.find("half");
  ASSERT_NE(half, nullptr);
  EXPECT_EQ(half->dtype, DType::F16);
  EXPECT_EQ(half->data[1], 0x3c);
  EXPECT_EQ(st.find("nope"), nullptr);
}

TEST_F(SafetensorsTest, TensorsAreInOffsetOrder) {
  std::string file = path("model.safetensors");
  writeSafetensors(file, {iotaTensor("z", {2}), iotaTensor("a", {3})});
  auto result = SafetensorsFile::open(file);
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ((*result)->getTensors()[0].name, "z");
  EXPECT_EQ((*result)->getTensors()[1].name, "a");
}

TEST_F(SafetensorsTest, AcceptsScalarsEmptyTensorsAndOtherDTypes) {
  std::string file = path("model.safetensors");
  RawTensor ids{"ids", "I64", {2}, std::vector<unsigned char>(16, 1)};
  RawTensor i32{"i32", "I32", {1}, std::vector<unsigned char>(4, 1)};
  RawTensor f64{"f64", "F64", {}, std::vector<unsigned char>(8, 0)};
  RawTensor empty{"empty", "F32", {0, 3}, {}};
  RawTensor mask{"mask", "BOOL", {3}, {1, 0, 1}};
  writeSafetensors(file, {ids, i32, f64, empty, mask});
  auto result = SafetensorsFile::open(file);
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ((*result)->find("ids")->dtype, DType::I64);
  EXPECT_EQ((*result)->find("i32")->dtype, DType::I32);
  EXPECT_EQ((*result)->find("f64")->shape.size(), 0u);
  EXPECT_EQ((*result)->find("f64")->numElements(), 1);
  EXPECT_EQ((*result)->find("empty")->byteSize, 0u);
  EXPECT_EQ((*result)->find("mask")->dtype, DType::Bool);
}

TEST_F(SafetensorsTest, DTypeNames) {
  EXPECT_EQ(dtypeName(DType::BF16), "BF16");
  EXPECT_EQ(dtypeName(DType::F8E4M3), "F8_E4M3");
  EXPECT_EQ(dtypeSize(DType::F64), 8u);
  EXPECT_EQ(dtypeSize(DType::F16), 2u);
  EXPECT_EQ(parseDType("F32"), DType::F32);
  EXPECT_EQ(parseDType("f32"), std::nullopt);
  for (DType dtype :
       {DType::Bool, DType::U8, DType::I8, DType::U16, DType::I16, DType::F16,
        DType::BF16, DType::U32, DType::I32, DType::F32, DType::U64, DType::I64,
        DType::F64, DType::F8E4M3, DType::F8E5M2})
    EXPECT_EQ(parseDType(dtypeName(dtype)), dtype);
}

TEST_F(SafetensorsTest, MissingFile) {
  EXPECT_THAT(openError(path("absent.safetensors")),
              HasSubstr("absent.safetensors: cannot open: No such file"));
}

TEST_F(SafetensorsTest, DirectoryIsNotAFile) {
  EXPECT_THAT(openError(dir), HasSubstr(": not a regular file"));
}

TEST_F(SafetensorsTest, TooSmallForTheHeaderLength) {
  std::string file = path("model.safetensors");
  std::ofstream(file) << "abc";
  EXPECT_THAT(openError(file),
              HasSubstr("model.safetensors: file is too small to be a "
                        "safetensors file (3 bytes"));
  std::ofstream(file, std::ios::trunc).close();
  EXPECT_THAT(openError(file), HasSubstr("(0 bytes"));
}

TEST_F(SafetensorsTest, HeaderLengthLargerThanFile) {
  std::string file = path("model.safetensors");
  writeRawFile(file, "{}", {}, /*lengthOverride=*/1000);
  EXPECT_THAT(openError(file),
              HasSubstr("model.safetensors: header length 1000 is larger than "
                        "the rest of the file (2 bytes)"));
  // A huge length (e.g. a file of another format) does not overflow.
  writeRawFile(file, "{}", {}, INT64_MAX);
  EXPECT_THAT(openError(file),
              HasSubstr("is larger than the rest of the file"));
}

TEST_F(SafetensorsTest, MalformedJson) {
  EXPECT_THAT(
      errorFor("{\"a\": {\"dtype\": \"F32\",", 0),
      HasSubstr("model.safetensors: header is not valid JSON (parse error "
                "at line 1, column 23: syntax error"));
  EXPECT_THAT(errorFor("not json", 0), HasSubstr("header is not valid JSON"));
  EXPECT_THAT(errorFor("[1, 2]", 0), HasSubstr("header is not a JSON object"));
}

TEST_F(SafetensorsTest, MalformedEntries) {
  EXPECT_THAT(errorFor(R"({"w": 3})", 0),
              HasSubstr("tensor 'w': entry is not a JSON object"));
  EXPECT_THAT(errorFor(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4),
              HasSubstr("tensor 'w' has no 'dtype' string"));
  EXPECT_THAT(errorFor(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", 4),
              HasSubstr("tensor 'w' has no 'shape' array"));
  EXPECT_THAT(
      errorFor(
          R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
          4),
      HasSubstr("tensor 'w' has no 'shape' array of non-negative integers"));
  EXPECT_THAT(
      errorFor(
          R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})",
          4),
      HasSubstr("tensor 'w' has no 'shape' array"));
  EXPECT_THAT(errorFor(R"({"w": {"dtype": "F32", "shape": [1]}})", 4),
              HasSubstr("tensor 'w' has no 'data_offsets' pair"));
  EXPECT_THAT(
      errorFor(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})",
               4),
      HasSubstr("tensor 'w' has no 'data_offsets' pair"));
  EXPECT_THAT(
      errorFor(
          R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})",
          8),
      HasSubstr(
          "tensor 'w' has data_offsets [8, 4) that end before they begin"));
  EXPECT_THAT(errorFor(R"({"__metadata__": [1]})", 0),
              HasSubstr("'__metadata__' must be an object of strings"));
  EXPECT_THAT(errorFor(R"({"__metadata__": {"k": 1}})", 0),
              HasSubstr("'__metadata__' entry 'k' is not a string"));
}

TEST_F(SafetensorsTest, UnknownDType) {
  EXPECT_THAT(
      errorFor(
          R"({"w": {"dtype": "Q4_K", "shape": [1], "data_offsets": [0, 4]}})",
          4),
      HasSubstr("model.safetensors: tensor 'w' has unknown dtype 'Q4_K' "
                "(known: BOOL"));
}

TEST_F(SafetensorsTest, WrongByteSize) {
  EXPECT_THAT(
      errorFor(R"({"model.norm.weight": {"dtype": "F32", "shape": [768],
                  "data_offsets": [0, 100]}})",
               100),
      HasSubstr("model.safetensors: tensor 'model.norm.weight' has "
                "data_offsets [0, 100) but its shape [768] in F32 needs 3072 "
                "bytes"));
  EXPECT_THAT(
      errorFor(
          R"({"w": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 24]}})",
          24),
      HasSubstr("its shape [2, 3] in BF16 needs 12 bytes"));
}

TEST_F(SafetensorsTest, ShapeTooLarge) {
  EXPECT_THAT(
      errorFor(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296],
                  "data_offsets": [0, 4]}})",
               4),
      HasSubstr("tensor 'w' has a shape [4294967296, 4294967296] too large"));
}

TEST_F(SafetensorsTest, TruncatedData) {
  std::string file = path("model.safetensors");
  std::vector<unsigned char> data;
  std::string header =
      layoutHeader({iotaTensor("a", {128}), iotaTensor("b", {128})}, data);
  data.resize(512); // Drop the second tensor.
  writeRawFile(file, header, data);
  EXPECT_THAT(openError(file),
              HasSubstr("model.safetensors: file is truncated: header says "
                        "1024 bytes of data but only 512 remain (tensor 'b' "
                        "has data_offsets [512, 1024))"));
}

TEST_F(SafetensorsTest, OffsetsOutOfBounds) {
  EXPECT_THAT(
      errorFor(
          R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [96, 100]}})",
          8),
      HasSubstr("header says 100 bytes of data but only 8 remain (tensor 'w'"));
}

TEST_F(SafetensorsTest, OverlappingTensors) {
  EXPECT_THAT(
      errorFor(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                  "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
               24),
      HasSubstr("model.safetensors: tensors 'a' [0, 16) and 'b' [8, 24) "
                "overlap"));
  // Identical ranges overlap too; empty tensors overlap nothing.
  EXPECT_THAT(
      errorFor(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                  "b": {"dtype": "I32", "shape": [4], "data_offsets": [0, 16]}})",
               16),
      HasSubstr("overlap"));
  std::string file = path("model.safetensors");
  writeRawFile(file,
               R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                   "e": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}})",
               std::vector<unsigned char>(16));
  auto result = SafetensorsFile::open(file);
  EXPECT_TRUE(result) << result.getError();
}

} // namespace
