//===- Embedding.cpp - Token embedding rows, wherever the table lives -----===//
//
// Generated code gathers token embeddings through this kernel rather than
// reading the table itself, so the runtime may keep the table in the
// kernels' packed layout (when it is also the LM head) or in half precision
// (when the checkpoint has it so) instead of an f32 copy.
//
//===----------------------------------------------------------------------===//

#include "loom/Half.h"
#include "loom/Kernels.h"
#include "loom/Quant.h"

#include <fmt/format.h>

using namespace loom;

extern "C" void _mlir_ciface_loom_embedding(loom_context *context,
                                            MemRef<float, 2> *table,
                                            MemRef<int32_t, 1> *ids,
                                            MemRef<float, 2> *out) {
  const KernelState &state = *context->kernels;
  const float *key = table->aligned + table->offset;
  int64_t cols = table->sizes[1];
  int64_t count = ids->sizes[0];
  const int32_t *tokens = ids->aligned + ids->offset;
  auto half = state.halfRows.find(key);
  for (int64_t i = 0; i < count; ++i) {
    int64_t row = tokens[i * ids->strides[0]];
    // The session checks ids against the vocabulary; a table read out of
    // bounds would be a compiler bug, stopped here rather than read.
    if (row < 0 || row >= table->sizes[0])
      badKernelCall(LOOM_KERNEL_EMBEDDING,
                    fmt::format("token id {} outside the table's {} rows", row,
                                table->sizes[0]));
    float *to = out->aligned + out->offset + i * out->strides[0];
    if (readPackedRow(state, key, row, cols, to))
      continue;
    if (half != state.halfRows.end()) {
      for (int64_t j = 0; j < cols; ++j)
        to[j] =
            readWeight(half->second.data, half->second.type, row * cols + j);
      continue;
    }
    const float *from = key + row * table->strides[0];
    for (int64_t j = 0; j < cols; ++j)
      to[j] = from[j * table->strides[1]];
  }
}

extern "C" void _mlir_ciface_loom_embedding_quantized(loom_context *,
                                                      MemRef<int8_t, 2> *table,
                                                      MemRef<int32_t, 1> *ids,
                                                      MemRef<float, 2> *out,
                                                      int64_t formatId) {
  std::optional<QuantFormat> format = quantFormatFromId(formatId);
  if (!format)
    badKernelCall(LOOM_KERNEL_EMBEDDING_QUANTIZED,
                  fmt::format("unknown format {}", formatId));
  int64_t cols = out->sizes[1];
  if (cols % quantBlockWeights(*format) != 0 ||
      table->sizes[1] != quantRowBytes(*format, cols) ||
      table->strides[1] != 1 || out->strides[1] != 1 ||
      ids->sizes[0] != out->sizes[0])
    badKernelCall(LOOM_KERNEL_EMBEDDING_QUANTIZED,
                  "operands of mismatched shapes or "
                  "layouts");
  const int32_t *tokens = ids->aligned + ids->offset;
  for (int64_t i = 0; i < ids->sizes[0]; ++i) {
    int64_t row = tokens[i * ids->strides[0]];
    // The session checks ids against the vocabulary; a table read out of
    // bounds would be a compiler bug, stopped here rather than read.
    if (row < 0 || row >= table->sizes[0])
      badKernelCall(LOOM_KERNEL_EMBEDDING_QUANTIZED,
                    fmt::format("token id {} outside "
                                "the table's {} rows",
                                row, table->sizes[0]));
    dequantizeRow(*format,
                  table->aligned + table->offset + row * table->strides[0],
                  cols, out->aligned + out->offset + i * out->strides[0]);
  }
}
