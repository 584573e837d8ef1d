//===- QuantTest.cpp - Block formats and quantized products ---------------===//

#include "loom/Quant.h"
#include "loom/Half.h"

#include "QuantInternal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

using namespace loom;

namespace {

KernelState &kernels() {
  static KernelState state(2);
  return state;
}

std::vector<float> randomVector(size_t size, unsigned seed, float scale = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> values(size);
  for (float &x : values)
    x = dist(rng);
  return values;
}

constexpr QuantFormat kFormats[] = {QuantFormat::Q8_0, QuantFormat::Q4_0,
                                    QuantFormat::Q4_1, QuantFormat::Q4_K,
                                    QuantFormat::Int8};

/// A row length near `k` that `format`'s blocks divide.
int64_t rowLength(QuantFormat format, int64_t k) {
  int64_t block = quantBlockWeights(format);
  return (k + block - 1) / block * block;
}

std::vector<uint8_t> quantize(QuantFormat format, const std::vector<float> &w,
                              int64_t n, int64_t k,
                              const float *importance = nullptr) {
  std::vector<uint8_t> bytes(size_t(n * quantRowBytes(format, k)));
  for (int64_t r = 0; r < n; ++r)
    quantizeRow(format, w.data() + r * k, k, importance,
                bytes.data() + r * quantRowBytes(format, k));
  return bytes;
}

TEST(QuantTest, BlockBytesAreGguf) {
  // One block of 0, 1, ..., 31 (and its negation for Q4_0's sign rule).
  float x[32];
  for (int j = 0; j < 32; ++j)
    x[j] = float(j);
  uint8_t block[34];
  quantizeRow(QuantFormat::Q8_0, x, 32, nullptr, block);
  uint16_t d;
  std::memcpy(&d, block, 2);
  EXPECT_EQ(d, floatToHalf(31.0f / 127.0f));
  EXPECT_EQ(int8_t(block[2 + 31]), 127);
  EXPECT_EQ(int8_t(block[2 + 1]), 4); // round(127 / 31) = 4

  // Q4_0: the largest magnitude, 31, maps to -8: d = -31/8; 0 -> 8.
  quantizeRow(QuantFormat::Q4_0, x, 32, nullptr, block);
  std::memcpy(&d, block, 2);
  EXPECT_EQ(d, floatToHalf(31.0f / -8.0f));
  EXPECT_EQ(block[2] & 0xF, 8);     // x[0] = 0
  EXPECT_EQ(block[2] >> 4, 4);      // x[16] = 16: 16 / -3.875 + 8.5 = 4.37
  EXPECT_EQ(block[2 + 15] >> 4, 0); // x[31] -> -8 + 8

  // Q4_1: d = 31/15, m = 0; 31 -> 15.
  quantizeRow(QuantFormat::Q4_1, x, 32, nullptr, block);
  uint16_t m;
  std::memcpy(&d, block, 2);
  std::memcpy(&m, block + 2, 2);
  EXPECT_EQ(d, floatToHalf(31.0f / 15.0f));
  EXPECT_EQ(m, floatToHalf(0.0f));
  EXPECT_EQ(block[4 + 15] >> 4, 15);
}

TEST(QuantTest, Int8RowsAreAScaleAndIntegers) {
  // A row of 64: its largest magnitude, -6.35, maps to -127.
  float x[64];
  for (int p = 0; p < 64; ++p)
    x[p] = 0.1f * float(p % 32) - (p == 40 ? 9.45f : 0.0f);
  uint8_t row[4 + 64];
  quantizeRow(QuantFormat::Int8, x, 64, nullptr, row);
  float d;
  std::memcpy(&d, row, 4);
  EXPECT_FLOAT_EQ(d, (9.45f - 0.8f) / 127.0f);
  EXPECT_EQ(int8_t(row[4 + 40]), -127);
  EXPECT_EQ(int8_t(row[4 + 0]), 0);
  EXPECT_EQ(int8_t(row[4 + 31]), int8_t(std::round(3.1f / d)));
  std::vector<float> back(64);
  dequantizeRow(QuantFormat::Int8, row, 64, back.data());
  for (int p = 0; p < 64; ++p)
    EXPECT_NEAR(back[p], x[p], 0.5f * d * 1.001f) << p;
  EXPECT_EQ(quantRowBytes(QuantFormat::Int8, 64), 68);
}

TEST(QuantTest, Q6KDecodesAsGgufLaysItOut) {
  // d = 1, scale s = s + 1; every ql byte 0x21 (low nibble 1, high 2),
  // every qh byte 0b11100100 (quarter t of a half has high bits t).
  uint8_t block[210] = {};
  std::memset(block, 0x21, 128);
  std::memset(block + 128, 0xE4, 64);
  for (int s = 0; s < 16; ++s)
    block[192 + s] = uint8_t(s + 1);
  uint16_t one = floatToHalf(1.0f);
  std::memcpy(block + 208, &one, 2);
  float w[256];
  dequantizeRow(QuantFormat::Q6_K, block, 256, w);
  // Quarter t: q = (t < 2 ? 1 : 2) | t << 4, minus 32.
  const int q[4] = {1 - 32, 17 - 32, 34 - 32, 50 - 32};
  for (int n = 0; n < 2; ++n)
    for (int p = 0; p < 128; ++p)
      ASSERT_EQ(w[128 * n + p], float((128 * n + p) / 16 + 1) * q[p / 32])
          << "half " << n << " weight " << p;
}

TEST(QuantTest, Q4KBytesFollowTheLayout) {
  // Sub-block j holds (j + 1) * (l % 16) - 2 j: scale j + 1, minimum -2 j.
  // The largest scale, 8, and offset, 14, are 63 steps of d and dmin.
  float x[256];
  for (int j = 0; j < 8; ++j)
    for (int l = 0; l < 32; ++l)
      x[32 * j + l] = float((j + 1) * (l % 16) - 2 * j);
  uint8_t block[144];
  quantizeRow(QuantFormat::Q4_K, x, 256, nullptr, block);
  uint16_t d, dmin;
  std::memcpy(&d, block, 2);
  std::memcpy(&dmin, block + 2, 2);
  EXPECT_EQ(d, floatToHalf(8.0f / 63.0f));
  EXPECT_EQ(dmin, floatToHalf(14.0f / 63.0f));
  // The 6-bit fields as loom_abi.h packs them.
  const uint8_t *s = block + 4;
  auto scale = [&](int j) {
    return j < 4 ? s[j] & 63 : (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
  };
  auto minimum = [&](int j) {
    return j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  };
  float dd = halfToFloat(d), dm = halfToFloat(dmin);
  for (int j = 0; j < 8; ++j) {
    EXPECT_EQ(scale(j), int(std::nearbyint(float(j + 1) / dd))) << j;
    EXPECT_EQ(minimum(j), int(std::nearbyint(float(2 * j) / dm))) << j;
  }
  EXPECT_EQ(scale(7), 63);
  EXPECT_EQ(minimum(7), 63);
  // Byte 32 p + l: weight 64 p + l (low nibble), 64 p + 32 + l (high).
  const uint8_t *q = block + 16;
  EXPECT_EQ(q[32 * 3 + 5] >> 4, 5);    // sub-block 7, l = 5
  EXPECT_EQ(q[32 * 3 + 21] >> 4, 5);   // l = 21: 21 % 16
  EXPECT_EQ(q[32 * 0 + 15] & 0xF, 15); // sub-block 0, l = 15
  std::vector<float> back(256);
  dequantizeRow(QuantFormat::Q4_K, block, 256, back.data());
  // Within half a step, plus what rounding the scale (up to d / 2 a level,
  // 15 levels) and the minimum (dmin / 2) to 6 bits costs.
  for (int i = 0; i < 256; ++i) {
    int j = i / 32;
    float step = dd * float(scale(j));
    EXPECT_LE(std::fabs(back[i] - x[i]),
              0.5f * step + 7.5f * dd + 0.5f * dm + 1e-5f)
        << i;
    int level = (q[32 * (j / 2) + i % 32] >> (4 * (j % 2))) & 15;
    EXPECT_EQ(back[i], step * float(level) - dm * float(minimum(j))) << i;
  }
  // Sub-block 7's scale and minimum are 63 steps: its weights are off by
  // the half-precision rounding of d and dmin only.
  EXPECT_NEAR(back[7 * 32 + 15], x[7 * 32 + 15], 0.05f);
}

TEST(QuantTest, RoundTripErrorIsWithinHalfAStep) {
  const int64_t k = 256;
  std::vector<float> w = randomVector(k, 1);
  for (QuantFormat format : kFormats) {
    std::vector<uint8_t> bytes = quantize(format, w, 1, k);
    std::vector<float> back(k);
    dequantizeRow(format, bytes.data(), k, back.data());
    for (int64_t b = 0; b < k / 32; ++b) {
      float lo = w[b * 32], hi = w[b * 32];
      for (int j = 0; j < 32; ++j) {
        lo = std::min(lo, w[b * 32 + j]);
        hi = std::max(hi, w[b * 32 + j]);
      }
      float amax = std::max(std::fabs(lo), std::fabs(hi));
      // Half a quantization step, and a little for the f16 scale; Q4_0's
      // grid is -8..7 steps with the largest magnitude at -8, so values of
      // the other sign near it clip by up to a whole step.
      // Q4_K's ranges start at 0 at most, and its scale and minimum are
      // rounded to 6 bits: a few percent of a step more.
      if (format == QuantFormat::Q4_K)
        lo = std::min(lo, 0.0f);
      // INT8's step is the whole row's.
      float rowMax = 0.0f;
      for (float value : w)
        rowMax = std::max(rowMax, std::fabs(value));
      float step = format == QuantFormat::Int8   ? rowMax / 127
                   : format == QuantFormat::Q8_0 ? amax / 127
                   : format == QuantFormat::Q4_0 ? amax / 8
                                                 : (hi - lo) / 15;
      float bound = format == QuantFormat::Q4_0   ? step
                    : format == QuantFormat::Q4_K ? 0.75f * step
                                                  : 0.5f * step;
      for (int j = 0; j < 32; ++j)
        EXPECT_LE(std::fabs(back[b * 32 + j] - w[b * 32 + j]),
                  bound * 1.01f + 1e-3f * amax)
            << quantFormatName(format) << " element " << b * 32 + j;
    }
  }
}

TEST(QuantTest, ScalesBeyondHalfAreFound) {
  // Two rows of 512: a value beyond what the format's f16 scales reach in
  // the second row's block at weight 300 makes that scale infinite; the
  // other blocks stay finite. INT8's f32 scale reaches any finite value.
  const int64_t n = 2, k = 512;
  for (QuantFormat format : kFormats) {
    std::vector<float> w = randomVector(n * k, 3);
    EXPECT_FALSE(
        firstNonFiniteScale(format, quantize(format, w, n, k).data(), n, k))
        << quantFormatName(format);
    if (format == QuantFormat::Int8)
      continue;
    w[k + 300] = 1e12f;
    std::optional<QuantBlockIndex> block =
        firstNonFiniteScale(format, quantize(format, w, n, k).data(), n, k);
    ASSERT_TRUE(block) << quantFormatName(format);
    EXPECT_TRUE(block->infinite) << quantFormatName(format);
    EXPECT_EQ(block->row, 1);
    EXPECT_EQ(block->weight,
              300 / quantBlockWeights(format) * quantBlockWeights(format))
        << quantFormatName(format);
  }
}

TEST(QuantTest, NonFiniteWeightsMarkTheirBlocks) {
  // Rounding turns a NaN or an infinity into an ordinary integer (and Q8_0's
  // scale ignores a NaN): marking gives its block (INT8: its row) a NaN
  // scale.
  const int64_t n = 3, k = 512;
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    for (QuantFormat format : kFormats) {
      // Quantizing takes finite values (the kernel quantizes a zero in
      // place of the bad one, then marks its block).
      std::vector<float> w = randomVector(n * k, 4);
      w[2 * k + 40] = 0.0f;
      std::vector<uint8_t> bytes = quantize(format, w, n, k);
      w[2 * k + 40] = bad;
      int64_t rowBytes = quantRowBytes(format, k);
      for (int64_t r = 0; r < n; ++r)
        markNonFiniteBlocks(format, w.data() + r * k, k,
                            bytes.data() + r * rowBytes);
      std::optional<QuantBlockIndex> block =
          firstNonFiniteScale(format, bytes.data(), n, k);
      ASSERT_TRUE(block) << quantFormatName(format) << " " << bad;
      EXPECT_FALSE(block->infinite) << quantFormatName(format) << " " << bad;
      EXPECT_EQ(block->row, 2);
      int64_t first =
          format == QuantFormat::Int8 || format == QuantFormat::Q4_K ? 0 : 32;
      EXPECT_EQ(block->weight, first) << quantFormatName(format);
      std::vector<float> back(k);
      dequantizeRow(format, bytes.data() + 2 * rowBytes, k, back.data());
      EXPECT_TRUE(std::isnan(back[40]) || std::isinf(back[40]))
          << quantFormatName(format);
    }
  }
}

TEST(QuantTest, ImportanceLowersWeightedError) {
  const int64_t k = 4096;
  std::vector<float> w = randomVector(k, 2);
  // A few channels matter much more than the rest.
  std::vector<float> importance(k, 0.1f);
  for (int64_t p = 0; p < k; p += 7)
    importance[p] = 10.0f;
  for (QuantFormat format : kFormats) {
    auto weightedError = [&](const float *imp) {
      std::vector<uint8_t> bytes = quantize(format, w, 1, k, imp);
      std::vector<float> back(k);
      dequantizeRow(format, bytes.data(), k, back.data());
      double error = 0;
      for (int64_t p = 0; p < k; ++p)
        error += importance[p] * (back[p] - w[p]) * (back[p] - w[p]);
      return error;
    };
    double plain = weightedError(nullptr);
    double weighted = weightedError(importance.data());
    // One scale a row leaves importance little to choose: never worse.
    if (format == QuantFormat::Int8)
      EXPECT_LE(weighted, plain);
    else
      EXPECT_LT(weighted, 0.9 * plain) << quantFormatName(format);
  }
}

/// Rounds a block of 32 activations to 8 bits, as the products do.
void roundBlock(float *x) {
  float amax = 0;
  for (int j = 0; j < 32; ++j)
    amax = std::max(amax, std::fabs(x[j]));
  float d = amax / 127, id = d ? 1 / d : 0;
  for (int j = 0; j < 32; ++j)
    x[j] = d * std::nearbyint(x[j] * id);
}

/// A block of activations as a product with `inputs` sees it: rounded to
/// 8 bits, plus (Int8x2) its rounding error rounded to 8 bits, or each value
/// to bfloat16: 8 significant bits, to nearest even.
void roundInputs(float *x, QuantInputs inputs) {
  if (inputs == QuantInputs::BF16) {
    for (int j = 0; j < 32; ++j) {
      int exponent;
      double fraction = std::frexp(double(x[j]), &exponent);
      x[j] = float(std::ldexp(std::nearbyint(fraction * 256), exponent - 8));
    }
    return;
  }
  float rounded[32], error[32];
  std::copy(x, x + 32, rounded);
  roundBlock(rounded);
  for (int j = 0; j < 32; ++j)
    error[j] = x[j] - rounded[j];
  roundBlock(error);
  for (int j = 0; j < 32; ++j)
    x[j] = inputs == QuantInputs::Int8x2 ? rounded[j] + error[j] : rounded[j];
}

/// Checks qgemmNT with `kernel` against a double-precision product of the
/// decoded weights with the activations as the kernels see them (quantized
/// per block for small M and interleaved weights, exact for larger M on
/// row-major weights: above 4 rows, or 2 with Int8x2; always bfloat16 with
/// BF16).
void checkProduct(QuantKernel kernel, QuantFormat format, int64_t m, int64_t n,
                  int64_t k, bool bias, bool accumulate,
                  bool interleave = false,
                  Activation activation = Activation::None,
                  QuantInputs inputs = QuantInputs::Int8) {
  ASSERT_TRUE(setQuantKernel(kernel));
  unsigned seed = unsigned(m * 31 + n * 7 + k + int(format));
  std::vector<float> w = randomVector(size_t(n * k), seed, 0.05f);
  std::vector<float> a = randomVector(size_t(m * (k + 3)), seed + 1);
  std::vector<float> b = randomVector(size_t(n), seed + 2);
  std::vector<uint8_t> bytes = quantize(format, w, n, k);
  std::vector<float> decoded(size_t(n * k));
  for (int64_t r = 0; r < n; ++r)
    dequantizeRow(format, bytes.data() + r * quantRowBytes(format, k), k,
                  decoded.data() + r * k);
  // What the small-M and interleaved paths multiply: activations rounded
  // per block.
  std::vector<float> seen(a);
  if ((inputs == QuantInputs::Int8x2 ? 2 * m : m) <= 4 || interleave ||
      inputs == QuantInputs::BF16)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p0 = 0; p0 < k; p0 += 32)
        roundInputs(seen.data() + i * (k + 3) + p0, inputs);
  int64_t ldc = n + 1;
  std::vector<float> c = randomVector(size_t(m * ldc), seed + 3);
  std::vector<float> start = c;
  // An interleaved matrix is known to its state only.
  KernelState interleavedState(2);
  KernelState &state = interleave ? interleavedState : kernels();
  if (interleave)
    ASSERT_TRUE(interleaveQuantizedMatrix(state, bytes.data(), format, n, k));
  qgemmNT(state, format, m, n, k, a.data(), k + 3, bytes.data(),
          bias ? b.data() : nullptr, c.data(), ldc, accumulate, activation,
          inputs);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double want = accumulate ? start[i * ldc + j] : 0.0;
      double magnitude = std::fabs(want);
      if (bias)
        want += b[j];
      for (int64_t p = 0; p < k; ++p) {
        double term = double(seen[i * (k + 3) + p]) * decoded[j * k + p];
        want += term;
        magnitude += std::fabs(term);
      }
      // GELU and SiLU change by at most 1.2 times their input's change; the
      // vector forms are within a few ulp.
      double slope = activation == Activation::None ? 1.0 : 1.2;
      want = activate(activation, want);
      ASSERT_NEAR(c[i * ldc + j], want,
                  slope * (1e-5 * magnitude + 1e-6) + 1e-6 * std::fabs(want))
          << quantFormatName(format) << " kernel " << int(kernel) << " m=" << m
          << " n=" << n << " k=" << k << " inputs " << int(inputs) << " at ("
          << i << ", " << j << ")";
    }
  setQuantKernel(bestQuantKernel());
}

