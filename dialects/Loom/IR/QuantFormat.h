//===- QuantFormat.h - Geometry of the quantized weight formats -*- C++ -*-===//
//
// What the compiler needs to know of a block format (loom_abi.h holds the
// byte layouts): its block size, the bytes of a block and of a row, and its
// names in the model description and the kernels' calls.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_IR_QUANTFORMAT_H
#define LOOM_DIALECT_LOOM_IR_QUANTFORMAT_H

#include "dialects/Loom/IR/LoomDialect.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace loom {

/// Weights a block of `format` holds.
int64_t getQuantBlockSize(QuantFormat format);

/// Bytes a block of `format` takes.
int64_t getQuantBlockBytes(QuantFormat format);

/// Bytes a row of `k` weights takes in `format`; none when the block size
/// does not divide `k`.
std::optional<int64_t> getQuantRowBytes(QuantFormat format, int64_t k);

/// Weights a row of `rowBytes` bytes holds in `format`; none when it is not
/// a whole number of blocks.
std::optional<int64_t> getQuantRowWeights(QuantFormat format, int64_t rowBytes);

/// The format's dtype in the model description (LOOM_QUANT_*_NAME).
llvm::StringRef getQuantDTypeName(QuantFormat format);

/// The format's id in kernel calls (LOOM_QUANT_*).
int64_t getQuantKernelId(QuantFormat format);

/// The id of `inputs` in kernel calls (LOOM_QUANT_INPUTS_*).
int64_t getQuantInputsKernelId(QuantInputs inputs);

/// Bits a weight takes in `format`, scales included.
double getQuantBitsPerWeight(QuantFormat format);

} // namespace loom

#endif // LOOM_DIALECT_LOOM_IR_QUANTFORMAT_H
