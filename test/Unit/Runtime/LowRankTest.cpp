//===- LowRankTest.cpp - Factors of weights by truncated SVD --------------===//

#include "loom/LowRank.h"
#include "loom/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace loom;

namespace {

/// A row-major [rows, cols] view of `data`.
MatrixView view(const std::vector<float> &data, int64_t rows, int64_t cols) {
  return {data.data(), rows, cols, cols, 1};
}

/// `b a` ([n, r] times [r, k]), row-major.
std::vector<double> product(const LowRankFactors &f, int64_t n, int64_t k,
                            int64_t r) {
  std::vector<double> out(size_t(n * k), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t l = 0; l < r; ++l)
        out[size_t(i * k + j)] +=
            double(f.b[size_t(i * r + l)]) * f.a[size_t(l * k + j)];
  return out;
}

/// A [n, k] matrix of rank 2 plus `noise` times a small random one.
std::vector<float> rankTwo(int64_t n, int64_t k, float noise) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> u(size_t(2 * n)), v(size_t(2 * k)), w(size_t(n * k));
  for (float &x : u)
    x = normal(rng);
  for (float &x : v)
    x = normal(rng);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      w[size_t(i * k + j)] = 3 * u[size_t(i)] * v[size_t(j)] +
                             u[size_t(n + i)] * v[size_t(k + j)] +
                             noise * normal(rng);
  return w;
}

TEST(LowRankTest, ReproducesAMatrixOfItsRank) {
  const int64_t n = 12, k = 7;
  std::vector<float> w = rankTwo(n, k, 0.0f);
  LowRankFactors f = factorLowRank(view(w, n, k), 2);
  ASSERT_EQ(f.a.size(), size_t(2 * k));
  ASSERT_EQ(f.b.size(), size_t(n * 2));
  std::vector<double> approx = product(f, n, k, 2);
  for (size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(approx[i], w[i], 1e-4) << i;
  // The rows of a are orthonormal, and each one's largest entry positive.
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t s = 0; s < 2; ++s) {
      double dot = 0;
      for (int64_t j = 0; j < k; ++j)
        dot += double(f.a[size_t(r * k + j)]) * f.a[size_t(s * k + j)];
      EXPECT_NEAR(dot, r == s ? 1.0 : 0.0, 1e-5);
    }
  for (int64_t r = 0; r < 2; ++r) {
    float largest = 0;
    for (int64_t j = 0; j < k; ++j)
      if (std::abs(f.a[size_t(r * k + j)]) > std::abs(largest))
        largest = f.a[size_t(r * k + j)];
    EXPECT_GT(largest, 0.0f);
  }
}

TEST(LowRankTest, TruncationKeepsTheLargestDirections) {
  // Rank 2 plus noise: the rank-2 factors are close, the rank-1 ones drop
  // the second direction; more rank never fits worse.
  const int64_t n = 20, k = 9;
  std::vector<float> w = rankTwo(n, k, 0.01f);
  auto error = [&](int64_t r) {
    std::vector<double> approx =
        product(factorLowRank(view(w, n, k), r), n, k, r);
    double sum = 0;
    for (size_t i = 0; i < w.size(); ++i)
      sum += (approx[i] - w[i]) * (approx[i] - w[i]);
    return std::sqrt(sum);
  };
  EXPECT_LT(error(2), 0.2);
  EXPECT_GT(error(1), 1.0);
  EXPECT_LE(error(9), error(2) + 1e-6);
  EXPECT_LT(error(9), 1e-4);
}

TEST(LowRankTest, StridedAndNonFiniteWeights) {
  // A transposed view factors as the matrix it shows.
  const int64_t n = 6, k = 4;
  std::vector<float> w = rankTwo(n, k, 0.0f), t(size_t(n * k));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      t[size_t(j * n + i)] = w[size_t(i * k + j)];
  MatrixView transposed{t.data(), n, k, 1, n};
  LowRankFactors direct = factorLowRank(view(w, n, k), 2);
  LowRankFactors strided = factorLowRank(transposed, 2);
  for (size_t i = 0; i < direct.a.size(); ++i)
    EXPECT_NEAR(direct.a[i], strided.a[i], 1e-5);
  w[3] = std::nanf("");
  LowRankFactors bad = factorLowRank(view(w, n, k), 2);
  EXPECT_TRUE(std::isnan(bad.a[0]) && std::isnan(bad.b[0]));
}