TEST(QuantTest, ProductsMatchDecodedWeights) {
  for (QuantKernel kernel :
       {QuantKernel::Portable, QuantKernel::Avx2, QuantKernel::Avx512Vnni}) {
    if (!setQuantKernel(kernel)) {
      GTEST_LOG_(INFO) << "kernel " << int(kernel) << " not on this CPU";
      continue;
    }
    for (QuantFormat format : kFormats)
      for (int64_t m : {1, 2, 3, 4, 9}) {
        checkProduct(kernel, format, m, 37, rowLength(format, 96),
                     /*bias=*/false, /*accumulate=*/true);
        checkProduct(kernel, format, m, 70, rowLength(format, 257),
                     /*bias=*/true, /*accumulate=*/false);
      }
  }
  setQuantKernel(bestQuantKernel());
}

/// True if this CPU has a kernel for interleaved quantized weights.
bool cpuInterleaves() {
  KernelState probe(1);
  std::vector<uint8_t> bytes(size_t(64 * quantRowBytes(QuantFormat::Q8_0, 32)));
  return interleaveQuantizedMatrix(probe, bytes.data(), QuantFormat::Q8_0, 64,
                                   32);
}

TEST(QuantTest, InterleavedProductsMatchDecodedWeights) {
  if (!cpuInterleaves())
    GTEST_SKIP() << "no interleaved kernel on this CPU";
  for (QuantFormat format : kFormats)
    for (int64_t m : {1, 2, 3, 4, 9}) {
      // 37 rows: two groups of 16 and 5 rows left as they are.
      checkProduct(bestQuantKernel(), format, m, 37, rowLength(format, 96),
                   /*bias=*/false, /*accumulate=*/true, /*interleave=*/true);
      checkProduct(bestQuantKernel(), format, m, 72, rowLength(format, 257),
                   /*bias=*/true, /*accumulate=*/false, /*interleave=*/true);
    }
}

