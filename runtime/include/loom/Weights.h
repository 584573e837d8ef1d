//===- Weights.h - Binding a checkpoint to a model's manifest ---*- C++ -*-===//
//
// A compiled model knows the tensors it needs: its manifest, a list of
// (name, shape). `WeightSet::load` looks each up in a checkpoint, checks it
// (present, same shape, a float dtype) and gives the model one f32 pointer
// per tensor: straight into the mapping for aligned F32 data, a converted
// copy for F16/BF16. Every problem is reported at once, up to a cap, so that
// one run shows everything that is wrong with a checkpoint.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_WEIGHTS_H
#define LOOM_WEIGHTS_H

#include "loom/Checkpoint.h"
#include "loom/QuantFormat.h"

#include <cstdlib>

namespace loom {

/// One tensor a model expects. Its values are bound as F32, as BF16 or F16
/// for a derived weight the model converts at load, or, for a quantized
/// weight, as the bytes of its format.
struct TensorSpec {
  /// The checkpoint name, e.g. `model.layers.0.self_attn.q_proj.weight`.
  std::string name;
  /// The expected shape, e.g. `{768, 768}` (a quantized weight's in weights,
  /// [n, k]).
  std::vector<int64_t> shape;
  /// The block format of a quantized weight (stored as U8 or I8 bytes,
  /// [n, row bytes]).
  std::optional<QuantFormat> quant = std::nullopt;
  /// F32, or BF16 or F16 for a derived weight computed in half precision.
  DType floatType = DType::F32;
  /// The bytes the model's table entry holds.
  int64_t bytes() const;
};

/// How `WeightSet::load` binds tensors.
struct WeightOptions {
  /// F32 data whose address is not a multiple of this (a power of two, at
  /// least 4) is copied instead of used in place.
  size_t alignment = alignof(float);
  /// At most this many problems are listed; the rest are counted.
  size_t maxProblems = 20;
  /// Per manifest entry: F16/BF16 data may stay as it is, unconverted (the
  /// caller reads it with `halfData`; `data` is then null). Missing entries
  /// mean false.
  std::vector<bool> keepHalf;
};

/// Checks `specs` against `checkpoint` and returns one message per problem
/// (missing tensor with a "did you mean", wrong shape, unsupported dtype),
/// in manifest order; empty when all is well. Lists at most `maxProblems`
/// and then one line saying how many more there are.
std::vector<std::string> checkWeights(const Checkpoint &checkpoint,
                                      const std::vector<TensorSpec> &specs,
                                      size_t maxProblems = 20);

/// The f32 weights of a model, in manifest order.
class WeightSet {
public:
  /// Binds `specs` to `checkpoint`. On failure the message lists every
  /// problem (see `checkWeights`).
  static Expected<WeightSet> load(std::shared_ptr<const Checkpoint> checkpoint,
                                  std::vector<TensorSpec> specs,
                                  const WeightOptions &options = {});
  /// Opens the checkpoint at `path` (see `Checkpoint::open`) and binds it.
  static Expected<WeightSet> load(const std::string &path,
                                  std::vector<TensorSpec> specs,
                                  const WeightOptions &options = {});

  /// The number of tensors (the manifest's length).
  size_t size() const { return specs.size(); }
  /// The f32 data of tensor `index` (row-major, `spec(index).shape`); null
  /// for one kept in half precision.
  const float *data(size_t index) const { return pointers[index]; }
  /// True when tensor `index` was kept as F16/BF16 (`WeightOptions`).
  bool isHalf(size_t index) const { return !pointers[index]; }
  /// The checkpoint's data of tensor `index`, in its own dtype.
  const void *rawData(size_t index) const { return sources[index]->data; }
  /// The f32 data of the tensor called `name`, or null.
  const float *data(std::string_view name) const;
  /// The manifest entry of tensor `index`.
  const TensorSpec &spec(size_t index) const { return specs[index]; }
  /// The checkpoint tensor bound to `index`.
  const TensorInfo &source(size_t index) const { return *sources[index]; }
  /// Whether tensor `index` points into the mapping (no copy).
  bool isZeroCopy(size_t index) const;
  /// The f32 bytes of all distinct tensors, as the model sees them (a
  /// tensor bound under two manifest entries counts once).
  uint64_t totalBytes() const { return total; }
  /// The bytes this set allocated for converted or realigned copies.
  uint64_t copiedBytes() const { return copied; }
  /// The checkpoint the tensors come from.
  const Checkpoint &getCheckpoint() const { return *checkpoint; }

private:
  struct FreeDeleter {
    void operator()(float *p) const { std::free(p); }
  };
  using Buffer = std::unique_ptr<float, FreeDeleter>;

  WeightSet() = default;

  std::shared_ptr<const Checkpoint> checkpoint;
  std::vector<TensorSpec> specs;
  std::vector<const TensorInfo *> sources;
  std::vector<const float *> pointers;
  /// Copies (null where the tensor is used in place).
  std::vector<Buffer> owned;
  uint64_t total = 0;
  uint64_t copied = 0;
};

} // namespace loom

#endif // LOOM_WEIGHTS_H
