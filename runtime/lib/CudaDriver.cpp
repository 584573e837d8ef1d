//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -----------===//
//
// dlopen rather than a link-time dependency: the toolkit's stub libcuda.so
// has the SONAME libcuda.so.1, and a binary linked against it refuses to
// start where no driver is installed.
//
//===----------------------------------------------------------------------===//

#include "loom/CudaDriver.h"

#include <fmt/format.h>

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>

using namespace loom;
using namespace loom::cuda;

namespace {
/// CUDA_ERROR_NO_DEVICE.
constexpr Result kNoDevice = 100;
/// CUDA_ERROR_OUT_OF_MEMORY.
constexpr Result kOutOfMemory = 2;
/// `CU_MEMPOOL_ATTR_RELEASE_THRESHOLD`: how much freed memory a pool keeps
/// across synchronizations (0 by default: all of it goes back).
constexpr int kPoolReleaseThreshold = 4;
} // namespace

/// Reads the optional stream-ordered allocation functions into `api` and
/// makes device `device`'s default pool (`pool`) keep what is freed; false
/// (and the functions cleared) where the driver or the device has no pools.
static bool keepsPooledMemory(void *library, DriverApi &api, int device,
                              void *&pool) {
  api.memAllocAsync = reinterpret_cast<decltype(api.memAllocAsync)>(
      dlsym(library, "cuMemAllocAsync"));
  api.memFreeAsync = reinterpret_cast<decltype(api.memFreeAsync)>(
      dlsym(library, "cuMemFreeAsync"));
  api.deviceGetDefaultMemPool =
      reinterpret_cast<decltype(api.deviceGetDefaultMemPool)>(
          dlsym(library, "cuDeviceGetDefaultMemPool"));
  api.memPoolSetAttribute = reinterpret_cast<decltype(api.memPoolSetAttribute)>(
      dlsym(library, "cuMemPoolSetAttribute"));
  api.memPoolTrimTo = reinterpret_cast<decltype(api.memPoolTrimTo)>(
      dlsym(library, "cuMemPoolTrimTo"));
  uint64_t keepAll = UINT64_MAX;
  bool usable =
      api.memAllocAsync && api.memFreeAsync && api.deviceGetDefaultMemPool &&
      api.memPoolSetAttribute &&
      api.deviceGetDefaultMemPool(&pool, device) == 0 &&
      api.memPoolSetAttribute(pool, kPoolReleaseThreshold, &keepAll) == 0;
  if (!usable) {
    api.memAllocAsync = nullptr;
    api.memFreeAsync = nullptr;
  }
  return usable;
}