TEST(QuantTest, LargeProductsSpanColumnBlocks) {
  // More columns than one pass of decoded panels holds, k not a multiple of
  // the GEMM's depth.
  checkProduct(bestQuantKernel(), QuantFormat::Q4_1, 13, 1100, 1056,
               /*bias=*/true, /*accumulate=*/true);
  checkProduct(bestQuantKernel(), QuantFormat::Q4_K, 13, 300, 1280,
               /*bias=*/false, /*accumulate=*/true);
  checkProduct(bestQuantKernel(), QuantFormat::Int8, 13, 300, 1088,
               /*bias=*/true, /*accumulate=*/false);
}

TEST(QuantTest, ProductsApplyTheirActivation) {
  // Every path: small M and large M, row-major and interleaved weights.
  for (Activation activation : {Activation::Gelu, Activation::Silu})
    for (bool interleave : {false, true})
      for (int64_t m : {1, 4, 9}) {
        if (interleave && !cpuInterleaves())
          continue;
        checkProduct(bestQuantKernel(), QuantFormat::Q8_0, m, 37, 96,
                     /*bias=*/true, /*accumulate=*/true, interleave,
                     activation);
        checkProduct(bestQuantKernel(), QuantFormat::Q4_1, m, 70, 256,
                     /*bias=*/false, /*accumulate=*/false, interleave,
                     activation);
      }
}

