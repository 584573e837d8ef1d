//===- QuantFormat.h - The block formats of quantized weights ---*- C++ -*-===//
//
// Names and sizes of the block formats of loom_abi.h, which a model's
// description gives as the dtype of a quantized weight.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_QUANTFORMAT_H
#define LOOM_QUANTFORMAT_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace loom {

/// A block format (values are the LOOM_QUANT_* ids of loom_abi.h).
enum class QuantFormat { Q8_0 = 0, Q4_0 = 1, Q4_1 = 2 };

/// Weights a block holds (every format).
constexpr int64_t kQuantBlock = 32;

/// The format with kernel id `id`, if there is one.
std::optional<QuantFormat> quantFormatFromId(int64_t id);

/// The format called `name` in a model description (LOOM_QUANT_*_NAME).
std::optional<QuantFormat> quantFormatFromName(std::string_view name);

/// The format's name (LOOM_QUANT_*_NAME).
const char *quantFormatName(QuantFormat format);

/// Bytes a block of `format` takes.
int64_t quantBlockBytes(QuantFormat format);

/// Bytes a row of `k` weights takes (`k` a multiple of kQuantBlock).
inline int64_t quantRowBytes(QuantFormat format, int64_t k) {
  return k / kQuantBlock * quantBlockBytes(format);
}

} // namespace loom

#endif // LOOM_QUANTFORMAT_H
