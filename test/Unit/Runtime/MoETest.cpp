//===- MoETest.cpp - Routing tokens to experts ----------------------------===//

#include "loom/MoE.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace loom;

namespace {

TEST(MoETest, ChoosesTheTopExpertsWithSoftmaxWeights) {
  std::vector<float> logits = {0.0f, 2.0f, 1.0f, -1.0f};
  ExpertChoice choice = chooseExperts(logits.data(), 4, 2, false);
  EXPECT_EQ(choice.experts, (std::vector<int32_t>{1, 2}));
  double total = std::exp(0.0) + std::exp(2.0) + std::exp(1.0) + std::exp(-1.0);
  EXPECT_NEAR(choice.weights[0], std::exp(2.0) / total, 1e-6);
  EXPECT_NEAR(choice.weights[1], std::exp(1.0) / total, 1e-6);
}

TEST(MoETest, RenormalizesOverTheChosenExperts) {
  std::vector<float> logits = {0.0f, 2.0f, 1.0f, -1.0f};
  ExpertChoice choice = chooseExperts(logits.data(), 4, 2, true);
  double e2 = std::exp(2.0), e1 = std::exp(1.0);
  EXPECT_NEAR(choice.weights[0], e2 / (e2 + e1), 1e-6);
  EXPECT_NEAR(choice.weights[1], e1 / (e2 + e1), 1e-6);
}

TEST(MoETest, TiesGoToTheLowerExpert) {
  std::vector<float> logits = {1.0f, 3.0f, 3.0f, 3.0f};
  ExpertChoice choice = chooseExperts(logits.data(), 4, 2, true);
  EXPECT_EQ(choice.experts, (std::vector<int32_t>{1, 2}));
  EXPECT_NEAR(choice.weights[0], 0.5, 1e-6);
}

} // namespace