TEST(QuantTest, SixteenBitInputsMatchDecodedWeights) {
  // Every path: each kernel on row-major weights (two rows of blocks per
  // activation row up to m = 2, f32 panels beyond), and interleaved weights.
  for (QuantKernel kernel :
       {QuantKernel::Portable, QuantKernel::Avx2, QuantKernel::Avx512Vnni}) {
    if (!setQuantKernel(kernel))
      continue;
    for (QuantFormat format : kFormats)
      for (int64_t m : {1, 2, 3, 9, 70}) // 70: two chunks of rows
        for (bool interleave : {false, true}) {
          if (interleave && (kernel != bestQuantKernel() || !cpuInterleaves()))
            continue;
          checkProduct(kernel, format, m, 37, rowLength(format, 96),
                       /*bias=*/true, /*accumulate=*/true, interleave,
                       Activation::Silu, QuantInputs::Int8x2);
          checkProduct(kernel, format, m, 72, rowLength(format, 257),
                       /*bias=*/false, /*accumulate=*/false, interleave,
                       Activation::None, QuantInputs::Int8x2);
        }
  }
  setQuantKernel(bestQuantKernel());
}

/// The largest and the summed squared errors of one activation row `a`
/// times the [n, k] matrix `w` in `format`, each input rounded as `inputs`
/// says, against the exact activations times the decoded weights; on
/// row-major and (`interleave`) interleaved weights.
std::pair<double, double> inputError(QuantFormat format,
                                     const std::vector<float> &w,
                                     const std::vector<float> &a, int64_t n,
                                     int64_t k, bool interleave,
                                     QuantInputs inputs) {
  std::vector<uint8_t> bytes = quantize(format, w, n, k);
  std::vector<float> decoded(size_t(n * k));
  for (int64_t r = 0; r < n; ++r)
    dequantizeRow(format, bytes.data() + r * quantRowBytes(format, k), k,
                  decoded.data() + r * k);
  KernelState interleavedState(2);
  KernelState &state = interleave ? interleavedState : kernels();
  if (interleave &&
      !interleaveQuantizedMatrix(state, bytes.data(), format, n, k))
    return {-1.0, -1.0};
  std::vector<float> c(static_cast<size_t>(n));
  qgemmNT(state, format, 1, n, k, a.data(), k, bytes.data(), nullptr, c.data(),
          n, /*accumulate=*/false, Activation::None, inputs);
  double largest = 0, squares = 0;
  for (int64_t j = 0; j < n; ++j) {
    double want = 0;
    for (int64_t p = 0; p < k; ++p)
      want += double(a[size_t(p)]) * decoded[size_t(j * k + p)];
    largest = std::max(largest, std::fabs(c[j] - want));
    squares += (c[j] - want) * (c[j] - want);
  }
  return {largest, squares};
}

