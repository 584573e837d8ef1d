//===- DeviceModel.cpp - A model's weights and caches on a CUDA GPU -------===//

#include "loom/DeviceModel.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

using namespace loom;
using namespace loom::cuda;

static constexpr int64_t kFloat = sizeof(float);

Expected<std::unique_ptr<DeviceModel>>
DeviceModel::create(const loom_model_def &model, const ModelInfo &info,
                    const std::vector<HostWeight> &weights, int64_t maxSeq,
                    const std::string &cpuInstead) {
  Expected<Driver *> driver = Driver::get();
  if (!driver)
    return makeError(driver.getError() + " (" + cpuInstead + ")");
  if (Status status = (*driver)->makeCurrent(); !status)
    return status.takeError();
  std::unique_ptr<DeviceModel> device(new DeviceModel(model, info, **driver));

  device->table.assign(weights.size(), nullptr);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!weights[i].data)
      continue;
    std::string what = fmt::format("weight '{}'", weights[i].name);
    Expected<void *> memory =
        device->allocate(std::max<size_t>(weights[i].bytes, 1), what.c_str());
    if (!memory)
      return memory.takeError();
    if (Status status =
            device->copy(*memory, weights[i].data, weights[i].bytes);
        !status)
      return status.takeError();
    device->table[i] = *memory;
    device->weightBytes += int64_t(weights[i].bytes);
    if (weights[i].streamed)
      device->streamedBytes += int64_t(weights[i].bytes);
  }
  device->cacheFloats = maxSeq * info.kvWidth;
  int64_t inputBytes =
      maxSeq * std::max<int64_t>(int64_t(sizeof(int32_t)),
                                 info.inputWidth * int64_t(sizeof(float)));
  int64_t outputBytes = maxSeq * info.outputWidth * int64_t(sizeof(float));
  struct Buffer {
    void **slot;
    int64_t bytes;
    const char *what;
  };
  for (Buffer buffer :
       {Buffer{&device->keys, device->cacheFloats * kFloat, "the key cache"},
        Buffer{&device->values, device->cacheFloats * kFloat,
               "the value cache"},
        Buffer{&device->states, info.stateFloats * kFloat,
               "the running states"},
        Buffer{&device->input, inputBytes, "the input rows"},
        Buffer{&device->output, outputBytes, "the output rows"}}) {
    Expected<void *> memory = device->allocate(
        size_t(std::max<int64_t>(buffer.bytes, 4)), buffer.what);
    if (!memory)
      return memory.takeError();
    *buffer.slot = *memory;
  }
  // The states start at zero (entry points reset them at position 0).
  Result result = (*driver)->api().memsetD32Async(
      DevicePtr(reinterpret_cast<uintptr_t>(device->states)), 0,
      size_t(std::max<int64_t>(info.stateFloats, 1)), nullptr);
  if (result != 0)
    return makeError((*driver)->describe("cuMemsetD32Async", result));
  return device;
}

DeviceModel::~DeviceModel() {
  // The driver's current context is per thread.
  if (!driver.makeCurrent())
    return;
  for (void *memory : allocations)
    driver.api().memFree(DevicePtr(reinterpret_cast<uintptr_t>(memory)));
}

Expected<void *> DeviceModel::allocate(size_t bytes, const char *what) {
  DevicePtr pointer = 0;
  if (Result result = driver.allocate(&pointer, bytes); result != 0)
    return makeError(fmt::format("cannot allocate {} bytes of GPU memory for "
                                 "{}: {}",
                                 bytes, what,
                                 driver.describe("cuMemAlloc", result)));
  void *memory = reinterpret_cast<void *>(uintptr_t(pointer));
  allocations.push_back(memory);
  return memory;
}

Status DeviceModel::copy(void *destination, const void *source, size_t bytes) {
  // Unified addressing: the driver tells host and device memory apart.
  Result result = driver.api().memcpyAsync(
      DevicePtr(reinterpret_cast<uintptr_t>(destination)),
      DevicePtr(reinterpret_cast<uintptr_t>(source)), bytes, nullptr);
  if (result == 0)
    result = driver.api().streamSynchronize(nullptr);
  if (result != 0)
    return makeError(driver.describe("copying to or from the GPU", result));
  return Status::success();
}

Status DeviceModel::checkKernels() const {
  if (std::string error = takeFirstError(); !error.empty())
    return makeError("the GPU failed: " + error);
  return Status::success();
}

Status DeviceModel::run(const EntryInput &entryInput, int64_t pos, float *out,
                        bool lastRowOnly, loom_kernel_state *kernels) {
  // A session may be used from any thread (one call at a time).
  if (Status status = driver.makeCurrent(); !status)
    return status;
  // What an earlier call (or another instance) left recorded is not this
  // call's failure.
  takeFirstError();
  int64_t count = entryInput.count;
  size_t inputBytes =
      size_t(count) * (entryInput.width == 0
                           ? sizeof(int32_t)
                           : size_t(entryInput.width) * sizeof(float));
  if (Status status = copy(input, entryInput.data, inputBytes); !status)
    return status;
  auto *inputData = static_cast<float *>(input);
  auto tokenRef =
      makeMemRef<int32_t, 1>(static_cast<int32_t *>(input), {count});
  auto featureRef = makeMemRef<float, 2>(inputData, {count, entryInput.width});
  void *inputRef = entryInput.width == 0 ? static_cast<void *>(&tokenRef)
                                         : static_cast<void *>(&featureRef);
  auto keyRef = makeMemRef<float, 1>(static_cast<float *>(keys), {cacheFloats});
  auto valueRef =
      makeMemRef<float, 1>(static_cast<float *>(values), {cacheFloats});
  int64_t rows = lastRowOnly ? 1 : count;
  auto outRef = makeMemRef<float, 2>(static_cast<float *>(output),
                                     {rows, info.outputWidth});
  loom_context context{table.data(), kernels, static_cast<float *>(states)};
  loom_entry_fn entry = lastRowOnly ? model.forward_last : model.forward;
  entry(&context, inputRef, pos, &keyRef, &valueRef, &outRef);
  if (Status status = checkKernels(); !status)
    return status;
  return copy(out, output, size_t(rows * info.outputWidth) * sizeof(float));
}

Expected<double> DeviceModel::measureCopyBandwidth(size_t bytes) {
  if (Status status = driver.makeCurrent(); !status)
    return status.takeError();
  DevicePtr source = 0, destination = 0;
  if (Result result = driver.allocate(&source, bytes); result != 0)
    return makeError(driver.describe("cuMemAlloc", result));
  Result result = driver.allocate(&destination, bytes);
  if (result != 0) {
    driver.api().memFree(source);
    return makeError(driver.describe("cuMemAlloc", result));
  }
  // One copy to warm up, then the best of five.
  double best = 0;
  for (int round = 0; round < 6 && result == 0; ++round) {
    auto start = std::chrono::steady_clock::now();
    result = driver.api().memcpyAsync(destination, source, bytes, nullptr);
    if (result == 0)
      result = driver.api().streamSynchronize(nullptr);
    std::chrono::duration<double> seconds =
        std::chrono::steady_clock::now() - start;
    if (round > 0 && seconds.count() > 0)
      best = std::max(best, 2.0 * double(bytes) / seconds.count());
  }
  driver.api().memFree(source);
  driver.api().memFree(destination);
  if (result != 0)
    return makeError(driver.describe("copying on the GPU", result));
  return best;
}
