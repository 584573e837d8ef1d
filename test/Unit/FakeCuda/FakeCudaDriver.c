/* A stand-in for libcuda.so.1 with which the runtime's GPU entry points
 * (runtime/lib/GpuRuntime.cpp) are tested on machines without a GPU: device
 * memory is host memory, a "module" is its image, and its one "kernel",
 * add_one(float *x, int64_t n), runs on the host when launched.
 * $FAKE_CUDA_DEVICES sets the device count (0: cuInit reports no device);
 * $FAKE_CUDA_NO_POOLS makes the device report no memory pools;
 * $FAKE_CUDA_MEMORY gives the device that many bytes, of which the pool
 * keeps what is freed into it until it is trimmed (its release threshold is
 * "keep everything"), as the real pool does. Streams are distinct handles;
 * fakeCudaCounters() tells a test how many streams are alive and how many
 * stream-ordered allocations are outstanding, fakeCudaMemory() how many
 * bytes are in use, kept by the pool, and how often it was trimmed. */
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
  *module = (void *)(uintptr_t)image;
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
enum { kOutOfMemory = 2 };
/* Bytes given out (cuMemAlloc's and the pool's), bytes the pool keeps for
 * its next allocations, and how many times it was trimmed. */
static size_t usedBytes, keptBytes;
static int trims;
void fakeCudaMemory(size_t *used, size_t *kept, int *trimmed) {
  *used = usedBytes;
  *kept = keptBytes;
  *trimmed = trims;
}
/* Whether `bytes` more fit on the device beside what is given out and kept. */
static int fits(size_t bytes) {
  const char *memory = getenv("FAKE_CUDA_MEMORY");
  if (!memory)
    return 1;
  size_t total = (size_t)strtoull(memory, NULL, 10);
  return usedBytes + keptBytes <= total &&
         bytes <= total - usedBytes - keptBytes;
}
/* cuMemAlloc's buffers: each one's size is kept just before it. */
enum { kHeader = 16 };
CUresult cuMemAlloc_v2(unsigned long long *pointer, size_t bytes) {
  if (bytes == 0) /* as the real driver */
    return kInvalidValue;
  if (!fits(bytes))
    return kOutOfMemory;
  char *block = (char *)malloc(bytes + kHeader);
  if (!block)
    return kOutOfMemory;
  memcpy(block, &bytes, sizeof bytes);
  usedBytes += bytes;
  *pointer = (unsigned long long)(uintptr_t)(block + kHeader);
  return kSuccess;
}
CUresult cuMemAllocManaged(unsigned long long *pointer, size_t bytes,
                           unsigned flags) {
  (void)flags;
  return cuMemAlloc_v2(pointer, bytes);
}
static CUresult freePooled(unsigned long long pointer);
CUresult cuMemFree_v2(unsigned long long pointer) {
  if (!pointer)
    return kSuccess;
  /* The real driver frees a stream-ordered buffer too (after a wait). */
  if (freePooled(pointer) == kSuccess)
    return kSuccess;
  char *block = (char *)(uintptr_t)pointer - kHeader;
  size_t bytes;
  memcpy(&bytes, block, sizeof bytes);
  usedBytes -= bytes;
  free(block);
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
static size_t pooledSizes[kMaxPooled];
CUresult cuMemAllocAsync(unsigned long long *pointer, size_t bytes, void *s) {
  if (bytes == 0 || (s && !isStream(s)))
    return kInvalidValue;
  /* What the pool keeps serves first; the rest must fit on the device. */
  size_t reused = bytes < keptBytes ? bytes : keptBytes;
  if (!fits(bytes - reused))
    return kOutOfMemory;
  for (int i = 0; i < kMaxPooled; ++i) {
    if (pooled[i])
      continue;
    pooled[i] = malloc(bytes);
    if (!pooled[i])
      return kOutOfMemory;
    pooledSizes[i] = bytes;
    keptBytes -= reused;
    usedBytes += bytes;
    *pointer = (unsigned long long)(uintptr_t)pooled[i];
    ++pooledBuffers;
    return kSuccess;
  }
  return kOutOfMemory;
}
CUresult cuMemFreeAsync(unsigned long long pointer, void *s) {
  if (s && !isStream(s))
    return kInvalidValue;
  return freePooled(pointer);
}
static CUresult freePooled(unsigned long long pointer) {
  for (int i = 0; i < kMaxPooled; ++i)
    if (pooled[i] && (unsigned long long)(uintptr_t)pooled[i] == pointer) {
      free(pooled[i]);
      pooled[i] = NULL;
      usedBytes -= pooledSizes[i];
      keptBytes += pooledSizes[i];
      --pooledBuffers;
      return kSuccess;
    }
  return kInvalidValue;
}
/* Gives what the pool keeps back to the device, down to `keep` bytes. */
CUresult cuMemPoolTrimTo(void *memPool, size_t keep) {
  if (memPool != &pool)
    return kInvalidValue;
  if (keptBytes > keep)
    keptBytes = keep;
  ++trims;
  return kSuccess;
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
  *name = result == kNoDevice      ? "CUDA_ERROR_NO_DEVICE"
          : result == kNotFound    ? "CUDA_ERROR_NOT_FOUND"
          : result == kOutOfMemory ? "CUDA_ERROR_OUT_OF_MEMORY"
                                   : "CUDA_ERROR_INVALID_VALUE";
  return kSuccess;
}
