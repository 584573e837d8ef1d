//===- GpuRuntime.cpp - The entry points MLIR's GPU host code calls -------===//
//
// MLIR lowers `gpu` dialect host code (`--gpu-to-llvm`) to calls of
// `mgpu*` functions: module loading (from a global constructor, one per
// embedded kernel binary), kernel launches, streams and device memory.
// Debian's MLIR ships no library that provides them, so the runtime does,
// on the driver it loads at run time (CudaDriver.h). None of them may crash
// or abort without a GPU: each records the first failure (`firstError()`)
// and returns a null handle or does nothing, and the program reports that
// message when it is asked to run on the GPU.
//
//===----------------------------------------------------------------------===//

#include "loom/CudaDriver.h"

#include <mutex>

using namespace loom;
using namespace loom::cuda;

namespace {

std::mutex errorMutex;
std::string recordedError;

/// Keeps the first failure of the process.
void recordError(const std::string &message) {
  std::lock_guard<std::mutex> lock(errorMutex);
  if (recordedError.empty())
    recordedError = message;
}

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

} // namespace

std::string loom::cuda::firstError() {
  std::lock_guard<std::mutex> lock(errorMutex);
  return recordedError;
}

extern "C" {

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  Driver *driver = currentDriver();
  void *module = nullptr;
  if (!driver || !check(driver, "cuModuleLoadData",
                        driver->api().moduleLoadData(&module, data)))
    return nullptr;
  return module;
}

void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  // PTX text: the driver compiles it for the device.
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *module) {
  if (!module)
    return;
  if (Driver *driver = currentDriver())
    check(driver, "cuModuleUnload", driver->api().moduleUnload(module));
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module)
    return nullptr;
  Driver *driver = currentDriver();
  void *function = nullptr;
  if (!driver ||
      !check(driver, "cuModuleGetFunction",
             driver->api().moduleGetFunction(&function, module, name)))
    return nullptr;
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  if (!function) {
    recordError("a GPU kernel was launched whose module did not load");
    return;
  }
  if (Driver *driver = currentDriver())
    check(driver, "cuLaunchKernel",
          driver->api().launchKernel(
              function, unsigned(gridX), unsigned(gridY), unsigned(gridZ),
              unsigned(blockX), unsigned(blockY), unsigned(blockZ),
              unsigned(sharedBytes), stream, params, extra));
}

void *mgpuStreamCreate() {
  Driver *driver = currentDriver();
  void *stream = nullptr;
  if (!driver || !check(driver, "cuStreamCreate",
                        driver->api().streamCreate(&stream, /*flags=*/0)))
    return nullptr;
  return stream;
}

void mgpuStreamSynchronize(void *stream) {
  if (Driver *driver = currentDriver())
    check(driver, "cuStreamSynchronize",
          driver->api().streamSynchronize(stream));
}

void mgpuStreamDestroy(void *stream) {
  if (!stream)
    return;
  if (Driver *driver = currentDriver())
    check(driver, "cuStreamDestroy", driver->api().streamDestroy(stream));
}

void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/, bool hostShared) {
  Driver *driver = currentDriver();
  if (!driver)
    return nullptr;
  DevicePtr pointer = 0;
  // Host-shared memory is managed memory, reachable from both sides
  // (CU_MEM_ATTACH_GLOBAL).
  Result result =
      hostShared ? driver->api().memAllocManaged(&pointer, bytes, /*flags=*/1)
                 : driver->api().memAlloc(&pointer, bytes);
  if (!check(driver, hostShared ? "cuMemAllocManaged" : "cuMemAlloc", result))
    return nullptr;
  return reinterpret_cast<void *>(uintptr_t(pointer));
}

void mgpuMemFree(void *pointer, void * /*stream*/) {
  if (!pointer)
    return;
  if (Driver *driver = currentDriver())
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
