//===- Session.h - A compiled model bound to its weights --------*- C++ -*-===//
//
// One instance of a compiled model: its description, its weights, its KV
// cache and its kernels' state (threads, packed weights), handed to the
// generated code as the model context (loom_abi.h). Instances share nothing,
// so several, of one model or of several, run at once on different threads.
// Used by the program's `main` and by the embedding C API (loom_model.h).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_SESSION_H
#define LOOM_SESSION_H

#include "loom/Calibration.h"
#include "loom/DeviceModel.h"
#include "loom/Kernels.h"
#include "loom/Model.h"
#include "loom/Support.h"
#include "loom/Weights.h"
#include "loom/loom_abi.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loom {

/// The description of `model`, after checking that it was built for this
/// runtime's ABI.
Expected<ModelInfo> describeModel(const loom_model_def &model);

/// Where a session's entry points run.
enum class Device {
  /// The host's cores, with the runtime's kernels.
  Cpu,
  /// A CUDA GPU: the model's device build (loom_model_def::device), on
  /// weights and caches in device memory.
  Cuda,
};

/// How `Session::open` prepares the weights.
struct SessionOptions {
  /// Keep every weight in its checkpoint layout (no packing, nothing given
  /// back): for `writeWeights`, not for running.
  bool keepLayouts = false;
  /// Where the entry points run.
  Device device = Device::Cpu;
  /// How the caller runs the model on the CPU instead, named in the error
  /// when no GPU answers (a program's flag, or the C API's call).
  std::string cpuInstead = "--device=cpu";
};

class Session {
public:
  /// Binds the checkpoint at `weightsPath` to `model`, allocates a KV cache
  /// for `maxSeq` positions and starts `numThreads` threads for its kernels
  /// (0: `LOOM_NUM_THREADS`, else every core).
  ///
  /// A checkpoint that holds the model's derived weights by name (written by
  /// `writeWeights`) provides them; the tensors they are made of need not
  /// be there then.
  static Expected<std::unique_ptr<Session>>
  open(const loom_model_def &model, const std::string &weightsPath,
       int64_t maxSeq, int64_t numThreads = 0,
       const SessionOptions &options = {});
  /// The same with several checkpoints read as one (`Checkpoint::open`).
  static Expected<std::unique_ptr<Session>>
  open(const loom_model_def &model, const std::vector<std::string> &weights,
       int64_t maxSeq, int64_t numThreads = 0,
       const SessionOptions &options = {});
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  const ModelInfo &getInfo() const { return info; }
  /// Threads the kernels run on, the caller's included.
  int64_t getNumThreads() const { return kernels.pool.getNumThreads(); }
  /// Positions the cache can hold.
  int64_t getMaxSeq() const { return maxSeq; }
  /// Bytes of weight matrices repacked for the kernels.
  int64_t getPackedBytes() const { return packedBytes; }
  /// Where the entry points run.
  Device getDevice() const { return device ? Device::Cuda : Device::Cpu; }
  /// With `Device::Cuda`: the model on the GPU (else null).
  cuda::DeviceModel *getDeviceModel() const { return device.get(); }
  /// Tokens processed since the last `reset` (the next token's position).
  int64_t getPosition() const { return position; }

  /// Forgets the cached tokens.
  void reset() { position = 0; }

  /// The settings and counts of the model's adaptive loops (EarlyExit.h).
  ExitState &getEarlyExit() { return kernels.earlyExit; }

  /// Writes what the model reads to the safetensors file at `path`: the
  /// checkpoint tensors its entry points use, as they are, and its derived
  /// weights, computed; a program built for the model maps them directly.
  /// Needs a session opened with `keepLayouts`.
  Status writeWeights(const std::string &path) const;

  /// From now on, the products record the statistics of their inputs (a
  /// calibration run; see Calibration.h), with `covariance` their inputs'
  /// covariance too.
  void startCalibration(bool covariance = false);

  /// Writes what the products recorded since `startCalibration` to the
  /// safetensors file at `path`: for each weight matrix, `NAME.importance`,
  /// the mean square of each input channel ([k], f32), NAME being its
  /// checkpoint name or its derived weight's, and (when asked for)
  /// `NAME.covariance`, the mean of x x^T ([k, k], f32). A checkpoint
  /// holding these gives quantization its importance (`loomc
  /// --quantize-importance`) and error feedback (`--quantize-gptq`).
  Status writeCalibration(const std::string &path) const;

  /// Runs `count` tokens at the current position, appends them to the
  /// cache, and writes `count * outputWidth` floats to `out` (only the last
  /// token's row, `outputWidth` floats, with `lastRowOnly`: decoders skip
  /// the other rows' LM head). Checks token ids and the cache capacity
  /// first.
  Status run(const int32_t *tokens, int64_t count, float *out,
             bool lastRowOnly = false);

  /// Runs `count` rows of float features (`count * info.inputWidth`
  /// floats) for a model whose input is features, as `run` does tokens.
  Status runFeatures(const float *features, int64_t count, float *out,
                     bool lastRowOnly = false);

private:
  /// Runs an entry point on `input` (token ids or features).
  Status runEntry(const cuda::EntryInput &input, float *out, bool lastRowOnly);
  /// Copies the weights the entry points read to the GPU and allocates the
  /// device's caches; `cpuInstead` as in SessionOptions.
  Status moveToDevice(const std::string &cpuInstead);
  /// Without `hostCaches`, the KV cache and running states live elsewhere
  /// (on the GPU).
  Session(const loom_model_def &model, ModelInfo info, WeightSet weights,
          int64_t maxSeq, int64_t numThreads, bool hostCaches);
  /// Completes the weight table after the checkpoint's tensors: computes the
  /// derived weights into memory of their own (the model's `prepare`, one at
  /// a time), repacks the weight matrices for the kernels, and gives back
  /// the memory of what is not read in its own layout any more.
  Status loadWeights();
  /// The description of table entry `entry`.
  const TensorSpec &specOf(size_t entry) const;

  const loom_model_def &model;
  ModelInfo info;
  WeightSet weights;
  int64_t maxSeq;
  int64_t position = 0;
  int64_t packedBytes = 0;
  std::vector<float> keys, values;
  /// Running states of cumulative sums and linear attention
  /// (`loom_context::states`).
  std::vector<float> states;
  /// One pointer per tensor of `info` (checkpoint tensors, then derived
  /// weights), for the generated code.
  std::vector<void *> weightTable;
  /// The mappings that hold the derived weights and the address ranges of
  /// half-precision matrices, and their sizes.
  std::vector<std::pair<void *, size_t>> derivedMemory;
  /// Per table entry: the element type of its packed panels.
  std::vector<WeightType> panelTypes;
  /// Per table entry: its index in `weights`, or -1 (a derived weight to
  /// compute, or a tensor not needed since what it derives is provided).
  std::vector<int64_t> bound;
  /// Per table entry: whether anything reads it (the entry points, or a
  /// derived weight that is computed).
  std::vector<bool> needed;
  /// See `SessionOptions`.
  bool keepLayouts = false;
  KernelState kernels;
  /// What a calibration run records.
  std::unique_ptr<ActivationStatistics> statistics;
  /// What the generated code receives: `weightTable` and `kernels`.
  loom_context context{};
  /// With `Device::Cuda`: the weights, caches and calls on the GPU.
  std::unique_ptr<cuda::DeviceModel> device;
};

} // namespace loom

#endif // LOOM_SESSION_H
