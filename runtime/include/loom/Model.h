//===- Model.h - The interface of a compiled model --------------*- C++ -*-===//
//
// How the runtime reads a compiled model's description (the JSON of
// `loom_model_def::info`, keys LOOM_INFO_* in loom_abi.h) and the memref
// descriptors its entry points take.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_MODEL_H
#define LOOM_MODEL_H

#include "loom/Support.h"
#include "loom/Weights.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace loom {

/// An MLIR strided memref descriptor of rank `N`.
template <typename T, int N> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
};

/// A contiguous row-major descriptor of `data` with `sizes`.
template <typename T, int N>
MemRef<T, N> makeMemRef(T *data, const int64_t (&sizes)[N]) {
  MemRef<T, N> ref{data, data, 0, {}, {}};
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    ref.sizes[i] = sizes[i];
    ref.strides[i] = stride;
    stride *= sizes[i];
  }
  return ref;
}

/// The rows of `m` with unit column stride: its own memory when they have
/// it, else a copy in `scratch`; returns the data and the row stride.
inline std::pair<const float *, int64_t>
unitColumns(const MemRef<float, 2> *m, std::vector<float> &scratch) {
  const float *data = m->aligned + m->offset;
  if (m->strides[1] == 1 || m->sizes[1] <= 1)
    return {data, m->strides[0]};
  int64_t rows = m->sizes[0], width = m->sizes[1];
  scratch.resize(size_t(rows * width));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < width; ++i)
      scratch[size_t(r * width + i)] =
          data[r * m->strides[0] + i * m->strides[1]];
  return {scratch.data(), width};
}

/// What the model asks the runtime to keep weight matrices in.
enum class WeightPolicy {
  Keep, ///< the checkpoint's type (F32, F16 or BF16)
  F32,
  F16,
  BF16,
};

/// The description a compiled model carries of itself.
struct ModelInfo {
  int64_t abi = 0;
  std::string name;
  /// True for decoders (causal attention): prefill then token-by-token.
  bool decoder = false;
  /// Token ids must be below this (0: no embedding).
  int64_t vocab = 0;
  /// Positions must be below this (0: no limit from the model).
  int64_t maxPositions = 0;
  /// Width of one output row (vocab for decoders, hidden size for encoders).
  int64_t outputWidth = 0;
  /// Width of one input row of float features; 0 when the model takes
  /// token ids.
  int64_t inputWidth = 0;
  /// KV cache geometry: slots (one per attention execution), the floats a
  /// position takes in each, and in all of them.
  int64_t kvSlots = 0;
  std::vector<int64_t> kvWidths;
  int64_t kvWidth = 0;
  /// Floats of running state (cumulative sums, linear attention), reset at
  /// position 0 and carried from call to call.
  int64_t stateFloats = 0;
  /// The checkpoint tensors, in the order of `loom_context::weights`.
  std::vector<TensorSpec> tensors;
  /// Weights computed from the checkpoint's at load (the model's `prepare`
  /// entry point), named by their parameter; after `tensors` in the table.
  std::vector<TensorSpec> derived;
  /// Per table entry (`tensors`, then `derived`): only ever multiplied as a
  /// [N, K] weight matrix (the kernels may keep it packed) ...
  std::vector<bool> matrix;
  /// ... or stored [in, out] and only multiplied as such ...
  std::vector<bool> storedInOut;
  /// ... or read by rows through the embedding kernel (a token table) ...
  std::vector<bool> rows;
  /// ... and whether it is also read in its checkpoint layout ...
  std::vector<bool> otherUses;
  /// ... or only read by `prepare` (not needed once it has run).
  std::vector<bool> prepareOnly;
  /// Per derived weight: the table entries it reads (earlier ones) ...
  std::vector<std::vector<int64_t>> derivedSources;
  /// ... and whether it only moves their values (so it is exact in their
  /// type) rather than computing new ones.
  std::vector<bool> derivedRearranges;
  /// ... and whether it is its sources' rows, one matrix after the other
  /// (fused q/k/v: a product reading it reads each source's inputs) ...
  std::vector<bool> derivedStacksRows;
  /// ... and whether it is its one source quantized in its dtype, rounded to
  /// nearest (so a checkpoint tensor stored in that format can be used).
  std::vector<bool> derivedQuantizes;
  /// The type weight matrices are kept in for the kernels.
  WeightPolicy weightType = WeightPolicy::Keep;
  /// The layers whose blocks a calibration run observes, in the order of
  /// a forward pass's calls (LOOM_INFO_LAYERS).
  std::vector<std::string> layers;
};

/// Parses the JSON model info embedded in a compiled model.
Expected<ModelInfo> parseModelInfo(const char *json);

} // namespace loom

#endif // LOOM_MODEL_H
