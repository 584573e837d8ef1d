//===- KVCache.h - Reading and writing KV cache slots ------------*- C++
//-*-===//
//
// A KV cache operand of `loom.cached_attention` is a memref
// [slots, max_seq, width] (any strided layout). These helpers give the rows
// of one slot as views, for the generic lowering and for targets that call
// a runtime kernel.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECTS_LOOM_UTILS_KVCACHE_H
#define LOOM_DIALECTS_LOOM_UTILS_KVCACHE_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace loom {

/// On an adaptive `loom.loop` once bound to the runtime: the floats per
/// cached position that one iteration's attention slots take (i64).
constexpr const char *kIterationWidthAttr = "loom.kv_iteration_width";

/// Rows [first, first + count) of slot `slot` of `cache`, as a
/// [count, width] memref view.
inline mlir::Value cacheRows(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value cache, mlir::OpFoldResult slot,
                             mlir::OpFoldResult first,
                             mlir::OpFoldResult count) {
  auto cacheType = llvm::cast<mlir::MemRefType>(cache.getType());
  int64_t width = cacheType.getDimSize(2);
  llvm::SmallVector<mlir::OpFoldResult> offsets = {slot, first,
                                                   b.getIndexAttr(0)};
  llvm::SmallVector<mlir::OpFoldResult> sizes = {b.getIndexAttr(1), count,
                                                 b.getIndexAttr(width)};
  llvm::SmallVector<mlir::OpFoldResult> strides(3, b.getIndexAttr(1));
  std::optional<int64_t> rows = mlir::getConstantIntValue(count);
  auto viewType = mlir::memref::SubViewOp::inferRankReducedResultType(
      {rows ? *rows : mlir::ShapedType::kDynamic, width}, cacheType, offsets,
      sizes, strides);
  return mlir::memref::SubViewOp::create(b, loc,
                                         llvm::cast<mlir::MemRefType>(viewType),
                                         cache, offsets, sizes, strides);
}

/// Writes `rows` ([seq, width] tensor) into slot `slot` of `cache` at rows
/// [pos, pos + seq).
inline void writeCacheRows(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value cache, mlir::Value slot, mlir::Value pos,
                           mlir::Value rows) {
  mlir::Value view = cacheRows(b, loc, cache, slot, pos,
                               mlir::tensor::getMixedSize(b, loc, rows, 0));
  mlir::bufferization::MaterializeInDestinationOp::create(
      b, loc, /*result=*/mlir::Type(), rows, view, /*restrict=*/false,
      /*writable=*/true);
}

/// Rows [0, length) of slot `slot` of `cache`, as a [length, width] tensor.
inline mlir::Value readCacheRows(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value cache, mlir::Value slot,
                                 mlir::Value length) {
  mlir::Value view = cacheRows(b, loc, cache, slot, b.getIndexAttr(0), length);
  auto cacheType = llvm::cast<mlir::MemRefType>(cache.getType());
  auto tensorType = mlir::RankedTensorType::get(
      {mlir::ShapedType::kDynamic, cacheType.getDimSize(2)},
      cacheType.getElementType());
  return mlir::bufferization::ToTensorOp::create(b, loc, tensorType, view,
                                                 /*restrict=*/true,
                                                 /*writable=*/false);
}

} // namespace loom

#endif // LOOM_DIALECTS_LOOM_UTILS_KVCACHE_H
