//===- RuntimeCApiTest.cpp - The C ABI ------------------------------------===//

#include "loom/Runtime.h"

#include "TestUtil.h"

#include <gmock/gmock.h>

#include <atomic>

using namespace loom::test;
using ::testing::HasSubstr;

namespace {

class RuntimeCApiTest : public TempDirTest {};

TEST_F(RuntimeCApiTest, Version) {
  EXPECT_EQ(loom_runtime_abi_version(), uint32_t(LOOM_ABI_VERSION));
}

TEST_F(RuntimeCApiTest, OpensAndValidatesWeights) {
  std::string file = path("model.safetensors");
  writeSafetensors(file, {iotaTensor("a", {2, 3}), iotaTensor("b", {4})});
  int64_t shapeA[] = {2, 3};
  int64_t shapeB[] = {4};
  loom_tensor_spec specs[] = {{"a", 2, shapeA}, {"b", 1, shapeB}};
  loom_weights *weights = loom_weights_open(file.c_str(), specs, 2);
  ASSERT_NE(weights, nullptr) << loom_last_error();
  EXPECT_EQ(loom_weights_count(weights), 2u);
  EXPECT_EQ(loom_weights_tensor(weights, 0)[5], 5.0f);
  EXPECT_EQ(loom_weights_tensor(weights, 1)[3], 3.0f);
  EXPECT_EQ(loom_weights_tensor(weights, 2), nullptr);
  EXPECT_THAT(loom_last_error(), HasSubstr("index out of range"));
  EXPECT_EQ(loom_weights_total_bytes(weights), 40u);
  loom_weights_close(weights);
  loom_weights_close(nullptr);

  int64_t wrong[] = {3, 2};
  loom_tensor_spec bad[] = {{"a", 2, wrong}, {"c", 1, shapeB}};
  EXPECT_EQ(loom_weights_open(file.c_str(), bad, 2), nullptr);
  EXPECT_THAT(loom_last_error(), HasSubstr("tensor 'a' in"));
  EXPECT_THAT(loom_last_error(), HasSubstr("tensor 'c' is missing"));
  loom_tensor_spec noName[] = {{nullptr, 1, shapeB}};
  EXPECT_EQ(loom_weights_open(file.c_str(), noName, 1), nullptr);
  EXPECT_THAT(loom_last_error(), HasSubstr("manifest entry 0"));
  EXPECT_EQ(loom_weights_open(nullptr, nullptr, 0), nullptr);
}

TEST_F(RuntimeCApiTest, Sampling) {
  float logits[] = {0.5f, 2.0f, 2.0f, -1.0f};
  EXPECT_EQ(loom_argmax(logits, 4), 1);
  EXPECT_EQ(loom_argmax(nullptr, 0), -1);
  loom_sampler *greedy = loom_sampler_create(0, 0, 1, 0);
  ASSERT_NE(greedy, nullptr);
  EXPECT_EQ(loom_sampler_sample(greedy, logits, 4), 1);
  EXPECT_EQ(loom_sampler_sample(nullptr, logits, 4), -1);
  loom_sampler_destroy(greedy);
  loom_sampler_destroy(nullptr);

  loom_sampler *first = loom_sampler_create(1.0, 3, 0.9, 42);
  loom_sampler *second = loom_sampler_create(1.0, 3, 0.9, 42);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(loom_sampler_sample(first, logits, 4),
              loom_sampler_sample(second, logits, 4));
  loom_sampler_destroy(first);
  loom_sampler_destroy(second);

  EXPECT_EQ(loom_sampler_create(1.0, 0, 0.0, 0), nullptr);
  EXPECT_THAT(loom_last_error(), HasSubstr("top-p must be in (0, 1]"));
}

void addRange(void *context, int64_t begin, int64_t end) {
  auto *sum = static_cast<std::atomic<int64_t> *>(context);
  for (int64_t i = begin; i < end; ++i)
    *sum += i;
}

TEST_F(RuntimeCApiTest, ParallelFor) {
  loom_thread_pool *pool = loom_thread_pool_create(3);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(loom_thread_pool_size(pool), 3);
  std::atomic<int64_t> sum{0};
  loom_parallel_for(pool, 0, 1000, 10, addRange, &sum);
  EXPECT_EQ(sum.load(), 999 * 1000 / 2);
  sum = 0;
  loom_parallel_for(nullptr, 0, 10, 1, addRange, &sum);
  EXPECT_EQ(sum.load(), 45);
  loom_thread_pool_destroy(pool);
  loom_thread_pool_destroy(nullptr);
}

} // namespace
