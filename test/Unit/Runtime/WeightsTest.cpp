//===- WeightsTest.cpp - Binding a checkpoint to a manifest ---------------===//

#include "loom/Weights.h"

#include "loom/Half.h"

#include "TestUtil.h"

#include <gmock/gmock.h>

#include <cmath>

using namespace loom;
using namespace loom::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class WeightsTest : public TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    file = path("model.safetensors");
  }
  std::string loadError(std::vector<TensorSpec> specs,
                        const WeightOptions &options = {}) {
    auto result = WeightSet::load(file, std::move(specs), options);
    EXPECT_FALSE(result);
    return result ? std::string() : result.getError();
  }
  std::string file;
};

TEST_F(WeightsTest, BindsF32ZeroCopy) {
  writeSafetensors(file, {iotaTensor("model.norm.weight", {4}),
                          iotaTensor("lm_head.weight", {2, 3})});
  auto result = WeightSet::load(
      file, {{"lm_head.weight", {2, 3}}, {"model.norm.weight", {4}}});
  ASSERT_TRUE(result) << result.getError();
  const WeightSet &weights = *result;
  ASSERT_EQ(weights.size(), 2u);
  EXPECT_EQ(weights.spec(0).name, "lm_head.weight");
  EXPECT_EQ(weights.data(0)[5], 5.0f);
  EXPECT_EQ(weights.data("model.norm.weight")[3], 3.0f);
  EXPECT_EQ(weights.data("absent"), nullptr);
  EXPECT_TRUE(weights.isZeroCopy(0));
  EXPECT_TRUE(weights.isZeroCopy(1));
  EXPECT_EQ(weights.totalBytes(), 40u);
  EXPECT_EQ(weights.copiedBytes(), 0u);
  EXPECT_EQ(weights.source(1).name, "model.norm.weight");
}

TEST_F(WeightsTest, MisalignedF32IsCopied) {
  // A header padded to an odd size leaves the data misaligned for floats.
  writeSafetensors(file, {iotaTensor("w", {3})}, /*headerAlign=*/1);
  std::vector<unsigned char> probe;
  std::string header = layoutHeader({iotaTensor("w", {3})}, probe, 1);
  ASSERT_NE((8 + header.size()) % 4, 0u) << "test needs a misaligned header";
  auto result = WeightSet::load(file, {{"w", {3}}});
  ASSERT_TRUE(result) << result.getError();
  EXPECT_FALSE(result->isZeroCopy(0));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(result->data(0)) % alignof(float), 0u);
  EXPECT_EQ(result->data(0)[2], 2.0f);
  EXPECT_EQ(result->copiedBytes(), 12u);
}

TEST_F(WeightsTest, StricterAlignmentCopies) {
  writeSafetensors(file, {iotaTensor("a", {1}), iotaTensor("b", {16})});
  WeightOptions options;
  options.alignment = 64;
  auto result = WeightSet::load(file, {{"b", {16}}}, options);
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(result->data(0)) % 64, 0u);
  EXPECT_EQ(result->data(0)[15], 15.0f);
  options.alignment = 12;
  EXPECT_THAT(loadError({{"b", {16}}}, options),
              HasSubstr("weight alignment 12 is not a power of two"));
}

TEST_F(WeightsTest, ConvertsHalfAndBfloat16) {
  std::vector<uint16_t> half = {0x3c00, 0x0001, 0x03ff, 0x7c00,
                                0xfc00, 0x7e00, 0x8000, 0x7bff};
  std::vector<uint16_t> bf16 = {0x3f80, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0xc040};
  writeSafetensors(file, {bits16Tensor("h", "F16", {2, 4}, half),
                          bits16Tensor("b", "BF16", {6}, bf16)});
  auto result = WeightSet::load(file, {{"h", {2, 4}}, {"b", {6}}});
  ASSERT_TRUE(result) << result.getError();
  const float *h = result->data(0);
  EXPECT_FALSE(result->isZeroCopy(0));
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], std::ldexp(1.0f, -24));
  EXPECT_EQ(h[2], std::ldexp(1023.0f, -24));
  EXPECT_EQ(h[3], INFINITY);
  EXPECT_EQ(h[4], -INFINITY);
  EXPECT_TRUE(std::isnan(h[5]));
  EXPECT_TRUE(std::signbit(h[6]));
  EXPECT_EQ(h[7], 65504.0f);
  const float *b = result->data(1);
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], std::ldexp(1.0f, -133));
  EXPECT_EQ(b[2], INFINITY);
  EXPECT_EQ(b[3], -INFINITY);
  EXPECT_TRUE(std::isnan(b[4]));
  EXPECT_EQ(b[5], -3.0f);
  EXPECT_EQ(result->totalBytes(), 14u * 4);
  EXPECT_EQ(result->copiedBytes(), 14u * 4);
}

