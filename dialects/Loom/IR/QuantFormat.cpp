//===- QuantFormat.cpp - Geometry of the quantized weight formats ---------===//

#include "dialects/Loom/IR/QuantFormat.h"

#include "runtime/include/loom/loom_abi.h"

#include "llvm/Support/ErrorHandling.h"

using namespace loom;

int64_t loom::getQuantBlockSize(QuantFormat) { return LOOM_QUANT_BLOCK; }

int64_t loom::getQuantBlockBytes(QuantFormat format) {
  switch (format) {
  case QuantFormat::Q8_0:
    return LOOM_QUANT_Q8_0_BYTES;
  case QuantFormat::Q4_0:
    return LOOM_QUANT_Q4_0_BYTES;
  case QuantFormat::Q4_1:
    return LOOM_QUANT_Q4_1_BYTES;
  }
  llvm_unreachable("unknown quantized format");
}

std::optional<int64_t> loom::getQuantRowBytes(QuantFormat format, int64_t k) {
  int64_t block = getQuantBlockSize(format);
  if (k < 0 || k % block != 0)
    return std::nullopt;
  return k / block * getQuantBlockBytes(format);
}

std::optional<int64_t> loom::getQuantRowWeights(QuantFormat format,
                                                int64_t rowBytes) {
  int64_t bytes = getQuantBlockBytes(format);
  if (rowBytes < 0 || rowBytes % bytes != 0)
    return std::nullopt;
  return rowBytes / bytes * getQuantBlockSize(format);
}

llvm::StringRef loom::getQuantDTypeName(QuantFormat format) {
  switch (format) {
  case QuantFormat::Q8_0:
    return LOOM_QUANT_Q8_0_NAME;
  case QuantFormat::Q4_0:
    return LOOM_QUANT_Q4_0_NAME;
  case QuantFormat::Q4_1:
    return LOOM_QUANT_Q4_1_NAME;
  }
  llvm_unreachable("unknown quantized format");
}

int64_t loom::getQuantKernelId(QuantFormat format) {
  switch (format) {
  case QuantFormat::Q8_0:
    return LOOM_QUANT_Q8_0;
  case QuantFormat::Q4_0:
    return LOOM_QUANT_Q4_0;
  case QuantFormat::Q4_1:
    return LOOM_QUANT_Q4_1;
  }
  llvm_unreachable("unknown quantized format");
}

double loom::getQuantBitsPerWeight(QuantFormat format) {
  return 8.0 * double(getQuantBlockBytes(format)) /
         double(getQuantBlockSize(format));
}
