//===- Allocator.cpp - Buffers of generated code, recycled ----------------===//
//
// Generated code allocates its intermediate tensors through
// `_mlir_memref_to_llvm_alloc`/`_aligned_alloc`/`_free` (MLIR's generic
// allocation functions). A model calls forward with the same shapes over and
// over (every decode step is alike), so freed blocks are kept by size and
// handed out again: after the first token, decoding allocates no memory from
// the system, and large prefill buffers are not mapped and faulted in anew
// on every call. At most kCacheLimit bytes are kept.
//
//===----------------------------------------------------------------------===//

#include "loom/Profile.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

/// Every block is aligned to a cache line; its size sits just before it.
constexpr size_t kAlignment = 64;
/// Bytes of free blocks kept for reuse, at most.
constexpr size_t kCacheLimit = size_t(512) << 20;

struct BlockCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> free;
  size_t cachedBytes = 0;
};

/// Blocks taken from the system so far (not from the cache).
std::atomic<int64_t> systemAllocations{0};

BlockCache &getCache() {
  static BlockCache *cache = new BlockCache; // outlives static destructors
  return *cache;
}

size_t &sizeOf(void *block) {
  return *reinterpret_cast<size_t *>(static_cast<char *>(block) - kAlignment);
}

void *allocate(size_t bytes) {
  // At least one line: a block of zero bytes (a memref<0xindex> of the
  // deallocation code) would start at the end of its allocation, and the
  // cache's pointer to it would point past it (a leak to LeakSanitizer).
  size_t rounded =
      std::max((bytes + kAlignment - 1) / kAlignment * kAlignment, kAlignment);
  BlockCache &cache = getCache();
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto it = cache.free.find(rounded);
    if (it != cache.free.end() && !it->second.empty()) {
      void *block = it->second.back();
      it->second.pop_back();
      cache.cachedBytes -= rounded;
      return block;
    }
  }
  char *base =
      static_cast<char *>(std::aligned_alloc(kAlignment, rounded + kAlignment));
  if (!base)
    return nullptr;
  systemAllocations.fetch_add(1, std::memory_order_relaxed);
  void *block = base + kAlignment;
  sizeOf(block) = rounded;
  return block;
}

void release(void *block) {
  if (!block)
    return;
  size_t bytes = sizeOf(block);
  BlockCache &cache = getCache();
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (cache.cachedBytes + bytes <= kCacheLimit) {
      cache.free[bytes].push_back(block);
      cache.cachedBytes += bytes;
      return;
    }
  }
  std::free(static_cast<char *>(block) - kAlignment);
}

} // namespace

int64_t loom::getSystemAllocationCount() {
  return systemAllocations.load(std::memory_order_relaxed);
}

extern "C" {

/// Called by generated code for every buffer it allocates.
void *_mlir_memref_to_llvm_alloc(size_t bytes) { return allocate(bytes); }

/// The same with an alignment, at most 64 bytes in generated code.
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  if (alignment > kAlignment)
    return nullptr;
  return allocate(bytes);
}

/// Called by generated code when a buffer dies.
void _mlir_memref_to_llvm_free(void *block) { release(block); }

} // extern "C"