Expected<std::unique_ptr<Driver>> Driver::load(const std::string &path) {
  std::unique_ptr<Driver> driver(new Driver());
  driver->library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!driver->library) {
    const char *why = dlerror();
    return makeError(fmt::format(
        "no usable GPU: the CUDA driver ({}) could not be loaded: {}; install "
        "the NVIDIA driver, or run on the CPU",
        path, why ? why : "unknown reason"));
  }
  // Versioned names where the driver API has several (the _v2 functions
  // take 64-bit device pointers).
  struct Symbol {
    const char *name;
    void **slot;
  };
  DriverApi &api = driver->functions;
  const Symbol symbols[] = {
      {"cuInit", reinterpret_cast<void **>(&api.init)},
      {"cuDeviceGetCount", reinterpret_cast<void **>(&api.deviceGetCount)},
      {"cuDeviceGet", reinterpret_cast<void **>(&api.deviceGet)},
      {"cuDeviceGetName", reinterpret_cast<void **>(&api.deviceGetName)},
      {"cuDevicePrimaryCtxRetain",
       reinterpret_cast<void **>(&api.primaryCtxRetain)},
      {"cuCtxSetCurrent", reinterpret_cast<void **>(&api.ctxSetCurrent)},
      {"cuModuleLoadData", reinterpret_cast<void **>(&api.moduleLoadData)},
      {"cuModuleUnload", reinterpret_cast<void **>(&api.moduleUnload)},
      {"cuModuleGetFunction",
       reinterpret_cast<void **>(&api.moduleGetFunction)},
      {"cuLaunchKernel", reinterpret_cast<void **>(&api.launchKernel)},
      {"cuStreamCreate", reinterpret_cast<void **>(&api.streamCreate)},
      {"cuStreamSynchronize",
       reinterpret_cast<void **>(&api.streamSynchronize)},
      {"cuStreamDestroy_v2", reinterpret_cast<void **>(&api.streamDestroy)},
      {"cuMemAlloc_v2", reinterpret_cast<void **>(&api.memAlloc)},
      {"cuMemAllocManaged", reinterpret_cast<void **>(&api.memAllocManaged)},
      {"cuMemFree_v2", reinterpret_cast<void **>(&api.memFree)},
      {"cuMemcpyAsync", reinterpret_cast<void **>(&api.memcpyAsync)},
      {"cuMemsetD32Async", reinterpret_cast<void **>(&api.memsetD32Async)},
      {"cuGetErrorName", reinterpret_cast<void **>(&api.getErrorName)},
  };
  for (const Symbol &symbol : symbols) {
    *symbol.slot = dlsym(driver->library, symbol.name);
    if (!*symbol.slot)
      return makeError(fmt::format(
          "no usable GPU: the CUDA driver ({}) lacks {}; it is too old for "
          "this program",
          path, symbol.name));
  }
  if (Result result = api.init(0))
    return makeError(
        result == kNoDevice
            ? std::string("no usable GPU: the CUDA driver found no device")
            : "no usable GPU: " + driver->describe("cuInit", result));
  if (Result result = api.deviceGetCount(&driver->devices))
    return makeError("no usable GPU: " +
                     driver->describe("cuDeviceGetCount", result));
  if (driver->devices < 1)
    return makeError("no usable GPU: the CUDA driver found no device");
  int device = 0;
  if (Result result = api.deviceGet(&device, 0))
    return makeError("no usable GPU: " +
                     driver->describe("cuDeviceGet", result));
  char name[256] = {};
  if (api.deviceGetName(name, int(sizeof(name)) - 1, device) == 0)
    driver->name = name;
  if (Result result = api.primaryCtxRetain(&driver->context, device))
    return makeError("no usable GPU: " +
                     driver->describe("cuDevicePrimaryCtxRetain", result));
  if (Status status = driver->makeCurrent(); !status)
    return makeError("no usable GPU: " + status.getError());
  driver->memoryPool =
      keepsPooledMemory(driver->library, api, device, driver->pool);
  return driver;
}

Driver::~Driver() {
  // A driver that came up keeps its primary context as long as the process
  // and stays mapped (its atexit handlers may still run); one that failed
  // to is closed.
  if (library && !context)
    dlclose(library);
}

std::string Driver::describe(const char *what, Result result) const {
  const char *errorName = nullptr;
  if (functions.getErrorName)
    functions.getErrorName(result, &errorName);
  return fmt::format("{} failed: {} ({})", what,
                     errorName ? errorName : "unknown CUDA error", result);
}

Result Driver::allocate(DevicePtr *pointer, size_t bytes) const {
  Result result = functions.memAlloc(pointer, bytes);
  // Out of memory: what the pool holds may be the difference.
  if (result != kOutOfMemory || !memoryPool || !functions.memPoolTrimTo ||
      functions.memPoolTrimTo(pool, 0) != 0)
    return result;
  return functions.memAlloc(pointer, bytes);
}

Status Driver::makeCurrent() const {
  if (Result result = functions.ctxSetCurrent(context))
    return makeError(describe("cuCtxSetCurrent", result));
  return Status::success();
}

Expected<Driver *> Driver::get() {
  // Never destroyed: MLIR's generated destructors unload the kernels'
  // modules after static objects are gone.
  static std::once_flag once;
  static Driver *driver = nullptr;
  static std::string *error = nullptr;
  std::call_once(once, [] {
    const char *path = std::getenv("LOOM_CUDA_DRIVER");
    Expected<std::unique_ptr<Driver>> loaded =
        load(path && *path ? path : "libcuda.so.1");
    if (loaded)
      driver = loaded->release();
    else
      error = new std::string(loaded.getError());
  });
  if (!driver)
    return makeError(*error);
  return driver;
}
