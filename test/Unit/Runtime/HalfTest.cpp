//===- HalfTest.cpp - F16 and BF16 conversions ----------------------------===//

#include "loom/Half.h"
#include "loom/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace loom;

namespace {

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

TEST(HalfTest, HalfEdgeValues) {
  EXPECT_EQ(halfToFloat(0x0000), 0.0f);
  EXPECT_EQ(bitsOf(halfToFloat(0x8000)), 0x80000000u); // -0
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);              // largest
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14)); // smallest normal
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03ff), std::ldexp(1023.0f, -24)); // largest subnormal
  EXPECT_EQ(halfToFloat(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(halfToFloat(0x0200), std::ldexp(1.0f, -15));
  EXPECT_EQ(halfToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(halfToFloat(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7c01))); // signalling NaN stays NaN
  EXPECT_TRUE(std::isnan(halfToFloat(0xfe00)));
}

TEST(HalfTest, HalfRoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = halfToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value))
      continue;
    EXPECT_EQ(floatToHalf(value), bits) << std::hex << bits;
  }
}

TEST(HalfTest, HalfSubnormalsAreExact) {
  // Every subnormal m * 2^-24.
  for (uint32_t m = 1; m < 0x400; ++m)
    EXPECT_EQ(halfToFloat(static_cast<uint16_t>(m)), std::ldexp(float(m), -24));
}

TEST(HalfTest, FloatToHalfRounding) {
  EXPECT_EQ(floatToHalf(1e6f), 0x7c00);     // overflow -> inf
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00); // rounds up past the largest
  EXPECT_EQ(floatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000); // tie -> even (0)
  EXPECT_EQ(floatToHalf(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002);        // tie -> even
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00); // tie -> even
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(std::nanf("")) & 0x7e00, 0x7e00);
}

TEST(HalfTest, Bfloat16EdgeValues) {
  EXPECT_EQ(bfloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0xc040), -3.0f);
  EXPECT_EQ(bitsOf(bfloat16ToFloat(0x8000)), 0x80000000u);
  EXPECT_EQ(bfloat16ToFloat(0x0001), std::ldexp(1.0f, -133)); // subnormal
  EXPECT_EQ(bfloat16ToFloat(0x007f), std::ldexp(127.0f, -133));
  EXPECT_EQ(bfloat16ToFloat(0x7f7f), std::ldexp(255.0f, 120)); // largest
  EXPECT_EQ(bfloat16ToFloat(0x7f80), std::numeric_limits<float>::infinity());
  EXPECT_EQ(bfloat16ToFloat(0xff80), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(0x7fc0)));
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(0x7f81)));
}

TEST(HalfTest, Bfloat16RoundTripsAndRounds) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = bfloat16ToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value))
      continue;
    EXPECT_EQ(floatToBfloat16(value), bits) << std::hex << bits;
  }
  EXPECT_EQ(floatToBfloat16(1.0f + std::ldexp(1.0f, -8)), 0x3f80); // tie
  EXPECT_EQ(floatToBfloat16(1.0f + std::ldexp(3.0f, -8)), 0x3f82); // tie up
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBfloat16(std::nanf("")))));
}

TEST(HalfTest, BulkConversionIsLittleEndianAndUnaligned) {
  unsigned char bytes[7] = {0xff, 0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00};
  float out[3];
  convertHalfToFloat(bytes + 1, out, 3);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], std::ldexp(1.0f, -24));
  unsigned char bf[5] = {0xff, 0x80, 0x3f, 0x40, 0xc0};
  convertBfloat16ToFloat(bf + 1, out, 2);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -3.0f);
}

} // namespace

TEST(HalfTest, FirstBeyondHalfFindsWhatF16MakesInfinite) {
  // 65519 rounds down to 65504; 65520 rounds up to infinity.
  std::vector<float> f32 = {1.0f, -65519.0f, 3.0e38f, -65520.0f};
  EXPECT_EQ(loom::firstBeyondHalf(f32.data(), loom::WeightType::F32, 2),
            std::nullopt);
  EXPECT_EQ(loom::firstBeyondHalf(f32.data(), loom::WeightType::F32, 4), 2);
  // Infinities and NaNs are not the conversion's doing.
  std::vector<float> special = {std::numeric_limits<float>::infinity(),
                                std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(loom::firstBeyondHalf(special.data(), loom::WeightType::F32, 2),
            std::nullopt);
  std::vector<uint16_t> bf16 = {loom::floatToBfloat16(60000.0f),
                                loom::floatToBfloat16(-70000.0f)};
  EXPECT_EQ(loom::firstBeyondHalf(bf16.data(), loom::WeightType::BF16, 2), 1);
  // F16 data: its infinities (what an overflowing conversion wrote).
  std::vector<uint16_t> f16 = {0x7bffu, 0x3c00u, 0xfc00u};
  EXPECT_EQ(loom::firstBeyondHalf(f16.data(), loom::WeightType::F16, 2),
            std::nullopt);
  EXPECT_EQ(loom::firstBeyondHalf(f16.data(), loom::WeightType::F16, 3), 2);
}
