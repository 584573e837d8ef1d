//===- EarlyExitTest.cpp - Adaptive depth: exit rules and KV rows ---------===//

#include "loom/EarlyExit.h"
#include "loom/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace loom;

namespace {

double logitOf(double probability) {
  return std::log(probability / (1 - probability));
}

TEST(EarlyExitTest, GateAddsExitProbabilitiesUntilTheThreshold) {
  // lambda 0.5 then 0.4: exit probabilities 0.5, 0.2 (sum 0.7).
  double cdf = 0, survival = 1;
  EXPECT_FALSE(gateExits(logitOf(0.5), 0, 4, 0.6, cdf, survival));
  EXPECT_NEAR(cdf, 0.5, 1e-12);
  EXPECT_NEAR(survival, 0.5, 1e-12);
  EXPECT_TRUE(gateExits(logitOf(0.4), 1, 4, 0.6, cdf, survival));
  EXPECT_NEAR(cdf, 0.7, 1e-12);
  EXPECT_NEAR(survival, 0.3, 1e-12);
}

TEST(EarlyExitTest, GateLeavesAfterTheLastIterationAndNeverEarlyAtOne) {
  double cdf = 0, survival = 1;
  // A certain gate (lambda = 1 in double) still runs every iteration with a
  // threshold of 1.
  EXPECT_FALSE(gateExits(100.0, 0, 3, 1.0, cdf, survival));
  EXPECT_FALSE(gateExits(100.0, 1, 3, 1.0, cdf, survival));
  EXPECT_TRUE(gateExits(-100.0, 2, 3, 1.0, cdf, survival));
}

TEST(EarlyExitTest, ConvergenceIsTheRelativeChange) {
  std::vector<float> previous = {3, 4}, close = {3, 4.4f}, far = {3, 5};
  // |change| / |previous|: 0.4 / 5 = 0.08 and 1 / 5 = 0.2.
  EXPECT_TRUE(hasConverged(previous.data(), close.data(), 2, 0.1));
  EXPECT_FALSE(hasConverged(previous.data(), far.data(), 2, 0.1));
  std::vector<float> zero = {0, 0};
  EXPECT_TRUE(hasConverged(zero.data(), zero.data(), 2, 0.1));
  EXPECT_FALSE(hasConverged(zero.data(), far.data(), 2, 0.1));
}

TEST(EarlyExitTest, StepCountsRunningTokensAndDepths) {
  ExitState state;
  state.begin(/*rows=*/2, LOOM_EXIT_GATE, 0.6, /*tripCount=*/3, 8);
  std::vector<float> rows(4, 1.0f);
  // Token 0 leaves at once (lambda 0.9), token 1 runs on (0.1).
  std::vector<float> logits = {float(logitOf(0.9)), float(logitOf(0.1))};
  EXPECT_EQ(state.step(0, rows.data(), 2, rows.data(), 2, 2, logits.data(), 1),
            1);
  EXPECT_EQ(state.iteration, 1);
  logits = {float(logitOf(0.1)), float(logitOf(0.1))};
  EXPECT_EQ(state.step(1, rows.data(), 2, rows.data(), 2, 2, logits.data(), 1),
            1);
  EXPECT_EQ(state.step(2, rows.data(), 2, rows.data(), 2, 2, logits.data(), 1),
            0);
  state.end();
  EXPECT_EQ(state.tokens, 2);
  EXPECT_EQ(state.iterations, 1 + 3);
  EXPECT_EQ(state.maxIterations, 6);
}

TEST(EarlyExitTest, OverridesFromTheCommandLine) {
  ExitState state;
  state.thresholdOverride = 0.3;
  state.begin(1, LOOM_EXIT_CONVERGE, 0.01, 4, 8);
  EXPECT_EQ(state.threshold, 0.3);
  state.fullDepth = true;
  std::vector<float> row = {1, 2};
  // Unchanged rows would converge; full depth runs on.
  EXPECT_EQ(state.step(0, row.data(), 2, row.data(), 2, 2, nullptr, 0), 1);
  EXPECT_EQ(state.step(3, row.data(), 2, row.data(), 2, 2, nullptr, 0), 0);
}

TEST(EarlyExitTest, GeneratedLoopsTakeTheRunsThreshold) {
  ExitState state;
  EXPECT_EQ(state.effectiveThreshold(0.75), 0.75);
  state.thresholdOverride = 0.5;
  EXPECT_EQ(state.effectiveThreshold(0.75), 0.5);
  // Full depth: 0, which generated loops read as "only the last".
  state.fullDepth = true;
  EXPECT_EQ(state.effectiveThreshold(0.75), 0.0);
}

TEST(EarlyExitTest, GeneratedLoopsRecordTheirDepths) {
  ExitState state;
  // Three tokens' depths, every other element of a strided buffer.
  std::vector<int32_t> depths = {2, -1, 4, -1, 1};
  state.record(depths.data(), 2, 3, 4);
  state.record(depths.data(), 2, 1, 4);
  EXPECT_EQ(state.tokens, 4);
  EXPECT_EQ(state.iterations, 2 + 4 + 1 + 2);
  EXPECT_EQ(state.maxIterations, 16);
}

/// A [1, maxSeq, width] view of slot `slot` of a flat cache whose slots
/// are `width` wide.
MemRef<float, 3> slotView(std::vector<float> &cache, int64_t slot,
                          int64_t maxSeq, int64_t width) {
  MemRef<float, 3> view{cache.data(),
                        cache.data(),
                        slot * maxSeq * width,
                        {1, maxSeq, width},
                        {maxSeq * width, width, 1}};
  return view;
}

TEST(EarlyExitTest, CacheRowsStandForTheIterationsATokenSkips) {
  // Two iterations of one 2-wide slot, 3 positions each.
  const int64_t maxSeq = 3, width = 2, trip = 2;
  std::vector<float> keys(size_t(trip * maxSeq * width), 0),
      values(keys.size(), 0);
  loom_kernel_state kernels(1);
  loom_context context{nullptr, &kernels, nullptr};
  ExitState &state = kernels.earlyExit;
  state.begin(/*rows=*/2, LOOM_EXIT_CONVERGE, 0.5, trip, width);

  // Iteration 0 writes both tokens (positions 1 and 2) to both iterations.
  std::vector<float> k0 = {1, 2, 3, 4}, v0 = {5, 6, 7, 8};
  MemRef<float, 2> k{k0.data(), k0.data(), 0, {2, width}, {width, 1}};
  MemRef<float, 2> v{v0.data(), v0.data(), 0, {2, width}, {width, 1}};
  MemRef<float, 3> keySlot = slotView(keys, 0, maxSeq, width);
  MemRef<float, 3> valueSlot = slotView(values, 0, maxSeq, width);
  _mlir_ciface_loom_write_kv(&context, &keySlot, &valueSlot, &k, &v, 0, 1);
  EXPECT_EQ(keys, (std::vector<float>{0, 0, 1, 2, 3, 4, 0, 0, 1, 2, 3, 4}));

  // Token 0 leaves; in iteration 1 only token 1 writes.
  state.done = {1, 0};
  state.iteration = 1;
  std::vector<float> k1 = {9, 9, 10, 11}, v1 = {9, 9, 12, 13};
  k.aligned = k1.data();
  v.aligned = v1.data();
  keySlot = slotView(keys, 1, maxSeq, width);
  valueSlot = slotView(values, 1, maxSeq, width);
  _mlir_ciface_loom_write_kv(&context, &keySlot, &valueSlot, &k, &v, 0, 1);
  EXPECT_EQ(keys, (std::vector<float>{0, 0, 1, 2, 3, 4, 0, 0, 1, 2, 10, 11}));
  EXPECT_EQ(values, (std::vector<float>{0, 0, 5, 6, 7, 8, 0, 0, 5, 6, 12, 13}));

  // Outside an adaptive loop, one slot only.
  state.end();
  std::vector<float> k2 = {20, 21, 22, 23};
  k.aligned = k2.data();
  keySlot = slotView(keys, 0, maxSeq, width);
  _mlir_ciface_loom_write_kv(&context, &keySlot, &valueSlot, &k, &v, 0, 0);
  EXPECT_EQ(keys,
            (std::vector<float>{20, 21, 22, 23, 3, 4, 0, 0, 1, 2, 10, 11}));
}

} // namespace
