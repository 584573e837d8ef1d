//===- CudaDriverTest.cpp - The CUDA driver loader and mgpu entry points --===//
//
// Without a GPU: a missing driver, a library that is not one, a driver that
// finds no device, and (with a stand-in driver whose device memory is host
// memory, test/Unit/FakeCuda) the GPU entry points MLIR's host code calls.

#include "loom/CudaDriver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern "C" {
void *mgpuModuleLoad(void *data, size_t size);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared);
void mgpuMemFree(void *pointer, void *stream);
void mgpuMemcpy(void *destination, void *source, size_t bytes, void *stream);
void mgpuMemset32(void *destination, unsigned value, size_t count,
                  void *stream);
}

using namespace loom;

namespace {

TEST(CudaDriver, MissingDriverSaysSo) {
  auto driver = cuda::Driver::load("/nonexistent/libcuda.so.1");
  ASSERT_FALSE(driver);
  EXPECT_NE(driver.getError().find("no usable GPU: the CUDA driver "
                                   "(/nonexistent/libcuda.so.1) could not be "
                                   "loaded"),
            std::string::npos)
      << driver.getError();
  EXPECT_NE(driver.getError().find("run on the CPU"), std::string::npos);
}

TEST(CudaDriver, LibraryWithoutTheDriverApi) {
  auto driver = cuda::Driver::load("libm.so.6");
  ASSERT_FALSE(driver);
  EXPECT_EQ(driver.getError(), "no usable GPU: the CUDA driver (libm.so.6) "
                               "lacks cuInit; it is too old for this program");
}

TEST(CudaDriver, NoDevice) {
  setenv("FAKE_CUDA_DEVICES", "0", 1);
  auto driver = cuda::Driver::load(LOOM_FAKE_CUDA_DRIVER);
  unsetenv("FAKE_CUDA_DEVICES");
  ASSERT_FALSE(driver);
  EXPECT_EQ(driver.getError(),
            "no usable GPU: the CUDA driver found no device");
}

TEST(CudaDriver, Loads) {
  auto driver = cuda::Driver::load(LOOM_FAKE_CUDA_DRIVER);
  ASSERT_TRUE(driver) << driver.getError();
  EXPECT_EQ((*driver)->deviceName(), "Fake GPU");
  EXPECT_EQ((*driver)->deviceCount(), 1);
  EXPECT_EQ((*driver)->describe("cuModuleGetFunction", 500),
            "cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND (500)");
}

// The entry points on the stand-in driver: memory, copies, a module, a
// launch; then a function the module lacks, reported and not crashing.
TEST(CudaDriver, EntryPoints) {
  setenv("LOOM_CUDA_DRIVER", LOOM_FAKE_CUDA_DRIVER, 1);
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr) << cuda::firstError();
  std::vector<float> host = {1.0f, 2.0f, 3.0f};
  auto *device = static_cast<float *>(
      mgpuMemAlloc(host.size() * sizeof(float), stream, false));
  ASSERT_NE(device, nullptr);
  mgpuMemcpy(device, host.data(), host.size() * sizeof(float), stream);
  static const char image[] = "fake cubin";
  void *module = mgpuModuleLoad(const_cast<char *>(image), sizeof(image));
  ASSERT_NE(module, nullptr);
  void *addOne = mgpuModuleGetFunction(module, "add_one");
  ASSERT_NE(addOne, nullptr);
  int64_t count = int64_t(host.size());
  void *params[] = {&device, &count};
  mgpuLaunchKernel(addOne, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  // A loop over an empty buffer has no blocks: nothing runs.
  mgpuLaunchKernel(addOne, 0, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  mgpuStreamSynchronize(stream);
  std::vector<float> back(host.size());
  mgpuMemcpy(back.data(), device, back.size() * sizeof(float), stream);
  EXPECT_EQ(back, (std::vector<float>{2.0f, 3.0f, 4.0f}));
  mgpuMemset32(device, 0x3f800000u, host.size(), stream); // 1.0f
  mgpuMemcpy(back.data(), device, back.size() * sizeof(float), stream);
  EXPECT_EQ(back, (std::vector<float>{1.0f, 1.0f, 1.0f}));
  EXPECT_EQ(cuda::firstError(), "");

  // An empty buffer has no memory, and is no error.
  EXPECT_EQ(mgpuMemAlloc(0, stream, false), nullptr);
  EXPECT_EQ(cuda::firstError(), "");

  EXPECT_EQ(mgpuModuleGetFunction(module, "missing"), nullptr);
  EXPECT_EQ(cuda::firstError(),
            "cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND (500)");
  // A launch of what did not load does nothing; nor does any launch while
  // a failure is recorded (its buffers may be null).
  mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, stream, params, nullptr, 2);
  mgpuLaunchKernel(addOne, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  mgpuMemcpy(back.data(), device, back.size() * sizeof(float), stream);
  EXPECT_EQ(back, (std::vector<float>{1.0f, 1.0f, 1.0f}));
  // Taking the failure clears it: launches run again.
  EXPECT_EQ(cuda::takeFirstError(),
            "cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND (500)");
  EXPECT_EQ(cuda::firstError(), "");
  mgpuLaunchKernel(addOne, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 2);
  mgpuMemcpy(back.data(), device, back.size() * sizeof(float), stream);
  EXPECT_EQ(back, (std::vector<float>{2.0f, 2.0f, 2.0f}));
  mgpuMemFree(device, stream);
  mgpuModuleUnload(module);
  mgpuStreamDestroy(stream);
}

/// The stand-in driver's counters: live streams, outstanding buffers from
/// the memory pool.
std::pair<int, int> fakeCounters() {
  void *library = dlopen(LOOM_FAKE_CUDA_DRIVER, RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(library, nullptr);
  auto read = reinterpret_cast<void (*)(int *, int *)>(
      library ? dlsym(library, "fakeCudaCounters") : nullptr);
  int streams = -1, pooled = -1;
  if (read)
    read(&streams, &pooled);
  if (library)
    dlclose(library);
  return {streams, pooled};
}

/// The stand-in device's memory: bytes given out, bytes its pool keeps, and
/// how many times the pool was trimmed.
struct FakeMemory {
  size_t used = 0, kept = 0;
  int trims = -1;
};
FakeMemory fakeMemory() {
  void *library = dlopen(LOOM_FAKE_CUDA_DRIVER, RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(library, nullptr);
  auto read = reinterpret_cast<void (*)(size_t *, size_t *, int *)>(
      library ? dlsym(library, "fakeCudaMemory") : nullptr);
  FakeMemory memory;
  if (read)
    read(&memory.used, &memory.kept, &memory.trims);
  if (library)
    dlclose(library);
  return memory;
}

// The host code MLIR generates makes, synchronizes and destroys a stream
// for each block that launches kernels: a thread keeps one stream for all
// of them, and buffers come from the device's pool in stream order.
TEST(CudaDriver, OneStreamAThreadAndPooledMemory) {
  setenv("LOOM_CUDA_DRIVER", LOOM_FAKE_CUDA_DRIVER, 1);
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr) << cuda::firstError();
  std::pair<int, int> before = fakeCounters();
  int streamsBefore = before.first, pooledBefore = before.second;
  for (int block = 0; block < 3; ++block) {
    void *again = mgpuStreamCreate();
    EXPECT_EQ(again, stream);
    void *buffer = mgpuMemAlloc(64, again, false);
    ASSERT_NE(buffer, nullptr) << cuda::firstError();
    EXPECT_EQ(fakeCounters().second, pooledBefore + 1);
    mgpuMemFree(buffer, again);
    mgpuStreamSynchronize(again);
    mgpuStreamDestroy(again);
  }
  EXPECT_EQ(fakeCounters(), std::make_pair(streamsBefore, pooledBefore));
  EXPECT_EQ(cuda::firstError(), "");
  // Another thread has a stream of its own, destroyed when it ends.
  void *other = nullptr;
  std::thread([&] {
    other = mgpuStreamCreate();
    EXPECT_EQ(fakeCounters().first, streamsBefore + 1);
  }).join();
  EXPECT_NE(other, nullptr);
  EXPECT_NE(other, stream);
  EXPECT_EQ(fakeCounters().first, streamsBefore);
  // Managed buffers are not the pool's.
  void *managed = mgpuMemAlloc(64, stream, true);
  ASSERT_NE(managed, nullptr);
  EXPECT_EQ(fakeCounters().second, pooledBefore);
  mgpuMemFree(managed, stream);
  EXPECT_EQ(fakeCounters().second, pooledBefore);
  EXPECT_EQ(cuda::firstError(), "");
}

// The pool keeps what is freed into it for the next step's buffers, so a
// weight or cache allocated later (cuMemAlloc) may find the device full of
// memory nothing uses: the allocation gives the pool's unused memory back
// and tries again. Where even that is too little, the error says so.
TEST(CudaDriver, OutOfMemoryTrimsThePool) {
  auto driver = cuda::Driver::load(LOOM_FAKE_CUDA_DRIVER);
  ASSERT_TRUE(driver) << driver.getError();
  ASSERT_TRUE((*driver)->streamOrderedMemory());
  const cuda::DriverApi &api = (*driver)->api();
  FakeMemory before = fakeMemory();
  ASSERT_GE(before.trims, 0) << "the stand-in driver has no fakeCudaMemory";
  // 4096 bytes free.
  setenv("FAKE_CUDA_MEMORY",
         std::to_string(before.used + before.kept + 4096).c_str(), 1);
  cuda::DevicePtr step = 0;
  ASSERT_EQ(api.memAllocAsync(&step, 3072, nullptr), 0);
  ASSERT_EQ(api.memFreeAsync(step, nullptr), 0);
  // (It served what it kept from earlier tests first.)
  EXPECT_EQ(fakeMemory().kept,
            before.kept + 3072 - std::min<size_t>(before.kept, 3072));

  // About 1024 bytes free beside what the pool keeps.
  cuda::DevicePtr weight = 0;
  EXPECT_EQ(api.memAlloc(&weight, 2048), 2);
  EXPECT_EQ((*driver)->allocate(&weight, 2048), 0);
  EXPECT_NE(weight, 0u);
  EXPECT_EQ(fakeMemory().trims, before.trims + 1);
  EXPECT_EQ(fakeMemory().kept, 0u);

  // More than the device has.
  cuda::DevicePtr tooLarge = 0;
  cuda::Result result = (*driver)->allocate(&tooLarge, 8192);
  EXPECT_EQ(result, 2);
  EXPECT_EQ(tooLarge, 0u);
  EXPECT_EQ((*driver)->describe("cuMemAlloc", result),
            "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (2)");
  EXPECT_EQ(fakeMemory().trims, before.trims + 2);

  EXPECT_EQ(api.memFree(weight), 0);
  EXPECT_EQ(fakeMemory().used, before.used);
  unsetenv("FAKE_CUDA_MEMORY");
}

// Without memory pools (an old driver, or a device without them), buffers
// are allocated and freed as before.
TEST(CudaDriver, NoMemoryPools) {
  auto pooled = cuda::Driver::load(LOOM_FAKE_CUDA_DRIVER);
  ASSERT_TRUE(pooled) << pooled.getError();
  EXPECT_TRUE((*pooled)->streamOrderedMemory());
  setenv("FAKE_CUDA_NO_POOLS", "1", 1);
  auto plain = cuda::Driver::load(LOOM_FAKE_CUDA_DRIVER);
  unsetenv("FAKE_CUDA_NO_POOLS");
  ASSERT_TRUE(plain) << plain.getError();
  EXPECT_FALSE((*plain)->streamOrderedMemory());
  EXPECT_EQ((*plain)->api().memAllocAsync, nullptr);
}

} // namespace
