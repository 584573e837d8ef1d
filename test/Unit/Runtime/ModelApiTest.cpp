//===- ModelApiTest.cpp - Model instances through the C API ---------------===//
//
// A hand-written model definition (what loomc generates, in C++) checks the
// runtime's side of loom_abi.h: the weights and kernels reach the entry
// point through the context, instances share nothing, and a definition
// built for another ABI is refused.
//
//===----------------------------------------------------------------------===//

#include "loom/Kernels.h"
#include "loom/Model.h"
#include "loom/loom_abi.h"
#include "loom/loom_model.h"

#include "TestUtil.h"

#include <gmock/gmock.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace loom;
using namespace loom::test;
using ::testing::HasSubstr;

namespace {

/// While set, `forward` signals `entered` and waits for `released`.
std::atomic<bool> blockForward{false}, entered{false}, released{false};

/// An encoder with one weight `w` [4]: out[i, j] = w[j] * token[i] + pos + i.
void forward(loom_context *context, void *tokens, int64_t pos, void *, void *,
             void *out) {
  if (blockForward) {
    entered = true;
    while (!released)
      std::this_thread::yield();
  }
  auto *tokenRef = static_cast<MemRef<int32_t, 1> *>(tokens);
  auto *outRef = static_cast<MemRef<float, 2> *>(out);
  const float *w = static_cast<const float *>(context->weights[0]);
  for (int64_t i = 0; i < tokenRef->sizes[0]; ++i)
    for (int64_t j = 0; j < 4; ++j)
      outRef->aligned[i * outRef->strides[0] + j] =
          w[j] * float(tokenRef->aligned[i]) + float(pos + i);
  // The kernels' state is there too.
  if (!context->kernels)
    outRef->aligned[0] = -1.0f;
}

#define LOOM_TEST_STRING(x) #x
#define LOOM_TEST_VERSION(x) LOOM_TEST_STRING(x)
constexpr const char *kInfo =
    "{\"abi\": " LOOM_TEST_VERSION(LOOM_ABI_VERSION) R"(, "model": "Fake",
        "decoder": false, "vocab": 10, "max_positions": 0, "output_width": 4,
        "input_width": 0,
        "kv_slots": 0, "kv_widths": [],
        "tensors": [{"name": "w", "shape": [4], "dtype": "F32"}]})";

const loom_model_def kFake = {LOOM_ABI_VERSION, kInfo,   forward,
                              nullptr,          nullptr, nullptr};

/// `forward` in a loop of 4 iterations that tokens leave by an exit gate
/// of logit 0 (probability 1/2 each) at the model's threshold 1: every
/// token runs all 4 unless the instance's settings say otherwise.
void adaptiveForward(loom_context *context, void *tokens, int64_t pos,
                     void *keys, void *values, void *out) {
  forward(context, tokens, pos, keys, values, out);
  auto *outRef = static_cast<MemRef<float, 2> *>(out);
  int64_t rows = outRef->sizes[0];
  std::vector<float> logits(size_t(rows), 0.0f);
  MemRef<float, 2> gate{logits.data(), logits.data(), 0, {rows, 1}, {1, 1}};
  _mlir_ciface_loom_exit_begin(context, rows, LOOM_EXIT_GATE, 1.0, 4, 0);
  for (int64_t i = 0; i < 4; ++i)
    if (_mlir_ciface_loom_exit_step(context, i, outRef, outRef, &gate,
                                    outRef) == 0)
      break;
  _mlir_ciface_loom_exit_end(context);
}

const loom_model_def kAdaptive = {LOOM_ABI_VERSION, kInfo,   adaptiveForward,
                                  nullptr,          nullptr, nullptr};

class ModelApiTest : public TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    writeSafetensors(path("a.safetensors"),
                     {f32Tensor("w", {4}, {1, 2, 3, 4})});
    writeSafetensors(path("b.safetensors"),
                     {f32Tensor("w", {4}, {-1, -2, -3, -4})});
  }
};

