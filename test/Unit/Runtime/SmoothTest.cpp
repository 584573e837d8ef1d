//===- SmoothTest.cpp - Activation-aware smoothing scales ----------------===//

#include "loom/Smooth.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace loom;

namespace {

TEST(SmoothTest, BalancesActivationAndWeightRanges) {
  // Channel j: root mean square a_j, largest weight m_j.
  const float w[2 * 3] = {1.0f,  -4.0f, 0.5f, //
                          -2.0f, 1.0f,  0.25f};
  const float importance[3] = {16.0f, 1.0f, 4.0f}; // a = 4, 1, 2
  const double m[3] = {2.0, 4.0, 0.5}, a[3] = {4.0, 1.0, 2.0};
  for (double alpha : {0.0, 0.5, 0.8, 1.0}) {
    float s[3], inverse[3];
    smoothScales(w, 2, 3, 3, 1, importance, 1, alpha, false, s, 1);
    smoothScales(w, 2, 3, 3, 1, importance, 1, alpha, true, inverse, 1);
    double raw[3], logMean = 0;
    for (int j = 0; j < 3; ++j) {
      raw[j] = std::pow(a[j], alpha) / std::pow(m[j], 1 - alpha);
      logMean += std::log(raw[j]) / 3;
    }
    for (int j = 0; j < 3; ++j) {
      EXPECT_NEAR(s[j], raw[j] / std::exp(logMean), 1e-5 * s[j])
          << "alpha " << alpha << " channel " << j;
      EXPECT_NEAR(s[j] * inverse[j], 1.0f, 1e-6f);
    }
    // Normalized: a geometric mean of 1.
    EXPECT_NEAR(std::log(s[0]) + std::log(s[1]) + std::log(s[2]), 0.0, 1e-5);
  }
}

TEST(SmoothTest, SilentChannelsAndZeroWeightsKeepOne) {
  // Channel 1 never carried a value, channel 2's weights are all zero.
  const float w[2 * 3] = {1.0f, 3.0f, 0.0f, 2.0f, -1.0f, 0.0f};
  const float importance[3] = {4.0f, 0.0f, 9.0f};
  float s[3];
  smoothScales(w, 2, 3, 3, 1, importance, 1, 0.5, false, s, 1);
  EXPECT_FLOAT_EQ(s[0], 1.0f); // the only defined channel is its own mean
  EXPECT_FLOAT_EQ(s[1], 1.0f);
  EXPECT_FLOAT_EQ(s[2], 1.0f);
}

TEST(SmoothTest, ReadsStridedOperands) {
  // The [2, 3] weight stored transposed ([3, 2], column stride 2), the
  // importance and the output every other element.
  const float w[3 * 2] = {1.0f, -2.0f, -4.0f, 1.0f, 0.5f, 0.25f};
  const float importance[6] = {16.0f, -1, 1.0f, -1, 4.0f, -1};
  const float plainW[2 * 3] = {1.0f, -4.0f, 0.5f, -2.0f, 1.0f, 0.25f};
  const float plainImportance[3] = {16.0f, 1.0f, 4.0f};
  float strided[6] = {}, plain[3];
  smoothScales(w, 2, 3, 1, 2, importance, 2, 0.5, false, strided, 2);
  smoothScales(plainW, 2, 3, 3, 1, plainImportance, 1, 0.5, false, plain, 1);
  for (int j = 0; j < 3; ++j)
    EXPECT_FLOAT_EQ(strided[2 * j], plain[j]);
}

} // namespace
