//===- Quant.cpp - Block formats: quantizing and decoding rows ------------===//
//
// The formats' bytes are GGUF's (ggml's block_q8_0, block_q4_0 and
// block_q4_1), so that quantized checkpoints are interchangeable; rounding to
// nearest follows ggml's reference quantizers, so that the same weights give
// the same bytes. Written here rather than taken from ggml: the runtime links
// nothing but libc, libstdc++ and fmt, and these are a few dozen lines.
//
//===----------------------------------------------------------------------===//

#include "loom/Quant.h"

#include "QuantInternal.h"
#include "loom/Half.h"
#include "loom/loom_abi.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

using namespace loom;

static_assert(kQuantBlock == LOOM_QUANT_BLOCK, "block size of loom_abi.h");

// The runtime's format enum is the ABI's ids (loom_abi.h has the tables).
static_assert(int(QuantFormat::Q8_0) == LOOM_QUANT_Q8_0 &&
                  int(QuantFormat::Q4_0) == LOOM_QUANT_Q4_0 &&
                  int(QuantFormat::Q4_1) == LOOM_QUANT_Q4_1 &&
                  int(QuantFormat::Q4_K) == LOOM_QUANT_Q4_K &&
                  int(QuantFormat::Int8) == LOOM_QUANT_INT8 &&
                  int(QuantFormat::Q6_K) == LOOM_QUANT_Q6_K,
              "QuantFormat values are loom_abi.h's LOOM_QUANT_* ids");

std::optional<QuantFormat> loom::quantFormatFromId(int64_t id) {
  if (loom_quant_block_bytes(id) == 0)
    return std::nullopt;
  return static_cast<QuantFormat>(id);
}

std::optional<QuantFormat> loom::quantFormatFromName(std::string_view name) {
  for (QuantFormat format :
       {QuantFormat::Q8_0, QuantFormat::Q4_0, QuantFormat::Q4_1,
        QuantFormat::Q4_K, QuantFormat::Int8})
    if (name == quantFormatName(format))
      return format;
  return std::nullopt;
}

const char *loom::quantFormatName(QuantFormat format) {
  return loom_quant_name(int64_t(format));
}

int64_t loom::quantBlockBytes(QuantFormat format) {
  return loom_quant_block_bytes(int64_t(format));
}

namespace {

/// A block's integers and the scale (and minimum) that decode them.
struct BlockCode {
  int q[kQuantBlock];
  float d = 0.0f, m = 0.0f;
};

/// The weights a block's fields decode to, with `d` and `m` rounded to half
/// precision as they are stored.
float decoded(QuantFormat format, const BlockCode &code, int j) {
  float d = halfToFloat(floatToHalf(code.d));
  switch (format) {
  case QuantFormat::Q8_0:
    return d * float(code.q[j]);
  case QuantFormat::Q4_0:
    return d * float(code.q[j] - 8);
  case QuantFormat::Q4_1:
    return d * float(code.q[j]) + halfToFloat(floatToHalf(code.m));
  case QuantFormat::Q4_K:
  case QuantFormat::Int8:
  case QuantFormat::Q6_K:
    break; // QuantK.cpp, QuantInt8.cpp
  }
  return 0.0f;
}

/// The integer of `x` with inverse scale `id` (and minimum `m`), as ggml's
/// reference rounds.
int roundWeight(QuantFormat format, float x, float id, float m) {
  switch (format) {
  case QuantFormat::Q8_0:
    return int(std::max(-127.0f, std::min(127.0f, roundf(x * id))));
  case QuantFormat::Q4_0:
    return std::clamp(int(int8_t(std::clamp(x * id + 8.5f, 0.0f, 15.5f))), 0,
                      15);
  case QuantFormat::Q4_1:
    return std::clamp(int(int8_t(std::clamp((x - m) * id + 0.5f, 0.0f, 15.5f))),
                      0, 15);
  case QuantFormat::Q4_K:
  case QuantFormat::Int8:
  case QuantFormat::Q6_K:
    break; // QuantK.cpp, QuantInt8.cpp
  }
  return 0;
}

/// Rounds `x` with scale `d` (and minimum `m`), as ggml's reference does
/// for the plain scale.
void roundBlock(QuantFormat format, const float *x, float d, float m,
                BlockCode &code) {
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  code.d = d;
  code.m = m;
  for (int j = 0; j < kQuantBlock; ++j)
    code.q[j] = roundWeight(format, x[j], id, m);
}

/// The plain (round-to-nearest) code of a block.
BlockCode plainCode(QuantFormat format, const float *x) {
  BlockCode code;
  switch (format) {
  case QuantFormat::Q8_0: {
    float amax = 0.0f;
    for (int j = 0; j < kQuantBlock; ++j)
      amax = std::max(amax, std::fabs(x[j]));
    roundBlock(format, x, amax / 127.0f, 0.0f, code);
    break;
  }
  case QuantFormat::Q4_0: {
    // The value of largest magnitude maps to -8 (its sign kept).
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQuantBlock; ++j)
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    roundBlock(format, x, max / -8.0f, 0.0f, code);
    break;
  }
  case QuantFormat::Q4_1: {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQuantBlock; ++j) {
      min = std::min(min, x[j]);
      max = std::max(max, x[j]);
    }
    roundBlock(format, x, (max - min) / 15.0f, min, code);
    break;
  }
  case QuantFormat::Q4_K:
  case QuantFormat::Int8:
  case QuantFormat::Q6_K:
    break; // QuantK.cpp, QuantInt8.cpp
  }
  return code;
}

