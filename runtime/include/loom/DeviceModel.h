//===- DeviceModel.h - A model on a CUDA GPU --------------------*- C++ -*-===//
//
// The device half of a session on a GPU (`--device=cuda`): the weight table
// copied to device memory once (the host session computes derived weights
// first), the KV cache, running states and the input and output rows in
// device memory, and the calls of the model's device entry points
// (loom_model_def::device), whose kernels MLIR's host code launches through
// the runtime's mgpu* functions (GpuRuntime.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_RUNTIME_DEVICEMODEL_H
#define LOOM_RUNTIME_DEVICEMODEL_H

#include "loom/CudaDriver.h"
#include "loom/Model.h"
#include "loom/Support.h"
#include "loom/loom_abi.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loom::cuda {

/// One table entry to copy to the device.
struct HostWeight {
  /// Null: not read by the entry points (nothing is copied).
  const void *data = nullptr;
  size_t bytes = 0;
  /// Read whole by every decode step (not a table read by rows).
  bool streamed = true;
  /// The checkpoint name, for messages.
  std::string name;
};

/// The input of one entry-point call: token ids or rows of features.
struct EntryInput {
  /// `count` int32 ids, or `count * width` floats.
  const void *data = nullptr;
  int64_t count = 0;
  /// Floats a row; 0 for token ids.
  int64_t width = 0;
};

class DeviceModel {
public:
  /// Copies `weights` to the device and allocates a KV cache of `maxSeq`
  /// positions, the running states and room for `maxSeq` rows in and out.
  /// Without a usable GPU, the error names `cpuInstead`, how the caller
  /// runs on the CPU instead.
  static Expected<std::unique_ptr<DeviceModel>>
  create(const loom_model_def &model, const ModelInfo &info,
         const std::vector<HostWeight> &weights, int64_t maxSeq,
         const std::string &cpuInstead);
  ~DeviceModel();
  DeviceModel(const DeviceModel &) = delete;
  DeviceModel &operator=(const DeviceModel &) = delete;

  /// Runs `input` at position `pos` and copies the output rows (the last
  /// row only with `lastRowOnly`) to `out`. `kernels` is the host session's
  /// kernel state, which the context carries.
  Status run(const EntryInput &input, int64_t pos, float *out, bool lastRowOnly,
             loom_kernel_state *kernels);

  /// Bytes of device memory the weights take.
  int64_t getWeightBytes() const { return weightBytes; }
  /// Bytes of weights a decode step reads (all but tables read by rows).
  int64_t getStreamedBytes() const { return streamedBytes; }
  /// The device's name.
  const std::string &getDeviceName() const { return driver.deviceName(); }

  /// The device's memory bandwidth as a device-to-device copy of `bytes`
  /// measures it (bytes read plus bytes written, per second).
  Expected<double> measureCopyBandwidth(size_t bytes = size_t(512) << 20);

private:
  DeviceModel(const loom_model_def &model, const ModelInfo &info,
              Driver &driver)
      : model(model), info(info), driver(driver) {}
  /// Allocates `bytes` of device memory (kept until destruction).
  Expected<void *> allocate(size_t bytes, const char *what);
  /// Copies `bytes` between host and device (either way) and waits.
  Status copy(void *destination, const void *source, size_t bytes);
  /// The first GPU error the entry points recorded during this call, as a
  /// status (cleared).
  Status checkKernels() const;

  const loom_model_def &model;
  const ModelInfo &info;
  Driver &driver;
  std::vector<void *> allocations;
  /// Device addresses, one per table entry.
  std::vector<void *> table;
  void *keys = nullptr, *values = nullptr, *states = nullptr;
  void *input = nullptr, *output = nullptr;
  int64_t cacheFloats = 0;
  int64_t weightBytes = 0;
  int64_t streamedBytes = 0;
};

} // namespace loom::cuda

#endif // LOOM_RUNTIME_DEVICEMODEL_H