TEST(QuantTest, SixteenBitInputsAreNearlyExact) {
  // Against the product of the decoded weights with the exact activations:
  // the error of int8x2 inputs is a small fraction of int8's (the second
  // rounding has 1/254 of the first's step, or less).
  int64_t n = 64, k = 256;
  std::vector<float> w = randomVector(size_t(n * k), 11, 0.05f);
  std::vector<float> a = randomVector(size_t(k), 12);
  for (int64_t p = 0; p < k; p += 17)
    a[size_t(p)] *= 20; // outlier channels
  for (bool interleave : {false, true}) {
    if (interleave && !cpuInterleaves())
      continue;
    double once =
        inputError(QuantFormat::Q8_0, w, a, n, k, interleave, QuantInputs::Int8)
            .first;
    double twice = inputError(QuantFormat::Q8_0, w, a, n, k, interleave,
                              QuantInputs::Int8x2)
                       .first;
    EXPECT_GT(once, 0.0);
    EXPECT_LT(twice, once / 50) << "interleaved " << interleave;
  }
}

TEST(QuantTest, BF16InputsMatchDecodedWeights) {
  // Every path: the AVX-512 BF16 kernels (the best kernel on interleaved
  // weights, where the CPU has it: decode steps of 1 to 4 rows, prompt
  // tiles of 1 to 6 rows), and the weights decoded to f32 (other kernels,
  // row-major weights), for decode steps and prompts.
  for (QuantKernel kernel :
       {QuantKernel::Portable, QuantKernel::Avx2, QuantKernel::Avx512Vnni}) {
    if (!setQuantKernel(kernel))
      continue;
    for (QuantFormat format : kFormats)
      for (int64_t m : {1, 2, 3, 4, 5, 8, 9, 10, 13})
        for (bool interleave : {false, true}) {
          if (interleave && !cpuInterleaves())
            continue;
          checkProduct(kernel, format, m, 37, rowLength(format, 96),
                       /*bias=*/true, /*accumulate=*/true, interleave,
                       Activation::Silu, QuantInputs::BF16);
          checkProduct(kernel, format, m, 72, rowLength(format, 257),
                       /*bias=*/false, /*accumulate=*/false, interleave,
                       Activation::None, QuantInputs::BF16);
        }
  }
  setQuantKernel(bestQuantKernel());
}