/// Importance-weighted squared error of `code` against `x`.
double weightedError(QuantFormat format, const float *x, const float *weights,
                     const BlockCode &code) {
  double error = 0.0;
  for (int j = 0; j < kQuantBlock; ++j) {
    double diff = double(x[j]) - double(decoded(format, code, j));
    error += double(weights[j]) * diff * diff;
  }
  return error;
}

/// Refits the scale (and minimum) of `code` to its integers by weighted
/// least squares.
void refit(QuantFormat format, const float *x, const float *weights,
           BlockCode &code) {
  auto level = [&](int j) {
    return double(format == QuantFormat::Q4_0 ? code.q[j] - 8 : code.q[j]);
  };
  double sw = 0, swq = 0, swqq = 0, swx = 0, swxq = 0;
  for (int j = 0; j < kQuantBlock; ++j) {
    double w = weights[j], q = level(j);
    sw += w;
    swq += w * q;
    swqq += w * q * q;
    swx += w * x[j];
    swxq += w * x[j] * q;
  }
  if (format != QuantFormat::Q4_1) {
    if (swqq > 0)
      code.d = float(swxq / swqq);
    return;
  }
  double det = sw * swqq - swq * swq;
  if (det <= 0)
    return;
  code.d = float((sw * swxq - swq * swx) / det);
  code.m = float((swqq * swx - swq * swxq) / det);
}

/// The code, among candidate scales around the plain one (each refit to its
/// integers), of least importance-weighted error.
BlockCode weightedCode(QuantFormat format, const float *x,
                       const float *importance) {
  BlockCode best = plainCode(format, x);
  float weights[kQuantBlock];
  detail::blockErrorWeights(importance, weights);
  double bestError = weightedError(format, x, weights, best);
  BlockCode plain = best;
  for (int step = -12; step <= 12; ++step) {
    float factor = 1.0f + 0.02f * float(step);
    BlockCode code;
    roundBlock(format, x, plain.d * factor, plain.m, code);
    refit(format, x, weights, code);
    double error = weightedError(format, x, weights, code);
    if (error < bestError) {
      bestError = error;
      best = code;
    }
  }
  return best;
}

/// Writes `code` as a block of `format`.
void storeBlock(QuantFormat format, const BlockCode &code, uint8_t *out) {
  uint16_t d = floatToHalf(code.d);
  std::memcpy(out, &d, 2);
  switch (format) {
  case QuantFormat::Q8_0:
    for (int j = 0; j < kQuantBlock; ++j)
      out[2 + j] = uint8_t(int8_t(code.q[j]));
    return;
  case QuantFormat::Q4_0:
    for (int j = 0; j < kQuantBlock / 2; ++j)
      out[2 + j] = uint8_t(code.q[j] | (code.q[j + 16] << 4));
    return;
  case QuantFormat::Q4_1: {
    uint16_t m = floatToHalf(code.m);
    std::memcpy(out + 2, &m, 2);
    for (int j = 0; j < kQuantBlock / 2; ++j)
      out[4 + j] = uint8_t(code.q[j] | (code.q[j + 16] << 4));
    return;
  }
  case QuantFormat::Q4_K:
  case QuantFormat::Int8:
  case QuantFormat::Q6_K:
    return; // QuantK.cpp, QuantInt8.cpp
  }
}

} // namespace

void loom::detail::blockErrorWeights(const float *importance, float *weights) {
  float mean = 0.0f;
  for (int j = 0; j < kQuantBlock; ++j)
    mean += importance[j];
  mean /= float(kQuantBlock);
  for (int j = 0; j < kQuantBlock; ++j)
    weights[j] = importance[j] + 1e-3f * mean + 1e-30f;
}

