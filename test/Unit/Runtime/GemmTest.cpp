//===- GemmTest.cpp - C += A * B^T kernels against a plain loop -----------===//

#include "loom/Half.h"
#include "loom/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace loom;

namespace {

/// The kernels' threads and packed weights, shared by the tests here.
KernelState &kernels() {
  static KernelState state(2);
  return state;
}

/// `size` floats uniform in [-1, 1), from `seed`.
std::vector<float> randomVector(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(size);
  for (float &x : values)
    x = dist(rng);
  return values;
}

/// Checks sgemmNT on an m x n x k problem with padded leading dimensions
/// (contiguous B when `packed`, which is then packed as a constant first;
/// A's rows `lda` apart, k + 3 unless given). Without `accumulate`, C starts
/// as NaN, which must not show through.
void checkShape(int64_t m, int64_t n, int64_t k, bool packed = false,
                int64_t lda = 0, bool accumulate = true,
                Activation activation = Activation::None) {
  unsigned seed = unsigned(m * 131 + n * 7 + k);
  lda = lda ? lda : k + 3;
  int64_t ldb = packed ? k : k + 5, ldc = n + 2;
  std::vector<float> a = randomVector(size_t(m * lda), seed);
  std::vector<float> b = randomVector(size_t(n * ldb), seed + 1);
  std::vector<float> c = randomVector(size_t(m * ldc), seed + 2);
  std::vector<float> expected = c;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += double(a[i * lda + p]) * double(b[j * ldb + p]);
      float &out = expected[i * ldc + j];
      out = float(activate(activation, (accumulate ? out : 0.0f) + sum));
      if (!accumulate)
        c[i * ldc + j] = std::nanf("");
    }
  if (packed)
    packConstantMatrix(kernels(), b.data(), n, k);
  sgemmNT(kernels(), m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc,
          accumulate, activation);
  if (packed)
    clearPackedMatrices(kernels());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      ASSERT_NEAR(c[i * ldc + j], expected[i * ldc + j],
                  1e-4 * std::sqrt(k) + 1e-6 * std::fabs(expected[i * ldc + j]))
          << "m=" << m << " n=" << n << " k=" << k << " at " << i << "," << j;
  // Padding between rows is never written.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n; j < ldc; ++j)
      ASSERT_EQ(c[i * ldc + j], expected[i * ldc + j]);
}

TEST(GemmTest, OverwriteIgnoresOldValues) {
  for (bool packed : {false, true})
    for (int64_t m : {1, 4, 5, 12, 13, 97})
      for (int64_t n : {1, 33, 70})
        for (int64_t k : {0, 1, 17, 300})
          checkShape(m, n, k, packed, /*lda=*/0, /*accumulate=*/false);
  checkShape(25, 70, 512, /*packed=*/false, /*lda=*/1024,
             /*accumulate=*/false);
}

TEST(GemmTest, EpiloguesApplyTheActivation) {
  // Every path (small and large M, packed or not, a partial last tile,
  // k = 0) applies it once to each element, and to nothing else.
  for (Activation activation : {Activation::Relu, Activation::Gelu,
                                Activation::GeluTanh, Activation::Silu})
    for (bool packed : {false, true})
      for (int64_t m : {1, 4, 13, 97})
        for (int64_t n : {1, 33, 70})
          for (int64_t k : {0, 17, 300})
            for (bool accumulate : {false, true})
              checkShape(m, n, k, packed, /*lda=*/0, accumulate, activation);
}

TEST(GemmTest, EpiloguesOfWeightsStoredInputMajor) {
  // sgemmNN: the column-chunked small path and the large path.
  const int64_t n = 70, k = 45;
  std::vector<float> b = randomVector(size_t(k * n), 31);
  for (int64_t m : {2, 13}) {
    std::vector<float> a = randomVector(size_t(m * k), 32);
    std::vector<float> c(size_t(m * n), std::nanf(""));
    sgemmNN(kernels(), m, n, k, a.data(), k, b.data(), n, c.data(), n,
            /*accumulate=*/false, Activation::Silu);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p)
          sum += double(a[i * k + p]) * double(b[p * n + j]);
        ASSERT_NEAR(c[i * n + j], activate(Activation::Silu, sum), 1e-4)
            << "m=" << m << " at " << i << "," << j;
      }
  }
}