TEST(LowRankTest, ImportanceWeighsTheInputChannels) {
  const int64_t n = 16, k = 6, r = 2;
  std::vector<float> w = rankTwo(n, k, 0.5f);
  // A uniform importance changes nothing but rounding.
  std::vector<float> uniform(size_t(k), 4.0f);
  LowRankFactors plain = factorLowRank(view(w, n, k), r);
  LowRankFactors same = factorLowRank(view(w, n, k), r, uniform.data(), 1);
  std::vector<double> p = product(plain, n, k, r), q = product(same, n, k, r);
  for (size_t i = 0; i < p.size(); ++i)
    EXPECT_NEAR(p[i], q[i], 1e-4);
  // One channel far more important: its column is kept better than
  // without the weighting, and at full rank the weight comes back.
  std::vector<float> skewed(size_t(k), 1.0f);
  skewed[3] = 1e4f;
  LowRankFactors aware = factorLowRank(view(w, n, k), r, skewed.data(), 1);
  std::vector<double> t = product(aware, n, k, r);
  auto columnError = [&](const std::vector<double> &approx, int64_t j) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      double d = approx[size_t(i * k + j)] - w[size_t(i * k + j)];
      sum += d * d;
    }
    return sum;
  };
  EXPECT_LT(columnError(t, 3), 0.1 * columnError(p, 3));
  std::vector<double> full =
      product(factorLowRank(view(w, n, k), k, skewed.data(), 1), n, k, k);
  for (size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(full[i], w[i], 1e-4);
  // No positive entry: ignored.
  std::vector<float> zeros(size_t(k), 0.0f);
  EXPECT_EQ(factorLowRank(view(w, n, k), r, zeros.data(), 1).a, plain.a);
}

TEST(LowRankTest, KernelServesBothPartsFromOneDecomposition) {
  const int64_t n = 10, k = 8, r = 3;
  std::vector<float> w = rankTwo(n, k, 0.1f);
  KernelState state(1);
  void *weights[1] = {nullptr};
  loom_context context{weights, &state, nullptr};
  MemRef<float, 1> none = makeMemRef<float, 1>(nullptr, {0});
  std::vector<float> a(size_t(r * k)), b(size_t(n * r));
  MemRef<float, 2> wRef = makeMemRef(w.data(), {n, k});
  MemRef<float, 2> aRef = makeMemRef(a.data(), {r, k});
  MemRef<float, 2> bRef = makeMemRef(b.data(), {n, r});
  _mlir_ciface_loom_low_rank(&context, &wRef, &none, &aRef, 0, r);
  EXPECT_EQ(state.lowRank->entries.size(), 1u);
  _mlir_ciface_loom_low_rank(&context, &wRef, &none, &bRef, 1, r);
  EXPECT_TRUE(state.lowRank->entries.empty());
  LowRankFactors expected = factorLowRank(view(w, n, k), r);
  EXPECT_EQ(a, expected.a);
  EXPECT_EQ(b, expected.b);
  // By content: a copy of the weight (a weight computed at load lives in a
  // temporary buffer) finds the pending decomposition; another weight at
  // the same address does not.
  std::vector<float> copy = w;
  MemRef<float, 2> copyRef = makeMemRef(copy.data(), {n, k});
  _mlir_ciface_loom_low_rank(&context, &wRef, &none, &aRef, 0, r);
  _mlir_ciface_loom_low_rank(&context, &copyRef, &none, &bRef, 1, r);
  EXPECT_TRUE(state.lowRank->entries.empty());
  _mlir_ciface_loom_low_rank(&context, &wRef, &none, &aRef, 0, r);
  w[0] += 1.0f;
  _mlir_ciface_loom_low_rank(&context, &wRef, &none, &bRef, 1, r);
  EXPECT_EQ(state.lowRank->entries.size(), 2u);
}

TEST(LowRankTest, KernelRejectsMismatchedShapes) {
  // LAPACK's threads may be running.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const int64_t n = 4, k = 3;
  std::vector<float> w(size_t(n * k), 1.0f), out(size_t(n * k));
  KernelState state(1);
  void *weights[1] = {nullptr};
  loom_context context{weights, &state, nullptr};
  MemRef<float, 2> wRef = makeMemRef(w.data(), {n, k});
  MemRef<float, 2> outRef = makeMemRef(out.data(), {4, 3});
  MemRef<float, 1> none = makeMemRef<float, 1>(nullptr, {0});
  EXPECT_DEATH(
      _mlir_ciface_loom_low_rank(&context, &wRef, &none, &outRef, 0, 4),
      "loom_low_rank: operands of mismatched shapes");
}

} // namespace
