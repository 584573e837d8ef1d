//===- ActivationTest.cpp - Epilogue activations against their definition -===//

#include "loom/Activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace loom;

namespace {

constexpr Activation kActivations[] = {Activation::Relu, Activation::Gelu,
                                       Activation::GeluTanh, Activation::Silu};

/// Inputs over the range products produce, with the points where the forms
/// switch regimes: zero, tiny, near the tails' underflow, huge.
std::vector<float> inputs() {
  std::vector<float> values;
  for (int i = -4000; i <= 4000; ++i)
    values.push_back(float(i) / 200.0f); // [-20, 20] in steps of 0.005
  for (float x : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-8f, -1e-8f, 50.0f, -50.0f,
                  88.0f, -88.0f, 100.0f, -100.0f, 1e20f, -1e20f})
    values.push_back(x);
  return values;
}

/// Checks the selected kernel on `inputs()` against `activate`, for counts
/// that leave vector tails of every length, and that nothing past the
/// count is touched.
void checkKernel(ActivationKernel kernel) {
  ASSERT_TRUE(setActivationKernel(kernel));
  std::vector<float> x = inputs();
  for (Activation activation : kActivations) {
    std::vector<float> y = x;
    applyActivation(activation, y.data(), 1, int64_t(y.size()), 0);
    for (size_t i = 0; i < x.size(); ++i) {
      // A few ulp, times the condition number of the exponential tails
      // (|x| or x^2: rounding x * 1/sqrt(2) to float shifts erfc's result by
      // x^2 ulp).
      double want = activate(activation, double(x[i]));
      double condition = 1.0 + double(x[i]) * double(x[i]);
      ASSERT_NEAR(y[i], want, 4e-7 * condition * std::fabs(want) + 1e-37)
          << "activation " << int(activation) << " kernel " << int(kernel)
          << " at x = " << x[i];
    }
    for (int64_t count = 1; count <= 40; ++count) {
      std::vector<float> part(x.begin(), x.begin() + 48);
      for (float &v : part)
        v = -v; // negatives too
      std::vector<float> before = part;
      applyActivation(activation, part.data(), 1, count, 0);
      for (int64_t i = 0; i < 48; ++i) {
        float want =
            i < count ? float(activate(activation, before[i])) : before[i];
        double condition = 1.0 + double(before[i]) * double(before[i]);
        ASSERT_NEAR(part[i], want, 4e-7 * condition * std::fabs(want))
            << "count " << count << " at " << i;
      }
    }
  }
}

TEST(ActivationTest, PortableMatchesDefinition) {
  checkKernel(ActivationKernel::Portable);
  setActivationKernel(ActivationKernel::Avx512) ||
      setActivationKernel(ActivationKernel::Avx2);
}

TEST(ActivationTest, Avx2MatchesDefinition) {
  if (!cpuHasActivationKernel(ActivationKernel::Avx2))
    GTEST_SKIP() << "no AVX2 and FMA on this CPU";
  checkKernel(ActivationKernel::Avx2);
  setActivationKernel(ActivationKernel::Avx512);
}

TEST(ActivationTest, Avx512MatchesDefinition) {
  if (!cpuHasActivationKernel(ActivationKernel::Avx512))
    GTEST_SKIP() << "no AVX-512 on this CPU";
  checkKernel(ActivationKernel::Avx512);
}

TEST(ActivationTest, BlocksWithRowStrides) {
  // Rows 5 floats apart, 3 of them used: the gaps stay as they were.
  std::vector<float> c(20);
  for (size_t i = 0; i < c.size(); ++i)
    c[i] = float(i) - 10.0f;
  std::vector<float> before = c;
  applyActivation(Activation::Relu, c.data(), 4, 3, 5);
  for (size_t i = 0; i < c.size(); ++i)
    EXPECT_EQ(c[i], i % 5 < 3 ? std::max(before[i], 0.0f) : before[i]) << i;
}

TEST(ActivationTest, Ids) {
  EXPECT_EQ(activationFromId(LOOM_ACTIVATION_GELU_TANH), Activation::GeluTanh);
  EXPECT_EQ(activationFromId(LOOM_ACTIVATION_NONE), Activation::None);
  EXPECT_EQ(activationFromId(5), std::nullopt);
  EXPECT_EQ(activationFromId(-1), std::nullopt);
}

} // namespace
