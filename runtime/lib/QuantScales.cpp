//===- QuantScales.cpp - Finding blocks whose scales are not finite -------===//
//
// A block format stores its scales in half precision (INT8: one f32 a row),
// so a weight beyond what they reach cannot be quantized: the scale becomes
// an infinity and the block decodes to infinities. A weight that is not
// finite would round to an ordinary integer; quantizing marks its block with
// a NaN scale. Loading finds both, as it finds damaged blocks in a file, so
// that none becomes a silently wrong model.
//
//===----------------------------------------------------------------------===//

#include "loom/Quant.h"

#include "loom/Half.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace loom;

namespace {

/// Where a block of `format` keeps its f16 scale, and its f16 minimum (or
/// -1).
struct ScaleFields {
  int64_t scale, minimum;
};

ScaleFields scaleFields(QuantFormat format) {
  switch (format) {
  case QuantFormat::Q4_1:
  case QuantFormat::Q4_K:
    return {0, 2};
  case QuantFormat::Q6_K:
    return {208, -1};
  case QuantFormat::Int8: // One f32 scale a row, before the blocks.
    return {-1, -1};
  case QuantFormat::Q8_0:
  case QuantFormat::Q4_0:
    break;
  }
  return {0, -1};
}

/// The half at `field`: 0 if finite, 1 if an infinity, 2 if a NaN.
int halfKind(const uint8_t *field) {
  uint16_t bits;
  std::memcpy(&bits, field, 2);
  if ((bits & 0x7c00u) != 0x7c00u)
    return 0;
  return (bits & 0x3ffu) ? 2 : 1;
}

} // namespace

std::optional<QuantBlockIndex> loom::firstNonFiniteScale(QuantFormat format,
                                                         const void *data,
                                                         int64_t rows,
                                                         int64_t k) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  int64_t rowBytes = quantRowBytes(format, k);
  int64_t header = quantRowHeader(format);
  int64_t blockBytes = quantBlockBytes(format);
  int64_t blockWeights = quantBlockWeights(format);
  ScaleFields fields = scaleFields(format);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *row = bytes + r * rowBytes;
    if (header) {
      float scale;
      std::memcpy(&scale, row, sizeof(scale));
      if (!std::isfinite(scale))
        return QuantBlockIndex{r, 0, std::isinf(scale)};
    }
    if (fields.scale < 0)
      continue;
    for (int64_t b = 0; b < k / blockWeights; ++b) {
      const uint8_t *block = row + header + b * blockBytes;
      int kind =
          std::max(halfKind(block + fields.scale),
                   fields.minimum >= 0 ? halfKind(block + fields.minimum) : 0);
      if (kind)
        return QuantBlockIndex{r, b * blockWeights, kind == 1};
    }
  }
  return std::nullopt;
}

void loom::markNonFiniteBlocks(QuantFormat format, const float *x, int64_t k,
                               void *out) {
  auto *row = static_cast<uint8_t *>(out);
  int64_t header = quantRowHeader(format);
  int64_t blockWeights = quantBlockWeights(format);
  ScaleFields fields = scaleFields(format);
  for (int64_t b = 0; b < k / blockWeights; ++b) {
    bool finite = true;
    for (int64_t j = 0; j < blockWeights; ++j)
      finite &= std::isfinite(x[b * blockWeights + j]);
    if (finite)
      continue;
    if (header) {
      float nan = std::nanf("");
      std::memcpy(row, &nan, sizeof(nan));
      return;
    }
    uint16_t nan = floatToHalf(std::nanf(""));
    std::memcpy(row + b * quantBlockBytes(format) + fields.scale, &nan, 2);
  }
}