TEST(QuantTest, BF16InputsKeepSmallValuesBesideOutliers) {
  // A block with an outlier loses its small values in 8-bit integers, not
  // in bfloat16, whose error is relative to each value.
  int64_t n = 64, k = 256;
  std::vector<float> w = randomVector(size_t(n * k), 21, 0.05f);
  std::vector<float> a = randomVector(size_t(k), 22);
  for (int64_t p = 0; p < k; p += 17)
    a[size_t(p)] *= 100;
  for (bool interleave : {false, true}) {
    if (interleave && !cpuInterleaves())
      continue;
    double int8 =
        inputError(QuantFormat::Q4_1, w, a, n, k, interleave, QuantInputs::Int8)
            .second;
    double bf16 =
        inputError(QuantFormat::Q4_1, w, a, n, k, interleave, QuantInputs::BF16)
            .second;
    EXPECT_LT(bf16, int8 / 20) << "interleaved " << interleave;
  }
}

/// The squared error of the outputs X W^T of the [m, k] inputs `x` with
/// `bytes` ([n, k] in `format`) in place of `w`.
double outputError(QuantFormat format, const std::vector<float> &w,
                   const std::vector<uint8_t> &bytes,
                   const std::vector<float> &x, int64_t m, int64_t n,
                   int64_t k) {
  std::vector<float> decoded(static_cast<size_t>(k));
  double error = 0;
  for (int64_t r = 0; r < n; ++r) {
    dequantizeRow(format, bytes.data() + r * quantRowBytes(format, k), k,
                  decoded.data());
    for (int64_t i = 0; i < m; ++i) {
      double diff = 0;
      for (int64_t p = 0; p < k; ++p)
        diff += double(x[size_t(i * k + p)]) *
                (double(w[size_t(r * k + p)]) - decoded[size_t(p)]);
      error += diff * diff;
    }
  }
  return error;
}

/// [m, k] inputs whose channels correlate (each a mix of a few shared
/// factors plus noise), as a layer's activations do.
std::vector<float> correlatedInputs(int64_t m, int64_t k) {
  int64_t factors = 8;
  std::vector<float> z = randomVector(size_t(m * factors), 21);
  std::vector<float> mix = randomVector(size_t(factors * k), 22);
  std::vector<float> x = randomVector(size_t(m * k), 23, 0.1f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t f = 0; f < factors; ++f)
        x[size_t(i * k + p)] +=
            z[size_t(i * factors + f)] * mix[size_t(f * k + p)];
  return x;
}

/// The [k, k] sum of x x^T over the rows of `x` ([m, k]).
std::vector<float> covarianceOf(const std::vector<float> &x, int64_t m,
                                int64_t k) {
  std::vector<float> h(size_t(k * k), 0.0f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t t = 0; t < k; ++t)
        h[size_t(p * k + t)] += x[size_t(i * k + p)] * x[size_t(i * k + t)];
  return h;
}

