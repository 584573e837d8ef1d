//===- AllocatorTest.cpp - Recycling of generated code's buffers ----------===//

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" {
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes);
void _mlir_memref_to_llvm_free(void *block);
}

namespace {

TEST(AllocatorTest, BlocksAreAlignedAndUsable) {
  for (size_t bytes : {1, 63, 64, 1000, 1 << 20}) {
    auto *block = static_cast<char *>(_mlir_memref_to_llvm_alloc(bytes));
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 64, 0u);
    std::memset(block, 0xab, bytes);
    _mlir_memref_to_llvm_free(block);
  }
}

TEST(AllocatorTest, FreedBlocksAreReusedForTheSameSize) {
  // What makes a decode step allocation-free: the same sizes every step.
  void *first = _mlir_memref_to_llvm_alloc(4096);
  _mlir_memref_to_llvm_free(first);
  void *second = _mlir_memref_to_llvm_alloc(4096);
  EXPECT_EQ(first, second);
  void *other = _mlir_memref_to_llvm_alloc(4096);
  EXPECT_NE(other, second);
  _mlir_memref_to_llvm_free(second);
  _mlir_memref_to_llvm_free(other);
}

TEST(AllocatorTest, AlignedAllocationUpTo64Bytes) {
  void *block = _mlir_memref_to_llvm_aligned_alloc(64, 100);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 64, 0u);
  _mlir_memref_to_llvm_free(block);
  EXPECT_EQ(_mlir_memref_to_llvm_aligned_alloc(4096, 100), nullptr);
  _mlir_memref_to_llvm_free(nullptr);
}

} // namespace