TEST_F(ModelApiTest, TokenModelsRefuseFeatures) {
  loom_model *model =
      loom_model_open(&kFake, path("a.safetensors").c_str(), 8, 1);
  ASSERT_NE(model, nullptr) << loom_last_error();
  EXPECT_EQ(loom_model_input_width(model), 0);
  float features[8] = {};
  float out[8];
  EXPECT_EQ(loom_model_prefill_features(model, features, 2, out), -1);
  EXPECT_STREQ(loom_last_error(),
               "this model takes token ids, not float features");
  EXPECT_EQ(loom_model_prefill_features(model, nullptr, 2, out), -1);
  EXPECT_EQ(loom_model_input_width(nullptr), 0);
  loom_model_close(model);
}

TEST_F(ModelApiTest, RunsThroughTheContext) {
  loom_model *model =
      loom_model_open(&kFake, path("a.safetensors").c_str(), 8, 1);
  ASSERT_NE(model, nullptr) << loom_last_error();
  EXPECT_STREQ(loom_model_name(model), "Fake");
  EXPECT_EQ(loom_model_output_width(model), 4);
  int32_t tokens[] = {2, 3};
  float out[8];
  ASSERT_EQ(loom_model_prefill(model, tokens, 2, out), 0) << loom_last_error();
  EXPECT_THAT(out, ::testing::ElementsAre(2, 4, 6, 8, 4, 7, 10, 13));
  loom_model_close(model);
}

TEST_F(ModelApiTest, SetsTheExitThreshold) {
  loom_model *model =
      loom_model_open(&kAdaptive, path("a.safetensors").c_str(), 8, 1);
  ASSERT_NE(model, nullptr) << loom_last_error();
  EXPECT_EQ(loom_model_average_depth(model), 0.0);
  int32_t tokens[] = {2, 3};
  float out[8];
  ASSERT_EQ(loom_model_prefill(model, tokens, 2, out), 0) << loom_last_error();
  EXPECT_EQ(loom_model_average_depth(model), 4.0);
  // Exit probabilities 1/2, 1/4, ...: 0.7 is reached after 2 iterations.
  ASSERT_EQ(loom_model_set_exit_threshold(model, 0.7), 0);
  ASSERT_EQ(loom_model_prefill(model, tokens, 2, out), 0) << loom_last_error();
  EXPECT_EQ(loom_model_average_depth(model), (8.0 + 4.0) / 4.0);
  ASSERT_EQ(loom_model_set_full_depth(model, 1), 0);
  ASSERT_EQ(loom_model_prefill(model, tokens, 2, out), 0) << loom_last_error();
  EXPECT_EQ(loom_model_average_depth(model), (8.0 + 4.0 + 8.0) / 6.0);
  EXPECT_EQ(loom_model_set_exit_threshold(model, 1.5), -1);
  EXPECT_THAT(loom_last_error(), HasSubstr("must be in (0, 1]"));
  loom_model_close(model);
}

TEST_F(ModelApiTest, InstancesShareNothing) {
  // Two instances of one model with different weights, run from two threads
  // at once, many times.
  loom_model *a = loom_model_open(&kFake, path("a.safetensors").c_str(), 8, 1);
  loom_model *b = loom_model_open(&kFake, path("b.safetensors").c_str(), 8, 1);
  ASSERT_NE(a, nullptr) << loom_last_error();
  ASSERT_NE(b, nullptr) << loom_last_error();
  auto check = [](loom_model *model, float sign, bool *ok) {
    *ok = true;
    for (int r = 0; r < 1000 && *ok; ++r) {
      int32_t token = 1;
      float out[4];
      *ok = loom_model_prefill(model, &token, 1, out) == 0 &&
            out[3] == sign * 4.0f;
    }
  };
  bool okA = false, okB = false;
  std::thread first(check, a, 1.0f, &okA), second(check, b, -1.0f, &okB);
  first.join();
  second.join();
  EXPECT_TRUE(okA);
  EXPECT_TRUE(okB);
  loom_model_close(a);
  loom_model_close(b);
}

