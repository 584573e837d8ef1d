//===- QualityTest.cpp - Comparing logits with reference logits -----------===//

#include "loom/Quality.h"

#include <gmock/gmock.h>

#include <cmath>

using namespace loom;
using ::testing::HasSubstr;

namespace {

TEST(QualityTest, IdenticalLogitsAgree) {
  std::vector<float> logits = {1, 2, 3, 0, 5, 1, 2, 2, 2};
  LogitComparison c =
      compareLogits(logits.data(), logits.data(), 3, 3, {0, 2, 1});
  EXPECT_EQ(c.positions, 3);
  EXPECT_NEAR(c.meanKL, 0.0, 1e-12);
  EXPECT_EQ(c.sameTop1, 1.0);
  EXPECT_EQ(c.maxLogitDifference, 0.0);
  EXPECT_DOUBLE_EQ(c.perplexity, c.referencePerplexity);
  // Token 2 after row 0 (p = e^3 / (e + e^2 + e^3)), token 1 after row 1.
  double p0 = std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  double p1 = std::exp(5.0) / (1.0 + std::exp(5.0) + std::exp(1.0));
  EXPECT_NEAR(c.perplexity, std::exp(-(std::log(p0) + std::log(p1)) / 2), 1e-9);
}

TEST(QualityTest, KnownDivergence) {
  // Reference uniform over 2 tokens; these put 3/4 on the second.
  std::vector<float> reference = {0, 0};
  std::vector<float> logits = {0, float(std::log(3.0))};
  LogitComparison c = compareLogits(reference.data(), logits.data(), 1, 2, {0});
  // KL(P || Q) = 1/2 log(1/2 / 1/4) + 1/2 log(1/2 / 3/4).
  EXPECT_NEAR(c.meanKL, 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-7);
  EXPECT_EQ(c.sameTop1, 0.0); // the reference's first maximum is token 0
  EXPECT_NEAR(c.maxLogitDifference, std::log(3.0), 1e-6);
  EXPECT_EQ(c.perplexity, 0.0); // one position predicts nothing
  EXPECT_THAT(formatComparison(c, "base.npy"),
              HasSubstr("compared with base.npy over 1 positions"));
}

} // namespace
