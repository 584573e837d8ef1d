//===- QuantFormat.cpp - Geometry of the quantized weight formats ---------===//

#include "dialects/Loom/IR/QuantFormat.h"

#include "runtime/include/loom/loom_abi.h"

using namespace loom;

// The dialect's format enum is the ABI's ids (loom_abi.h has the tables).
static_assert(int(QuantFormat::Q8_0) == LOOM_QUANT_Q8_0 &&
                  int(QuantFormat::Q4_0) == LOOM_QUANT_Q4_0 &&
                  int(QuantFormat::Q4_1) == LOOM_QUANT_Q4_1 &&
                  int(QuantFormat::Q4_K) == LOOM_QUANT_Q4_K &&
                  int(QuantFormat::INT8) == LOOM_QUANT_INT8,
              "QuantFormat values are loom_abi.h's LOOM_QUANT_* ids");

int64_t loom::getQuantBlockSize(QuantFormat format) {
  return loom_quant_block_weights(getQuantKernelId(format));
}

int64_t loom::getQuantBlockBytes(QuantFormat format) {
  return loom_quant_block_bytes(getQuantKernelId(format));
}

std::optional<int64_t> loom::getQuantRowBytes(QuantFormat format, int64_t k) {
  int64_t block = getQuantBlockSize(format);
  if (k < 0 || k % block != 0)
    return std::nullopt;
  return loom_quant_row_header(getQuantKernelId(format)) +
         k / block * getQuantBlockBytes(format);
}

std::optional<int64_t> loom::getQuantRowWeights(QuantFormat format,
                                                int64_t rowBytes) {
  int64_t bytes = getQuantBlockBytes(format);
  rowBytes -= loom_quant_row_header(getQuantKernelId(format));
  if (rowBytes < 0 || rowBytes % bytes != 0)
    return std::nullopt;
  return rowBytes / bytes * getQuantBlockSize(format);
}

llvm::StringRef loom::getQuantDTypeName(QuantFormat format) {
  return loom_quant_name(getQuantKernelId(format));
}

int64_t loom::getQuantInputsKernelId(QuantInputs inputs) {
  switch (inputs) {
  case QuantInputs::Int8:
    return LOOM_QUANT_INPUTS_INT8;
  case QuantInputs::Int8x2:
    return LOOM_QUANT_INPUTS_INT8X2;
  case QuantInputs::BF16:
    return LOOM_QUANT_INPUTS_BF16;
  }
  llvm_unreachable("unknown inputs");
}

int64_t loom::getQuantKernelId(QuantFormat format) {
  return static_cast<int64_t>(format);
}

double loom::getQuantBitsPerWeight(QuantFormat format) {
  // INT8's row scale is not counted: 32 bits over a whole row.
  return 8.0 * double(getQuantBlockBytes(format)) /
         double(getQuantBlockSize(format));
}