TEST_F(ModelApiTest, OneCallAtATimePerInstance) {
  // A call on an instance another thread is running fails and changes
  // nothing; the running call completes.
  loom_model *model =
      loom_model_open(&kFake, path("a.safetensors").c_str(), 8, 1);
  ASSERT_NE(model, nullptr) << loom_last_error();
  blockForward = true;
  int first = -2;
  float firstOut[4];
  std::thread running([&] {
    int32_t token = 2;
    first = loom_model_prefill(model, &token, 1, firstOut);
  });
  while (!entered)
    std::this_thread::yield();
  int32_t token = 3;
  float out[4] = {0, 0, 0, 0};
  EXPECT_EQ(loom_model_prefill(model, &token, 1, out), -1);
  EXPECT_THAT(loom_last_error(),
              HasSubstr("loom_model_prefill: the instance is in use by "
                        "another thread"));
  EXPECT_THAT(out, ::testing::ElementsAre(0, 0, 0, 0));
  released = true;
  running.join();
  blockForward = false;
  EXPECT_EQ(first, 0);
  EXPECT_THAT(firstOut, ::testing::ElementsAre(2, 4, 6, 8));
  // Free again.
  EXPECT_EQ(loom_model_prefill(model, &token, 1, out), 0) << loom_last_error();
  loom_model_close(model);
}

TEST_F(ModelApiTest, RefusesAnotherAbi) {
  loom_model_def old = kFake;
  old.abi_version = LOOM_ABI_VERSION - 1;
  EXPECT_EQ(loom_model_open(&old, path("a.safetensors").c_str(), 8, 1),
            nullptr);
  std::string older = std::to_string(LOOM_ABI_VERSION - 1);
  std::string current = std::to_string(LOOM_ABI_VERSION);
  std::string newer = std::to_string(LOOM_ABI_VERSION + 1);
  EXPECT_THAT(loom_last_error(),
              HasSubstr("the model was built for runtime ABI " + older +
                        ", this runtime speaks ABI " + current));

  // A description that disagrees with its definition.
  std::string info = kInfo;
  std::string field = "\"abi\": " + current;
  info.replace(info.find(field), field.size(), "\"abi\": " + newer);
  loom_model_def mixed = kFake;
  mixed.info = info.c_str();
  EXPECT_EQ(loom_model_open(&mixed, path("a.safetensors").c_str(), 8, 1),
            nullptr);
  EXPECT_THAT(loom_last_error(),
              HasSubstr("the model's description is for runtime ABI " + newer));
}

TEST_F(ModelApiTest, RefusesBadArguments) {
  EXPECT_EQ(loom_model_open(nullptr, path("a.safetensors").c_str(), 8, 1),
            nullptr);
  EXPECT_THAT(loom_last_error(), HasSubstr("null model"));
  EXPECT_EQ(loom_model_open(&kFake, path("a.safetensors").c_str(), 8, -2),
            nullptr);
  EXPECT_THAT(loom_last_error(),
              HasSubstr("the thread count must not be negative, got -2"));
  loom_model_def decoder = kFake;
  std::string info = kInfo;
  info.replace(info.find("\"decoder\": false"), 16, "\"decoder\": true");
  decoder.info = info.c_str();
  EXPECT_EQ(loom_model_open(&decoder, path("a.safetensors").c_str(), 8, 1),
            nullptr);
  EXPECT_THAT(loom_last_error(), HasSubstr("no last-row entry point"));
  // Accessors of a null instance answer, not crash.
  EXPECT_STREQ(loom_model_name(nullptr), "");
  EXPECT_EQ(loom_model_output_width(nullptr), 0);
  loom_model_close(nullptr);
}

} // namespace
