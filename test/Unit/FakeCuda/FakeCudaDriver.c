/* A stand-in for libcuda.so.1 with which the runtime's GPU entry points
 * (runtime/lib/GpuRuntime.cpp) are tested on machines without a GPU: device
 * memory is host memory, a "module" is its image, and its one "kernel",
 * add_one(float *x, int64_t n), runs on the host when launched.
 * $FAKE_CUDA_DEVICES sets the device count (0: cuInit reports no device);
 * $FAKE_CUDA_NO_POOLS makes the device report no memory pools. Streams are
 * distinct handles; fakeCudaCounters() tells a test how many streams are
 * alive and how many stream-ordered allocations are outstanding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
enum { kSuccess = 0, kInvalidValue = 1, kNoDevice = 100, kNotFound = 500 };

static int deviceCount(void) {
  const char *count = getenv("FAKE_CUDA_DEVICES");
  return count ? atoi(count) : 1;
}

CUresult cuInit(unsigned flags) {
  (void)flags;
  return deviceCount() > 0 ? kSuccess : kNoDevice;
}
CUresult cuDeviceGetCount(int *count) {
  *count = deviceCount();
  return kSuccess;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return ordinal < deviceCount() ? kSuccess : kInvalidValue;
}
CUresult cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  strncpy(name, "Fake GPU", (size_t)length);
  return kSuccess;
}
static int context;
CUresult cuDevicePrimaryCtxRetain(void **ctx, int device) {
  (void)device;
  *ctx = &context;
  return kSuccess;
}
CUresult cuCtxSetCurrent(void *ctx) { return ctx == &context ? kSuccess : 1; }
CUresult cuModuleLoadData(void **module, const void *image) {
  if (!image)
    return kInvalidValue;
  *module = (void *)image;
  return kSuccess;
}
CUresult cuModuleUnload(void *module) {
  return module ? kSuccess : kInvalidValue;
}

static void addOne(void **params) {
  float *x = *(float **)params[0];
  int64_t n = *(int64_t *)params[1];
  for (int64_t i = 0; i < n; ++i)
    x[i] += 1.0f;
}
CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  (void)module;
  if (strcmp(name, "add_one") != 0)
    return kNotFound;
  *function = (void *)addOne;
  return kSuccess;
}
CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  (void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz, (void)smem,
      (void)stream, (void)extra;
  ((void (*)(void **))function)(params);
  return kSuccess;
}
enum { kStreamMagic = 0x5743 };
static int liveStreams, pooledBuffers;
/* The counters tests read (found with dlsym). */
void fakeCudaCounters(int *streams, int *pooled) {
  *streams = liveStreams;
  *pooled = pooledBuffers;
}
static int isStream(void *s) { return s && *(int *)s == kStreamMagic; }
CUresult cuStreamCreate(void **s, unsigned flags) {
  (void)flags;
  int *handle = (int *)malloc(sizeof(int));
  *handle = kStreamMagic;
  *s = handle;
  ++liveStreams;
  return kSuccess;
}
/* NULL is the default stream. */
CUresult cuStreamSynchronize(void *s) {
  return !s || isStream(s) ? kSuccess : kInvalidValue;
}
CUresult cuStreamDestroy_v2(void *s) {
  if (!isStream(s))
    return kInvalidValue;
  *(int *)s = 0;
  free(s);
  --liveStreams;
  return kSuccess;
}
CUresult cuMemAlloc_v2(unsigned long long *pointer, size_t bytes) {
  if (bytes == 0) /* as the real driver */
    return kInvalidValue;
  *pointer = (unsigned long long)(uintptr_t)malloc(bytes);
  return *pointer ? kSuccess : 2;
}
CUresult cuMemAllocManaged(unsigned long long *pointer, size_t bytes,
                           unsigned flags) {
  (void)flags;
  return cuMemAlloc_v2(pointer, bytes);
}
CUresult cuMemFree_v2(unsigned long long pointer) {
  free((void *)(uintptr_t)pointer);
  return kSuccess;
}
static int pool;
CUresult cuDeviceGetDefaultMemPool(void **memPool, int device) {
  (void)device;
  if (getenv("FAKE_CUDA_NO_POOLS"))
    return 801; /* CUDA_ERROR_NOT_SUPPORTED */
  *memPool = &pool;
  return kSuccess;
}
CUresult cuMemPoolSetAttribute(void *memPool, int attribute, void *value) {
  /* Only the release threshold (4), set to keep everything. */
  return memPool == &pool && attribute == 4 && *(uint64_t *)value == UINT64_MAX
             ? kSuccess
             : kInvalidValue;
}
/* The pool's outstanding buffers: a free of anything else is refused, as
 * the real driver refuses a pointer the pool did not give out. */
enum { kMaxPooled = 4096 };
static void *pooled[kMaxPooled];
CUresult cuMemAllocAsync(unsigned long long *pointer, size_t bytes, void *s) {
  if (bytes == 0 || (s && !isStream(s)))
    return kInvalidValue;
  for (int i = 0; i < kMaxPooled; ++i) {
    if (pooled[i])
      continue;
    pooled[i] = malloc(bytes);
    if (!pooled[i])
      return 2;
    *pointer = (unsigned long long)(uintptr_t)pooled[i];
    ++pooledBuffers;
    return kSuccess;
  }
  return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
}
CUresult cuMemFreeAsync(unsigned long long pointer, void *s) {
  if (s && !isStream(s))
    return kInvalidValue;
  for (int i = 0; i < kMaxPooled; ++i)
    if (pooled[i] && (unsigned long long)(uintptr_t)pooled[i] == pointer) {
      free(pooled[i]);
      pooled[i] = NULL;
      --pooledBuffers;
      return kSuccess;
    }
  return kInvalidValue;
}
CUresult cuMemcpyAsync(unsigned long long dst, unsigned long long src,
                       size_t bytes, void *s) {
  (void)s;
  memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
  return kSuccess;
}
CUresult cuMemsetD32Async(unsigned long long dst, unsigned value, size_t count,
                          void *s) {
  (void)s;
  uint32_t *words = (uint32_t *)(uintptr_t)dst;
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  return kSuccess;
}
CUresult cuGetErrorName(CUresult result, const char **name) {
  *name = result == kNoDevice   ? "CUDA_ERROR_NO_DEVICE"
          : result == kNotFound ? "CUDA_ERROR_NOT_FOUND"
                                : "CUDA_ERROR_INVALID_VALUE";
  return kSuccess;
}