void loom::quantizeRow(QuantFormat format, const float *x, int64_t k,
                       const float *importance, void *out) {
  auto *bytes = static_cast<uint8_t *>(out);
  if (format == QuantFormat::Q4_K)
    return detail::quantizeRowQ4K(x, k, importance, bytes);
  if (format == QuantFormat::Int8)
    return detail::quantizeRowInt8(x, k, importance, bytes);
  int64_t blockBytes = quantBlockBytes(format);
  for (int64_t b = 0; b < k / kQuantBlock; ++b) {
    const float *block = x + b * kQuantBlock;
    BlockCode code =
        importance ? weightedCode(format, block, importance + b * kQuantBlock)
                   : plainCode(format, block);
    storeBlock(format, code, bytes + b * blockBytes);
  }
}

void loom::detail::quantizeSpanWithFeedback(QuantFormat format, double *x,
                                            int64_t k, int64_t begin,
                                            int64_t end, const double *u,
                                            const float *importance,
                                            double *errors, uint8_t *out) {
  if (format == QuantFormat::Int8)
    return quantizeSpanInt8WithFeedback(x, k, begin, end, u, errors, out);
  if (format == QuantFormat::Q4_K)
    return quantizeSpanQ4KWithFeedback(x, k, begin, end, u, importance, errors,
                                       out);
  int64_t blockBytes = quantBlockBytes(format);
  for (int64_t first = begin; first < end; first += kQuantBlock) {
    // The block's scale from its values as the earlier errors left them.
    float values[kQuantBlock];
    for (int j = 0; j < kQuantBlock; ++j)
      values[j] = float(x[first + j]);
    BlockCode code = importance
                         ? weightedCode(format, values, importance + first)
                         : plainCode(format, values);
    code.d = halfToFloat(floatToHalf(code.d));
    code.m = halfToFloat(floatToHalf(code.m));
    if (!std::isfinite(code.d) || !std::isfinite(code.m)) {
      // The compensated values went beyond the format's f16 scales: the
      // block is stored with an infinite scale (loading stops at it) and
      // passes no error on.
      BlockCode blank{};
      blank.d = INFINITY;
      std::fill(errors + (first - begin),
                errors + (first - begin) + kQuantBlock, 0.0);
      storeBlock(format, blank, out + (first / kQuantBlock) * blockBytes);
      continue;
    }
    float id = code.d != 0.0f ? 1.0f / code.d : 0.0f;
    for (int j = 0; j < kQuantBlock; ++j) {
      int64_t p = first + j;
      code.q[j] = roundWeight(format, float(x[p]), id, code.m);
      double error = (x[p] - double(decoded(format, code, j))) / u[p * k + p];
      errors[p - begin] = error;
      const double *spread = u + p * k;
      for (int64_t t = p + 1; t < end; ++t)
        x[t] -= error * spread[t];
    }
    storeBlock(format, code, out + (first / kQuantBlock) * blockBytes);
  }
}

void loom::dequantizeRow(QuantFormat format, const void *row, int64_t k,
                         float *out) {
  const auto *bytes = static_cast<const uint8_t *>(row);
  if (format == QuantFormat::Q4_K)
    return detail::dequantizeRowQ4K(bytes, k, out);
  if (format == QuantFormat::Int8)
    return detail::dequantizeRowInt8(bytes, k, out);
  if (format == QuantFormat::Q6_K)
    return detail::dequantizeRowQ6K(bytes, k, out);
  int64_t blockBytes = quantBlockBytes(format);
  for (int64_t b = 0; b < k / kQuantBlock; ++b) {
    const uint8_t *block = bytes + b * blockBytes;
    float *y = out + b * kQuantBlock;
    uint16_t dBits, mBits;
    std::memcpy(&dBits, block, 2);
    float d = halfToFloat(dBits);
    switch (format) {
    case QuantFormat::Q8_0:
      for (int j = 0; j < kQuantBlock; ++j)
        y[j] = d * float(int8_t(block[2 + j]));
      break;
    case QuantFormat::Q4_0:
      for (int j = 0; j < kQuantBlock / 2; ++j) {
        y[j] = d * float((block[2 + j] & 0xF) - 8);
        y[j + 16] = d * float((block[2 + j] >> 4) - 8);
      }
      break;
    case QuantFormat::Q4_1: {
      std::memcpy(&mBits, block + 2, 2);
      float m = halfToFloat(mBits);
      for (int j = 0; j < kQuantBlock / 2; ++j) {
        y[j] = d * float(block[4 + j] & 0xF) + m;
        y[j + 16] = d * float(block[4 + j] >> 4) + m;
      }
      break;
    }
    case QuantFormat::Q4_K:
    case QuantFormat::Int8:
    case QuantFormat::Q6_K:
      break; // above
    }
  }
}