TEST(GemmTest, SmallMPath) {
  for (int64_t m : {1, 2, 3, 4})
    for (int64_t n : {1, 5, 64, 67})
      for (int64_t k : {1, 15, 64, 100})
        checkShape(m, n, k);
}

TEST(GemmTest, PackedPath) {
  for (int64_t m : {5, 12, 13, 97})
    for (int64_t n : {1, 31, 32, 33, 70})
      for (int64_t k : {1, 17, 256, 300})
        checkShape(m, n, k);
}

TEST(GemmTest, RowStridesOfWholeKibibytes) {
  // Rows of A 512 floats apart (or a multiple) are copied to a padded
  // buffer first; tiles then read it in place.
  for (int64_t m : {12, 25, 100})
    for (int64_t k : {512, 700})
      checkShape(m, 70, k, /*packed=*/false, /*lda=*/1024);
  checkShape(30, 64, 512, /*packed=*/true, /*lda=*/512);
}

TEST(GemmTest, PackedConstantMatrices) {
  // n up to 7 panels of 32: single-row products read 4, 2 and 1 at once.
  for (int64_t m : {1, 3, 4, 5, 13, 40})
    for (int64_t n : {1, 31, 33, 64, 130, 200})
      for (int64_t k : {1, 7, 300})
        checkShape(m, n, k, /*packed=*/true);
}

TEST(GemmTest, ReservedPackingMemory) {
  // Two matrices packed into reserved memory, a third beyond it; each
  // product reads its own packed copy.
  std::vector<float> b1 = randomVector(40 * 70, 1),
                     b2 = randomVector(33 * 70, 2),
                     b3 = randomVector(5 * 70, 3);
  reservePackedMatrices(kernels(), {{40, 70}, {33, 70}});
  EXPECT_GT(packConstantMatrix(kernels(), b1.data(), 40, 70), 0);
  EXPECT_GT(packConstantMatrix(kernels(), b2.data(), 33, 70), 0);
  EXPECT_GT(packConstantMatrix(kernels(), b3.data(), 5, 70), 0);
  // Packing the same matrix again does nothing.
  EXPECT_EQ(packConstantMatrix(kernels(), b1.data(), 40, 70), 0);
  std::vector<float> a = randomVector(13 * 70, 4);
  for (auto [b, n] : {std::pair{&b1, 40}, {&b2, 33}, {&b3, 5}})
    for (int64_t m : {1, 13}) {
      std::vector<float> c(size_t(m * n), 0.0f);
      sgemmNT(kernels(), m, n, 70, a.data(), 70, b->data(), 70, c.data(), n);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double sum = 0;
          for (int64_t p = 0; p < 70; ++p)
            sum += double(a[i * 70 + p]) * double((*b)[j * 70 + p]);
          ASSERT_NEAR(c[i * n + j], sum, 1e-4) << "n=" << n << " m=" << m;
        }
    }
  clearPackedMatrices(kernels());
}

TEST(GemmTest, CallerPackedPanelsOverPrefixes) {
  // B packed once (as [n, k] and as [k, n]); products over its first
  // columns and first steps of depth, as prompt attention uses them.
  const int64_t n = 70, k = 90, ldb = 100;
  for (bool bKN : {false, true}) {
    std::vector<float> b = randomVector(size_t((bKN ? k : n) * ldb), 5);
    std::vector<float> panels(panelMatrixFloats(n, k));
    packPanels(b.data(), ldb, n, k, bKN, panels.data());
    PanelMatrix view{panels.data(), n, k};
    for (int64_t m : {1, 5, 13, 40})
      for (auto [columns, depth] :
           {std::pair<int64_t, int64_t>{n, k}, {33, k}, {n, 17}, {1, 64}}) {
        std::vector<float> a = randomVector(size_t(m * depth), 6);
        std::vector<float> c(size_t(m * columns), std::nanf(""));
        sgemmPanels(kernels().pool, m, columns, depth, a.data(), depth, view,
                    c.data(), columns,
                    /*accumulate=*/false);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < columns; ++j) {
            double sum = 0;
            for (int64_t p = 0; p < depth; ++p)
              sum += double(a[i * depth + p]) *
                     double(bKN ? b[p * ldb + j] : b[j * ldb + p]);
            ASSERT_NEAR(c[i * columns + j], sum, 1e-4 * std::sqrt(depth))
                << "bKN=" << bKN << " m=" << m << " n=" << columns
                << " k=" << depth;
          }
      }
  }
}

