//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// A program or library built for NVIDIA GPUs must still start on a machine
// without a GPU or driver, so the runtime never links libcuda: it opens
// `libcuda.so.1` with dlopen when a GPU is first needed and reads the driver
// functions it calls from it. Loading fails softly, with a message that says
// why no GPU can be used (no driver, no device, a driver too old), which the
// program reports before falling back or stopping.
//
// Only the driver API's C types are mirrored here (opaque handles, `int`
// results), so the runtime builds without the CUDA toolkit's headers.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_RUNTIME_CUDADRIVER_H
#define LOOM_RUNTIME_CUDADRIVER_H

#include "loom/Support.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace loom::cuda {

/// `CUresult`: 0 is success.
using Result = int;
/// `CUdeviceptr`.
using DevicePtr = unsigned long long;

/// The driver functions the runtime calls, with the driver API's signatures
/// (handles as `void *`).
struct DriverApi {
  Result (*init)(unsigned flags);
  Result (*deviceGetCount)(int *count);
  Result (*deviceGet)(int *device, int ordinal);
  Result (*deviceGetName)(char *name, int length, int device);
  Result (*primaryCtxRetain)(void **context, int device);
  Result (*ctxSetCurrent)(void *context);
  Result (*moduleLoadData)(void **module, const void *image);
  Result (*moduleUnload)(void *module);
  Result (*moduleGetFunction)(void **function, void *module, const char *name);
  Result (*launchKernel)(void *function, unsigned gridX, unsigned gridY,
                         unsigned gridZ, unsigned blockX, unsigned blockY,
                         unsigned blockZ, unsigned sharedBytes, void *stream,
                         void **params, void **extra);
  Result (*streamCreate)(void **stream, unsigned flags);
  Result (*streamSynchronize)(void *stream);
  Result (*streamDestroy)(void *stream);
  Result (*memAlloc)(DevicePtr *pointer, size_t bytes);
  Result (*memAllocManaged)(DevicePtr *pointer, size_t bytes, unsigned flags);
  Result (*memFree)(DevicePtr pointer);
  Result (*memcpyAsync)(DevicePtr destination, DevicePtr source, size_t bytes,
                        void *stream);
  Result (*memsetD32Async)(DevicePtr destination, unsigned value, size_t count,
                           void *stream);
  Result (*getErrorName)(Result result, const char **name);
  // Optional (CUDA 11.2 and later): stream-ordered allocation from the
  // device's memory pool. Null where the driver lacks them.
  Result (*memAllocAsync)(DevicePtr *pointer, size_t bytes, void *stream);
  Result (*memFreeAsync)(DevicePtr pointer, void *stream);
  Result (*deviceGetDefaultMemPool)(void **pool, int device);
  Result (*memPoolSetAttribute)(void *pool, int attribute, void *value);
  Result (*memPoolTrimTo)(void *pool, size_t keep);
};

/// The driver library, initialized, with device 0's primary context current
/// on the thread that loaded it.
class Driver {
public:
  /// Opens the driver library at `path` (a name dlopen searches for, such as
  /// `libcuda.so.1`, or a path), reads its functions, initializes it and
  /// makes device 0's primary context current. The error says why no GPU
  /// can be used.
  static Expected<std::unique_ptr<Driver>> load(const std::string &path);

  /// The process's driver, loaded on first use from `$LOOM_CUDA_DRIVER` or
  /// else `libcuda.so.1`; the same error every time if that failed.
  static Expected<Driver *> get();

  ~Driver();
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  const DriverApi &api() const { return functions; }
  /// Device 0's name, as the driver reports it.
  const std::string &deviceName() const { return name; }
  /// Devices the driver found.
  int deviceCount() const { return devices; }
  /// Whether buffers are allocated and freed in stream order, from device
  /// 0's memory pool, which keeps what is freed for the next allocations
  /// (`cuMemAllocAsync`): the driver has the functions, the device a pool,
  /// and the pool took the setting. Otherwise `cuMemAlloc`, and a free
  /// waits for its stream.
  bool streamOrderedMemory() const { return memoryPool; }
  /// `cuMemAlloc`, and where it fails for want of memory the pool keeps,
  /// again after giving the pool's unused memory back (the pool keeps what
  /// the model's steps freed, which plain allocations cannot take).
  Result allocate(DevicePtr *pointer, size_t bytes) const;
  /// `what` failed with `result`: a message naming the driver's error.
  std::string describe(const char *what, Result result) const;

  /// Makes device 0's primary context current on the calling thread (the
  /// driver's current context is per thread).
  Status makeCurrent() const;

private:
  Driver() = default;

  void *library = nullptr;
  DriverApi functions = {};
  void *context = nullptr;
  std::string name;
  int devices = 0;
  bool memoryPool = false;
  void *pool = nullptr;
};

/// The first error a GPU entry point (`mgpu*`) met in this process, or an
/// empty string. Entry points called from a global constructor (module
/// loading) cannot return errors: the program reads this to say why no GPU
/// could be used.
std::string firstError();

/// The same, cleared: a run reads it when it ends, so that the next starts
/// afresh.
std::string takeFirstError();

} // namespace loom::cuda

#endif // LOOM_RUNTIME_CUDADRIVER_H