TEST(QuantTest, ErrorFeedbackLowersOutputError) {
  int64_t m = 384, n = 24, k = 256;
  std::vector<float> x = correlatedInputs(m, k);
  std::vector<float> h = covarianceOf(x, m, k), importance(size_t(k), 0.0f);
  for (int64_t p = 0; p < k; ++p)
    importance[size_t(p)] = h[size_t(p * k + p)] / float(m);
  std::vector<float> w = randomVector(size_t(n * k), 24, 0.05f);
  for (QuantFormat format :
       {QuantFormat::Q8_0, QuantFormat::Q4_0, QuantFormat::Q4_1,
        QuantFormat::Q4_K, QuantFormat::Int8}) {
    ASSERT_TRUE(quantHasFeedback(format));
    double nearest =
        outputError(format, w, quantize(format, w, n, k), x, m, n, k);
    const float *none = nullptr, *weighted = importance.data();
    for (const float *weights : {none, weighted}) {
      std::vector<uint8_t> bytes(size_t(n * quantRowBytes(format, k)));
      Status done = quantizeWithFeedback(kernels().pool, format, w.data(), k, n,
                                         k, h.data(), k, weights, bytes.data(),
                                         quantRowBytes(format, k));
      ASSERT_TRUE(done) << done.getError();
      double feedback = outputError(format, w, bytes, x, m, n, k);
      EXPECT_LT(feedback, 0.6 * nearest)
          << quantFormatName(format) << (weights ? " with importance" : "");
    }
  }
  // Q6_K (decoded at load, never written) has no feedback: refused, not
  // misquantized.
  int64_t rowBytes = quantRowBytes(QuantFormat::Q8_0, k);
  std::vector<uint8_t> bytes(size_t(n * rowBytes));
  EXPECT_FALSE(quantHasFeedback(QuantFormat::Q6_K));
  Status refused =
      quantizeWithFeedback(kernels().pool, QuantFormat::Q6_K, w.data(), k, n, k,
                           h.data(), k, nullptr, bytes.data(), rowBytes);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.getError(), "Q6_K has no quantization with error feedback "
                                "(Q8_0, Q4_0, Q4_1, Q4_K and INT8 have)");
  // A covariance that is not finite, or cannot be made positive definite
  // (a hostile file), is refused: the caller rounds to nearest instead.
  std::vector<float> bad = h;
  bad[size_t(3 * k + 5)] = std::nanf("");
  Status notFinite =
      quantizeWithFeedback(kernels().pool, QuantFormat::Q8_0, w.data(), k, n, k,
                           bad.data(), k, nullptr, bytes.data(), rowBytes);
  ASSERT_FALSE(notFinite);
  EXPECT_EQ(notFinite.getError(),
            "the input covariance holds a value that is not finite");
  std::fill(bad.begin(), bad.end(), 0.0f);
  for (int64_t p = 0; p < k; ++p)
    bad[size_t(p * k + p)] = p == 7 ? -1e30f : 1.0f;
  Status indefinite =
      quantizeWithFeedback(kernels().pool, QuantFormat::Q8_0, w.data(), k, n, k,
                           bad.data(), k, nullptr, bytes.data(), rowBytes);
  ASSERT_FALSE(indefinite);
  EXPECT_EQ(indefinite.getError(),
            "the input covariance is not positive definite, even damped (is "
            "it a calibration run's?)");
}

TEST(QuantTest, ErrorFeedbackBeyondHalfMarksTheBlock) {
  // A weight beyond what the block formats' f16 scales reach: error
  // feedback stores its block with a scale that is not finite and passes no
  // infinite error on (UBSan checks the arithmetic); the other rows' blocks
  // stay finite.
  int64_t m = 64, n = 4, k = 256;
  std::vector<float> x = correlatedInputs(m, k);
  std::vector<float> h = covarianceOf(x, m, k);
  std::vector<float> w = randomVector(size_t(n * k), 25, 0.05f);
  w[size_t(2 * k + 100)] = 1e12f;
  for (QuantFormat format : {QuantFormat::Q8_0, QuantFormat::Q4_0,
                             QuantFormat::Q4_1, QuantFormat::Q4_K}) {
    int64_t rowBytes = quantRowBytes(format, k);
    std::vector<uint8_t> bytes(size_t(n * rowBytes));
    Status done =
        quantizeWithFeedback(kernels().pool, format, w.data(), k, n, k,
                             h.data(), k, nullptr, bytes.data(), rowBytes);
    ASSERT_TRUE(done) << done.getError();
    std::optional<QuantBlockIndex> block =
        firstNonFiniteScale(format, bytes.data(), n, k);
    ASSERT_TRUE(block) << quantFormatName(format);
    EXPECT_TRUE(block->infinite) << quantFormatName(format);
    EXPECT_EQ(block->row, 2) << quantFormatName(format);
    EXPECT_FALSE(firstNonFiniteScale(format, bytes.data(), 2, k))
        << quantFormatName(format);
  }
}

