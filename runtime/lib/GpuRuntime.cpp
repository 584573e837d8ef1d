//===- GpuRuntime.cpp - The entry points MLIR's GPU host code calls -------===//
//
// MLIR lowers `gpu` dialect host code (`--gpu-to-llvm`) to calls of
// `mgpu*` functions: module loading (from a global constructor, one per
// embedded kernel binary), kernel launches, streams and device memory.
// Debian's MLIR ships no library that provides them, so the runtime does,
// on the driver it loads at run time (CudaDriver.h).
//
// MLIR's host code makes a stream for each basic block that launches
// kernels, synchronizes it at the block's end and destroys it, and frees
// buffers as soon as their last use is queued. Here each thread has one
// stream, which those calls reuse (a stream is made once a thread, not once
// a block), and buffers come from the device's memory pool in stream order
// (`cuMemAllocAsync`, `cuMemFreeAsync`: a free waits for nothing, and the
// pool keeps the memory for the next step) where the driver has pools.
//
// None of them may crash
// or abort without a GPU: each records the first failure (`firstError()`)
// and returns a null handle or does nothing, and the program reports that
// message when it is asked to run on the GPU.
//
//===----------------------------------------------------------------------===//

#include "loom/CudaDriver.h"

#include <fmt/format.h>

#include <mutex>
#include <unordered_set>
#include <utility>

using namespace loom;
using namespace loom::cuda;

namespace {

/// The first failure of the process. Never destroyed, and built on first
/// use: module loading runs from MLIR's constructors, before this file's
/// static objects would be initialized, and unloading after they are gone.
struct ErrorState {
  std::mutex mutex;
  std::string message;
};
ErrorState &errorState() {
  static ErrorState *state = new ErrorState;
  return *state;
}

/// Keeps the first failure since it was last taken.
void recordError(const std::string &message) {
  ErrorState &state = errorState();
  std::lock_guard<std::mutex> lock(state.mutex);
  if (state.message.empty())
    state.message = message;
}

/// True while a failure is recorded (and not yet taken).
bool errorPending() {
  ErrorState &state = errorState();
  std::lock_guard<std::mutex> lock(state.mutex);
  return !state.message.empty();
}

/// A kernel binary embedded in the program, loaded into the driver when a
/// kernel of it is first asked for: a program that runs on the CPU, or only
/// prints its usage, never starts the driver.
struct LazyModule {
  const void *image;
  void *module = nullptr;
  std::once_flag once;
};

/// The driver with its context current on this thread, or null (the error
/// recorded). The context is made current once a thread, not on every
/// launch and copy.
Driver *currentDriver() {
  thread_local Driver *current = nullptr;
  if (current)
    return current;
  Expected<Driver *> driver = Driver::get();
  if (!driver) {
    recordError(driver.getError());
    return nullptr;
  }
  if (Status status = (*driver)->makeCurrent(); !status) {
    recordError(status.getError());
    return nullptr;
  }
  current = *driver;
  return current;
}

/// Records `what`'s failure; true when `result` is success.
bool check(Driver *driver, const char *what, Result result) {
  if (result == 0)
    return true;
  recordError(driver->describe(what, result));
  return false;
}

DevicePtr devicePointer(void *pointer) {
  return DevicePtr(reinterpret_cast<uintptr_t>(pointer));
}

/// This thread's stream, made on first use and destroyed when the thread
/// ends (for the main thread, at exit, before the exit handlers the driver
/// registered: glibc runs a thread's thread-local destructors first).
struct ThreadStream {
  Driver *driver = nullptr;
  void *stream = nullptr;
  ~ThreadStream() {
    if (stream && driver->makeCurrent())
      driver->api().streamDestroy(stream);
  }
};
thread_local ThreadStream threadStream;

/// Managed (host-shared) buffers, which are freed with `cuMemFree` even
/// where the others go back to the pool.
struct ManagedBuffers {
  std::mutex mutex;
  std::unordered_set<void *> pointers;
};
ManagedBuffers &managedBuffers() {
  static ManagedBuffers *buffers = new ManagedBuffers;
  return *buffers;
}

} // namespace

std::string loom::cuda::firstError() {
  ErrorState &state = errorState();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.message;
}

std::string loom::cuda::takeFirstError() {
  ErrorState &state = errorState();
  std::lock_guard<std::mutex> lock(state.mutex);
  return std::exchange(state.message, std::string());
}

extern "C" {

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return new LazyModule{data, nullptr, {}};
}

void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  // PTX text: the driver compiles it for the device when it loads it.
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *handle) {
  auto *lazy = static_cast<LazyModule *>(handle);
  if (!lazy)
    return;
  if (lazy->module)
    if (Driver *driver = currentDriver())
      check(driver, "cuModuleUnload", driver->api().moduleUnload(lazy->module));
  delete lazy;
}

