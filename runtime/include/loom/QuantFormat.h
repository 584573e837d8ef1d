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
/// Q6_K is read from GGUF files and decoded at load: no product takes it
/// (`quantHasKernels`).
enum class QuantFormat {
  Q8_0 = 0,
  Q4_0 = 1,
  Q4_1 = 2,
  Q4_K = 3,
  Int8 = 4,
  Q6_K = 5
};

/// Weights a block of Q8_0, Q4_0 and Q4_1 holds, a Q4_K sub-block, and a
/// block of quantized activations.
constexpr int64_t kQuantBlock = 32;

/// Weights a Q4_K or Q6_K super-block holds.
constexpr int64_t kQuantSuperBlock = 256;

/// Weights a block of `format` holds: a row's length is a multiple of it.
constexpr int64_t quantBlockWeights(QuantFormat format) {
  return format == QuantFormat::Q4_K || format == QuantFormat::Q6_K
             ? kQuantSuperBlock
             : kQuantBlock;
}

/// Whether products take weights of `format` and the runtime quantizes to
/// it (every format but Q6_K, which is only decoded).
constexpr bool quantHasKernels(QuantFormat format) {
  return format != QuantFormat::Q6_K;
}

/// The format with kernel id `id`, if there is one.
std::optional<QuantFormat> quantFormatFromId(int64_t id);

/// The format called `name` in a model description (LOOM_QUANT_*_NAME):
/// one that products take, so not Q6_K.
std::optional<QuantFormat> quantFormatFromName(std::string_view name);

/// The format's name (LOOM_QUANT_*_NAME).
const char *quantFormatName(QuantFormat format);

/// Bytes a block of `format` takes.
int64_t quantBlockBytes(QuantFormat format);

/// Bytes before a row's blocks: INT8's f32 scale.
constexpr int64_t quantRowHeader(QuantFormat format) {
  return format == QuantFormat::Int8 ? 4 : 0;
}

/// Bytes a row of `k` weights takes (`k` a multiple of
/// `quantBlockWeights(format)`).
inline int64_t quantRowBytes(QuantFormat format, int64_t k) {
  return quantRowHeader(format) +
         k / quantBlockWeights(format) * quantBlockBytes(format);
}

} // namespace loom

#endif // LOOM_QUANTFORMAT_H