/// Expects the bytes of `quantizeWithFeedback` on [n, k] weights `w` (rows
/// k apart) to be those of passing each error on to every later weight as
/// it is made, a row at a time, with the covariance of `m` correlated
/// inputs.
void expectBatchedIsSerial(QuantFormat format, const std::vector<float> &w,
                           int64_t m, int64_t n, int64_t k) {
  std::vector<float> x = correlatedInputs(m, k);
  std::vector<float> h = covarianceOf(x, m, k);
  std::vector<double> u;
  ASSERT_TRUE(detail::gptqInverseFactor(h.data(), k, k, u));
  int64_t rowBytes = quantRowBytes(format, k);
  std::vector<uint8_t> batched(size_t(n * rowBytes)),
      serial(size_t(n * rowBytes));
  ASSERT_TRUE(quantizeWithFeedback(kernels().pool, format, w.data(), k, n, k,
                                   h.data(), k, nullptr, batched.data(),
                                   rowBytes));
  std::vector<double> row(static_cast<size_t>(k)),
      errors(static_cast<size_t>(k));
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t p = 0; p < k; ++p)
      row[size_t(p)] = w[size_t(r * k + p)];
    // INT8's row scale, from the row as it is, comes first.
    if (format == QuantFormat::Int8)
      detail::quantizeRowInt8(w.data() + r * k, k, nullptr,
                              serial.data() + r * rowBytes);
    detail::quantizeSpanWithFeedback(format, row.data(), k, 0, k, u.data(),
                                     nullptr, errors.data(),
                                     serial.data() + r * rowBytes);
  }
  EXPECT_EQ(batched, serial) << quantFormatName(format);
}

TEST(QuantTest, BatchedErrorFeedbackIsOneWeightAtATime) {
  // The errors reach later columns a span of 128 at a time, through one
  // matrix product (GPTQ's lazy batched updates); the bytes are those of
  // passing each error on to every later weight as it is made (the sums'
  // order differs, so a value on a rounding tie could in principle round
  // the other way; none does here). Three spans, the last a partial one,
  // and rows in two groups of the copy in doubles (2048 rows a group).
  int64_t m = 512, n = 2100, k = 320;
  std::vector<float> w = randomVector(size_t(n * k), 31, 0.05f);
  for (QuantFormat format : {QuantFormat::Q8_0, QuantFormat::Q4_0,
                             QuantFormat::Q4_1, QuantFormat::Int8})
    expectBatchedIsSerial(format, w, m, n, k);
  // Q4_K goes a super-block (256 columns) a span: three spans.
  expectBatchedIsSerial(QuantFormat::Q4_K, w, m, 40, 768);
  std::vector<float> h = covarianceOf(correlatedInputs(m, k), m, k);
  // Rows that are not whole blocks (super-blocks for Q4_K) are refused,
  // not overrun.
  std::vector<uint8_t> bytes(size_t(quantRowBytes(QuantFormat::Q8_0, 64)));
  for (auto [format, length, message] :
       {std::tuple(QuantFormat::Q8_0, int64_t(40),
                   "rows of 40 weights are not whole blocks of 32"),
        std::tuple(QuantFormat::Q4_K, int64_t(288),
                   "rows of 288 weights are not whole blocks of 256")}) {
    Status partial =
        quantizeWithFeedback(kernels().pool, format, w.data(), length, 1,
                             length, h.data(), k, nullptr, bytes.data(), 0);
    ASSERT_FALSE(partial);
    EXPECT_EQ(partial.getError(), message);
  }
}

TEST(QuantTest, FormatNamesAndIds) {
  EXPECT_EQ(quantFormatFromName("Q4_1"), QuantFormat::Q4_1);
  EXPECT_EQ(quantFormatFromName("q4_1"), std::nullopt);
  EXPECT_EQ(quantFormatFromId(0), QuantFormat::Q8_0);
  EXPECT_EQ(quantFormatFromId(3), QuantFormat::Q4_K);
  EXPECT_EQ(quantFormatFromId(4), QuantFormat::Int8);
  EXPECT_EQ(quantFormatFromId(5), QuantFormat::Q6_K);
  EXPECT_EQ(quantFormatFromId(6), std::nullopt);
  EXPECT_FALSE(quantHasKernels(QuantFormat::Q6_K));
  EXPECT_EQ(quantRowBytes(QuantFormat::Q6_K, 512), 420);
  EXPECT_EQ(quantFormatFromName("INT8"), QuantFormat::Int8);
  EXPECT_EQ(quantFormatFromName("Q4_K"), QuantFormat::Q4_K);
  // A description naming Q6_K is refused: no product takes it.
  EXPECT_EQ(quantFormatFromName("Q6_K"), std::nullopt);
  EXPECT_EQ(quantRowBytes(QuantFormat::Q4_0, 64), 36);
  EXPECT_EQ(quantRowBytes(QuantFormat::Q4_K, 512), 288);
}

} // namespace