void *mgpuModuleGetFunction(void *handle, const char *name) {
  auto *lazy = static_cast<LazyModule *>(handle);
  if (!lazy)
    return nullptr;
  Driver *driver = currentDriver();
  if (!driver)
    return nullptr;
  std::call_once(lazy->once, [&] {
    Result result = driver->api().moduleLoadData(&lazy->module, lazy->image);
    if (result != 0)
      recordError(driver->describe("loading the model's GPU kernels "
                                   "(cuModuleLoadData)",
                                   result) +
                  "; a binary for another GPU architecture? (loomc "
                  "--gpu-chip)");
  });
  void *function = nullptr;
  if (!lazy->module ||
      !check(driver, "cuModuleGetFunction",
             driver->api().moduleGetFunction(&function, lazy->module, name)))
    return nullptr;
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  // A loop over nothing (an empty buffer) has no blocks; the driver would
  // refuse the launch.
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockY <= 0 ||
      blockZ <= 0)
    return;
  // After a failure (an allocation that failed, say), launches would read
  // null pointers: the call that met it is abandoned.
  if (errorPending())
    return;
  if (!function) {
    recordError("a GPU kernel was launched whose module did not load");
    return;
  }
  Driver *driver = currentDriver();
  if (!driver)
    return;
  if (Result result = driver->api().launchKernel(
          function, unsigned(gridX), unsigned(gridY), unsigned(gridZ),
          unsigned(blockX), unsigned(blockY), unsigned(blockZ),
          unsigned(sharedBytes), stream, params, extra))
    recordError(driver->describe("cuLaunchKernel", result) +
                fmt::format(" for a grid of {} x {} x {} blocks of {} x {} x "
                            "{} threads",
                            gridX, gridY, gridZ, blockX, blockY, blockZ));
}

void *mgpuStreamCreate() {
  if (threadStream.stream)
    return threadStream.stream;
  Driver *driver = currentDriver();
  void *stream = nullptr;
  // Flags 0: a blocking stream, which the null stream the runtime copies
  // the inputs and outputs on waits for (DeviceModel.cpp).
  if (!driver || !check(driver, "cuStreamCreate",
                        driver->api().streamCreate(&stream, /*flags=*/0)))
    return nullptr;
  threadStream.driver = driver;
  threadStream.stream = stream;
  return stream;
}

void mgpuStreamSynchronize(void *stream) {
  if (Driver *driver = currentDriver())
    check(driver, "cuStreamSynchronize",
          driver->api().streamSynchronize(stream));
}

void mgpuStreamDestroy(void *stream) {
  // The thread's stream outlives the block that asked for it.
  if (!stream || stream == threadStream.stream)
    return;
  if (Driver *driver = currentDriver())
    check(driver, "cuStreamDestroy", driver->api().streamDestroy(stream));
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared) {
  // An empty buffer has no memory (the driver refuses 0 bytes).
  if (bytes == 0)
    return nullptr;
  Driver *driver = currentDriver();
  if (!driver)
    return nullptr;
  DevicePtr pointer = 0;
  if (hostShared) {
    // Managed memory, reachable from both sides (CU_MEM_ATTACH_GLOBAL).
    if (!check(driver, "cuMemAllocManaged",
               driver->api().memAllocManaged(&pointer, bytes, /*flags=*/1)))
      return nullptr;
    void *memory = reinterpret_cast<void *>(uintptr_t(pointer));
    ManagedBuffers &managed = managedBuffers();
    std::lock_guard<std::mutex> lock(managed.mutex);
    managed.pointers.insert(memory);
    return memory;
  }
  bool pooled = driver->streamOrderedMemory();
  Result result = pooled ? driver->api().memAllocAsync(&pointer, bytes, stream)
                         : driver->api().memAlloc(&pointer, bytes);
  if (!check(driver, pooled ? "cuMemAllocAsync" : "cuMemAlloc", result))
    return nullptr;
  return reinterpret_cast<void *>(uintptr_t(pointer));
}

void mgpuMemFree(void *pointer, void *stream) {
  if (!pointer)
    return;
  Driver *driver = currentDriver();
  if (!driver)
    return;
  bool managed = false;
  {
    ManagedBuffers &buffers = managedBuffers();
    std::lock_guard<std::mutex> lock(buffers.mutex);
    managed = buffers.pointers.erase(pointer) != 0;
  }
  // In stream order: the pool reuses the memory once the kernels queued
  // before the free are done with it.
  if (!managed && driver->streamOrderedMemory()) {
    check(driver, "cuMemFreeAsync",
          driver->api().memFreeAsync(devicePointer(pointer), stream));
    return;
  }
  // Kernels queued on the stream may still read the buffer.
  if (check(driver, "cuStreamSynchronize",
            driver->api().streamSynchronize(stream)))
    check(driver, "cuMemFree", driver->api().memFree(devicePointer(pointer)));
}

void mgpuMemcpy(void *destination, void *source, size_t bytes, void *stream) {
  if (Driver *driver = currentDriver())
    check(driver, "cuMemcpyAsync",
          driver->api().memcpyAsync(devicePointer(destination),
                                    devicePointer(source), bytes, stream));
}

void mgpuMemset32(void *destination, unsigned value, size_t count,
                  void *stream) {
  if (Driver *driver = currentDriver())
    check(driver, "cuMemsetD32Async",
          driver->api().memsetD32Async(devicePointer(destination), value, count,
                                       stream));
}

} // extern "C"