/// sgemmNN against a plain loop, B given as [k, n] with a padded stride
/// (C starts as NaN without `accumulate`).
void checkNN(int64_t m, int64_t n, int64_t k, bool accumulate = true) {
  unsigned seed = unsigned(m * 17 + n * 5 + k);
  int64_t lda = k + 1, ldb = n + 7, ldc = n;
  std::vector<float> a = randomVector(size_t(m * lda), seed);
  std::vector<float> b = randomVector(size_t(k * ldb), seed + 1);
  std::vector<float> c(size_t(m * ldc), accumulate ? 0.0f : std::nanf(""));
  std::vector<float> expected(c.size(), 0.0f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += double(a[i * lda + p]) * double(b[p * ldb + j]);
      expected[i * ldc + j] += float(sum);
    }
  sgemmNN(kernels(), m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc,
          accumulate);
  for (size_t i = 0; i < c.size(); ++i)
    ASSERT_NEAR(c[i], expected[i], 1e-4 * std::sqrt(k))
        << "m=" << m << " n=" << n << " k=" << k;
}

TEST(GemmTest, StoredInOutLayout) {
  for (int64_t m : {1, 4, 5, 29})
    for (int64_t n : {1, 33, 300})
      for (int64_t k : {1, 40, 257}) {
        checkNN(m, n, k);
        checkNN(m, n, k, /*accumulate=*/false);
      }
}

TEST(GemmTest, PackedStoredInOutColumnBlocks) {
  // A fused [k, 3n] matrix (GPT-2's c_attn) packed once; products with each
  // third of its columns, as the q/k/v projections use them.
  for (int64_t m : {1, 4, 13}) {
    int64_t k = 40, n = 64, total = 3 * n;
    std::vector<float> a = randomVector(size_t(m * k), unsigned(m));
    std::vector<float> b = randomVector(size_t(k * total), unsigned(m) + 1);
    packConstantMatrix(kernels(), b.data(), total, k, /*storedKN=*/true);
    for (int64_t block = 0; block < 3; ++block) {
      std::vector<float> c(size_t(m * n), 0.0f), expected = c;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          for (int64_t p = 0; p < k; ++p)
            expected[i * n + j] += a[i * k + p] * b[p * total + block * n + j];
      sgemmNN(kernels(), m, n, k, a.data(), k, b.data() + block * n, total,
              c.data(), n);
      for (size_t i = 0; i < c.size(); ++i)
        ASSERT_NEAR(c[i], expected[i], 1e-4) << "m=" << m << " block=" << block;
    }
    clearPackedMatrices(kernels());
  }
}

TEST(GemmTest, EmptyProblemsDoNothing) {
  std::vector<float> c = {1.0f};
  sgemmNT(kernels(), 0, 1, 1, nullptr, 1, nullptr, 1, c.data(), 1);
  sgemmNT(kernels(), 1, 1, 0, nullptr, 1, nullptr, 1, c.data(), 1);
  EXPECT_EQ(c[0], 1.0f);
}

TEST(GemmTest, CInterfaceHandlesStridedViews) {
  // A column-strided view goes through the plain-loop fallback.
  std::vector<float> a = {1, 0, 2, 0}, b = {3, 4}, c = {0};
  MemRef<float, 2> aRef{a.data(), a.data(), 0, {1, 2}, {4, 2}};
  MemRef<float, 2> bRef{b.data(), b.data(), 0, {1, 2}, {2, 1}};
  MemRef<float, 2> cRef{c.data(), c.data(), 0, {1, 1}, {1, 1}};
  loom_context context{nullptr, &kernels(), nullptr};
  _mlir_ciface_loom_sgemm_nt(&context, &aRef, &bRef, &cRef,
                             LOOM_ACTIVATION_NONE);
  EXPECT_FLOAT_EQ(c[0], 1 * 3 + 2 * 4);
  // With an activation in the epilogue.
  b = {-3, -4};
  c = {0};
  _mlir_ciface_loom_sgemm_nt(&context, &aRef, &bRef, &cRef,
                             LOOM_ACTIVATION_RELU);
  EXPECT_EQ(c[0], 0.0f);
}

} // namespace