TEST_F(WeightsTest, TiedTensorIsBoundOnce) {
  std::vector<uint16_t> bits(6, 0x3c00);
  writeSafetensors(
      file, {bits16Tensor("transformer.wte.weight", "BF16", {2, 3}, bits)});
  auto result = WeightSet::load(file, {{"transformer.wte.weight", {2, 3}},
                                       {"transformer.wte.weight", {2, 3}}});
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ(result->data(0), result->data(1));
  EXPECT_EQ(result->totalBytes(), 24u);
  EXPECT_EQ(result->copiedBytes(), 24u);
}

TEST_F(WeightsTest, MissingTensorSuggestsClosestName) {
  writeSafetensors(file, {iotaTensor("model.norm.weight", {4}),
                          iotaTensor("model.embed_tokens.weight", {4})});
  std::string error = loadError({{"model.norm.weigth", {4}}});
  EXPECT_THAT(error,
              HasSubstr("the weights in " + file + " do not match the model:"));
  EXPECT_THAT(error, HasSubstr("tensor 'model.norm.weigth' is missing from " +
                               file + "; did you mean 'model.norm.weight'?"));
  // Nothing close: no suggestion.
  EXPECT_THAT(loadError({{"lm_head.weight", {4}}}),
              Not(HasSubstr("did you mean")));
}

TEST_F(WeightsTest, MissingTensorInShardedCheckpointNamesTheIndex) {
  writeSafetensors(path("model-00001-of-00001.safetensors"),
                   {iotaTensor("model.layers.0.mlp.up_proj.weight", {2})});
  std::ofstream(path("model.safetensors.index.json"))
      << R"({"weight_map": {"model.layers.0.mlp.up_proj.weight":
             "model-00001-of-00001.safetensors"}})";
  auto result =
      WeightSet::load(dir, {{"model.layers.1.mlp.up_proj.weight", {2}}});
  ASSERT_FALSE(result);
  EXPECT_THAT(result.getError(),
              HasSubstr("is missing from " +
                        path("model.safetensors.index.json") +
                        " (1 shard); did you mean "
                        "'model.layers.0.mlp.up_proj.weight'?"));
}

TEST_F(WeightsTest, WrongShape) {
  writeSafetensors(file, {iotaTensor("w", {2, 3}), iotaTensor("v", {6})});
  EXPECT_THAT(loadError({{"w", {2, 4}}}),
              HasSubstr("tensor 'w' in " + file +
                        " has shape [2, 3] but the model expects [2, 4]"));
  EXPECT_THAT(loadError({{"w", {3, 2}}}),
              HasSubstr("expects [3, 2] (it is transposed: check the layer's "
                        "layout)"));
  EXPECT_THAT(loadError({{"v", {1, 6}}}),
              HasSubstr("has shape [6] but the model expects [1, 6]"));
  EXPECT_THAT(loadError({{"v", {-1}}}),
              HasSubstr("tensor 'v': the model expects an invalid shape [-1]"));
}

TEST_F(WeightsTest, UnsupportedDType) {
  RawTensor ids{"position_ids", "I64", {2}, std::vector<unsigned char>(16)};
  writeSafetensors(file, {ids});
  EXPECT_THAT(loadError({{"position_ids", {2}}}),
              HasSubstr("tensor 'position_ids' in " + file +
                        " has dtype I64; weights must be F32, F16, BF16, or in "
                        "GGUF files Q8_0, Q4_0, Q4_1, Q4_K or Q6_K"));
}

TEST_F(WeightsTest, ReportsEveryProblemUpToACap) {
  writeSafetensors(file, {iotaTensor("a", {2}), iotaTensor("b", {2})});
  std::vector<TensorSpec> specs = {{"a", {3}}, {"b", {2}}, {"c", {2}}};
  std::string error = loadError(specs);
  EXPECT_THAT(error, HasSubstr("\n  tensor 'a' in"));
  EXPECT_THAT(error, HasSubstr("\n  tensor 'c' is missing"));
  EXPECT_THAT(error, Not(HasSubstr("tensor 'b'")));

  auto checkpoint = Checkpoint::open(file);
  ASSERT_TRUE(checkpoint);
  std::vector<TensorSpec> many;
  for (int i = 0; i < 30; ++i)
    many.push_back({"missing" + std::to_string(i), {1}});
  std::vector<std::string> problems = checkWeights(**checkpoint, many, 5);
  ASSERT_EQ(problems.size(), 6u);
  EXPECT_THAT(problems[0], HasSubstr("'missing0'"));
  EXPECT_EQ(problems[5], "... and 25 more problems");
  EXPECT_TRUE(checkWeights(**checkpoint, {{"a", {2}}}).empty());

  WeightOptions options;
  options.maxProblems = 1;
  EXPECT_THAT(loadError(specs, options), HasSubstr("... and 1 more problem"));
}

TEST_F(WeightsTest, FileErrorsPassThrough) {
  writeRawFile(file, "{", {});
  EXPECT_THAT(loadError({{"a", {1}}}), HasSubstr("header is not valid JSON"));
}

} // namespace
