//===- Half.h - IEEE binary16 and bfloat16 conversions ----------*- C++ -*-===//
//
// Exact conversions from 16-bit floats to float (every F16 and BF16 value,
// subnormals, infinities and NaNs included, is representable as a float), and
// round-to-nearest-even conversions back.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_HALF_H
#define LOOM_HALF_H

#include <cstddef>
#include <cstdint>

namespace loom {

/// Converts IEEE 754 binary16 bits to float (exact; NaN payloads kept).
float halfToFloat(uint16_t bits);

/// Converts bfloat16 bits to float (exact: bfloat16 is a float's top half).
float bfloat16ToFloat(uint16_t bits);

/// Converts a float to binary16 bits, rounding to nearest even; overflow gives
/// infinity, NaN stays a (quiet) NaN.
uint16_t floatToHalf(float value);

/// Converts a float to bfloat16 bits, rounding to nearest even; NaN stays a
/// (quiet) NaN.
uint16_t floatToBfloat16(float value);

/// Converts `count` little-endian binary16 values at `src` (any alignment).
void convertHalfToFloat(const void *src, float *dst, size_t count);

/// Converts `count` little-endian bfloat16 values at `src` (any alignment).
void convertBfloat16ToFloat(const void *src, float *dst, size_t count);

} // namespace loom

#endif // LOOM_HALF_H
