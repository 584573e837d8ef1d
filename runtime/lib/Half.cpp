//===- Half.cpp - IEEE binary16 and bfloat16 conversions ------------------===//

#include "loom/Half.h"
#include "loom/Kernels.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace loom {

static float bitsToFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

static uint32_t floatToBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) // Infinity or NaN: keep the payload.
    return bitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0) // Normal: rebias 15 -> 127.
    return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0)
    return bitsToFloat(sign);
  // Subnormal: mantissa * 2^-24, normal as a float. Shift the leading one
  // into the implicit bit position.
  uint32_t shift = 0;
  while (!(mantissa & 0x400u)) {
    mantissa <<= 1;
    ++shift;
  }
  mantissa &= 0x3ffu;
  uint32_t floatExponent = 113 - shift; // 2^-14 has biased exponent 113.
  return bitsToFloat(sign | (floatExponent << 23) | (mantissa << 13));
}

float bfloat16ToFloat(uint16_t bits) {
  return bitsToFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t floatToHalf(float value) {
  uint32_t bits = floatToBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t exponent = (bits >> 23) & 0xffu;
  uint32_t mantissa = bits & 0x7fffffu;
  if (exponent == 0xff) { // Infinity or NaN.
    if (mantissa == 0)
      return sign | 0x7c00u;
    return static_cast<uint16_t>(sign | 0x7e00u | (mantissa >> 13));
  }
  int32_t halfExponent = static_cast<int32_t>(exponent) - 127 + 15;
  if (halfExponent >= 0x1f)
    return sign | 0x7c00u;
  if (halfExponent <= 0) {
    // Subnormal or zero in binary16: shift in the implicit one, round to
    // nearest even on the bits shifted out.
    if (halfExponent < -10)
      return sign;
    uint32_t full = mantissa | 0x800000u;
    uint32_t shift = static_cast<uint32_t>(14 - halfExponent);
    uint32_t result = full >> shift;
    uint32_t remainder = full & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (result & 1u)))
      ++result;
    return static_cast<uint16_t>(sign | result);
  }
  uint32_t result =
      (static_cast<uint32_t>(halfExponent) << 10) | (mantissa >> 13);
  uint32_t remainder = mantissa & 0x1fffu;
  if (remainder > 0x1000u || (remainder == 0x1000u && (result & 1u)))
    ++result; // May carry into the exponent, up to infinity: correct.
  return static_cast<uint16_t>(sign | result);
}

uint16_t floatToBfloat16(float value) {
  uint32_t bits = floatToBits(value);
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x7fffffu))
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

static uint16_t loadLittleEndian16(const unsigned char *p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

void convertHalfToFloat(const void *src, float *dst, size_t count) {
  const auto *bytes = static_cast<const unsigned char *>(src);
  for (size_t i = 0; i < count; ++i)
    dst[i] = halfToFloat(loadLittleEndian16(bytes + 2 * i));
}

void convertBfloat16ToFloat(const void *src, float *dst, size_t count) {
  const auto *bytes = static_cast<const unsigned char *>(src);
  for (size_t i = 0; i < count; ++i)
    dst[i] = bfloat16ToFloat(loadLittleEndian16(bytes + 2 * i));
}

} // namespace loom

float loom::readWeight(const void *data, WeightType type, int64_t index) {
  switch (type) {
  case WeightType::F32:
    return static_cast<const float *>(data)[index];
  case WeightType::F16:
    return halfToFloat(static_cast<const uint16_t *>(data)[index]);
  case WeightType::BF16:
    return bfloat16ToFloat(static_cast<const uint16_t *>(data)[index]);
  }
  return 0.0f;
}

void loom::writeWeight(void *data, WeightType type, int64_t index,
                       float value) {
  switch (type) {
  case WeightType::F32:
    static_cast<float *>(data)[index] = value;
    return;
  case WeightType::F16:
    static_cast<uint16_t *>(data)[index] = floatToHalf(value);
    return;
  case WeightType::BF16:
    static_cast<uint16_t *>(data)[index] = floatToBfloat16(value);
    return;
  }
}

namespace {

/// The first of `count` elements for which `beyond(i)` holds. Spans of
/// elements are tested without a branch a value (the compiler vectorizes
/// them: a load scans billions of weights), then the span that has one
/// element by element.
template <typename Predicate>
std::optional<int64_t> firstWhere(int64_t count, Predicate beyond) {
  constexpr int64_t kSpan = 4096;
  for (int64_t first = 0; first < count; first += kSpan) {
    int64_t last = std::min(count, first + kSpan);
    bool any = false;
    for (int64_t i = first; i < last; ++i)
      any |= beyond(i);
    if (!any)
      continue;
    for (int64_t i = first; i < last; ++i)
      if (beyond(i))
        return i;
  }
  return std::nullopt;
}

/// Whether `value` is finite and rounds to infinity in f16: a magnitude of
/// 65520 or more (65504 plus half its last step; ties go to the even
/// infinity).
bool roundsToHalfInfinity(float value) {
  float magnitude = std::fabs(value);
  return magnitude >= 65520.0f && magnitude <= FLT_MAX;
}

} // namespace

std::optional<int64_t> loom::firstBeyondHalf(const void *data, WeightType type,
                                             int64_t count) {
  const auto *halves = static_cast<const uint16_t *>(data);
  switch (type) {
  case WeightType::F16:
    return firstWhere(
        count, [&](int64_t i) { return (halves[i] & 0x7fffu) == 0x7c00u; });
  case WeightType::BF16:
    return firstWhere(count, [&](int64_t i) {
      return roundsToHalfInfinity(bfloat16ToFloat(halves[i]));
    });
  case WeightType::F32: {
    const auto *floats = static_cast<const float *>(data);
    return firstWhere(
        count, [&](int64_t i) { return roundsToHalfInfinity(floats[i]); });
  }
  }
  return std::nullopt;
}