namespace {

/// Products with half-precision panels (F16, BF16) against a plain loop on
/// the rounded weights, through the small (GEMV) and the large path.
void checkHalfPanels(WeightType type) {
  const int64_t n = 70, k = 90;
  std::vector<float> b = randomVector(size_t(n * k), 21);
  // The weights as the panels hold them.
  std::vector<float> rounded(b.size());
  for (size_t i = 0; i < b.size(); ++i)
    rounded[i] = type == WeightType::BF16
                     ? bfloat16ToFloat(floatToBfloat16(b[i]))
                     : halfToFloat(floatToHalf(b[i]));
  KernelState state(2);
  ASSERT_GT(packConstantMatrix(state, b.data(), b.data(), WeightType::F32, n, k,
                               /*storedKN=*/false, type),
            0);
  for (int64_t m : {1, 3, 13, 40}) {
    std::vector<float> a = randomVector(size_t(m * k), unsigned(m));
    std::vector<float> c(size_t(m * n), std::nanf(""));
    sgemmNT(state, m, n, k, a.data(), k, b.data(), k, c.data(), n,
            /*accumulate=*/false);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p)
          sum += double(a[i * k + p]) * double(rounded[j * k + p]);
        ASSERT_NEAR(c[i * n + j], sum, 1e-4 * std::sqrt(k))
            << "m=" << m << " at " << i << "," << j;
      }
  }
}

TEST(GemmTest, Bfloat16Panels) { checkHalfPanels(WeightType::BF16); }
TEST(GemmTest, HalfPanels) { checkHalfPanels(WeightType::F16); }

TEST(GemmTest, PacksFromHalfData) {
  // BF16 data packed into BF16 panels: exact, whatever the layout.
  const int64_t n = 33, k = 17;
  std::vector<uint16_t> data(size_t(n * k));
  std::vector<float> values = randomVector(data.size(), 5);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = floatToBfloat16(values[i]);
  KernelState state(1);
  std::vector<float> key(data.size()); // stands for the f32 layout
  packConstantMatrix(state, key.data(), data.data(), WeightType::BF16, n, k,
                     /*storedKN=*/true, WeightType::BF16);
  std::vector<float> a = randomVector(size_t(k), 6), c(size_t(n), 0.0f);
  sgemmNN(state, 1, n, k, a.data(), k, key.data(), n, c.data(), n);
  for (int64_t j = 0; j < n; ++j) {
    double sum = 0;
    for (int64_t p = 0; p < k; ++p)
      sum += double(a[p]) * double(bfloat16ToFloat(data[p * n + j]));
    ASSERT_NEAR(c[j], sum, 1e-5) << j;
  }
}

TEST(GemmTest, ViewsOfPackedMatricesReadThePackedCopy) {
  // A column block of a stored [k, n] matrix that does not start on a panel
  // (the kernels cannot read it in place) is gathered from the packed copy:
  // the checkpoint layout may be gone (here: overwritten with NaN).
  const int64_t k = 8, total = 48, n = 16, offset = 8;
  std::vector<float> b = randomVector(size_t(k * total), 9);
  std::vector<float> original = b;
  KernelState state(1);
  packConstantMatrix(state, b.data(), total, k, /*storedKN=*/true);
  std::fill(b.begin(), b.end(), std::nanf(""));
  std::vector<float> a = randomVector(size_t(3 * k), 10), c(size_t(3 * n), 0);
  MemRef<float, 2> aRef{a.data(), a.data(), 0, {3, k}, {k, 1}};
  MemRef<float, 2> bRef{b.data(), b.data(), offset, {k, n}, {total, 1}};
  MemRef<float, 2> cRef{c.data(), c.data(), 0, {3, n}, {n, 1}};
  loom_context context{nullptr, &state, nullptr};
  _mlir_ciface_loom_sgemm_nn_overwrite(&context, &aRef, &bRef, &cRef,
                                       LOOM_ACTIVATION_NONE);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += double(a[i * k + p]) * double(original[p * total + offset + j]);
      ASSERT_NEAR(c[i * n + j], sum, 1e-5) << i << "," << j;
    }
}

} // namespace
