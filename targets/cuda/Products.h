//===- Products.h - The products the CUDA target treats apart ---*- C++ -*-===//
//
// A layer's projections are `linalg.generic`s summing x[m, k] * w[n, k]
// over k into out[m, n]. Decode (one row) streams the weights and is split
// over more threads (`--loom-split-products`); prompts (many rows) are
// matrix products for the tensor cores (`--loom-use-tensor-cores`).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_CUDA_PRODUCTS_H
#define LOOM_TARGETS_CUDA_PRODUCTS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <optional>

namespace loom::cuda {

/// How a product's weight holds its outputs.
enum class WeightLayout {
  /// w[n, k]: one row an output (PyTorch's Linear).
  Rows,
  /// w[k, n]: one column an output (GPT-2's Conv1D).
  Columns,
};

/// The weight's layout if `op` is out[m, n] += x[m, k] * w[n, k] (or
/// w[k, n]) over k, in f32 (on tensors or on buffers); w may be bf16 or f16,
/// widened (`arith.extf`) as it is read.
std::optional<WeightLayout> matchProduct(mlir::linalg::GenericOp op);

/// True if `op` is out[m, n] += x[m, k] * w[n, k] over k (see
/// `matchProduct`).
bool isRowProduct(mlir::linalg::GenericOp op);

/// Reports on `op` a split's bad `rows` (at least 1) or `ways` (a power of
/// two in [2, 1024]).
mlir::LogicalResult checkSplitOptions(mlir::Operation *op, int64_t rows,
                                      int64_t ways);

/// Replaces `op` (on tensors, one result) by `scf.if rows <= limit`, whose
/// else branch is `op` unchanged; returns the `if`, the builder at the
/// start of its then branch (which the caller fills and ends with a
/// yield).
mlir::scf::IfOp branchOnRows(mlir::OpBuilder &builder,
                             mlir::linalg::GenericOp op, mlir::Value rows,
                             int64_t limit);

/// `tensor` [r, k] as [r, k / ways, ways] (`rows` is r where it is
/// dynamic).
mlir::Value splitInnermost(mlir::OpBuilder &builder, mlir::Location loc,
                           mlir::Value tensor, mlir::Value rows, int64_t ways);

/// A tensor of `shape` (`rows` is its dynamic first size, if any) filled
/// with f32 zeros.
mlir::Value zeros(mlir::OpBuilder &builder, mlir::Location loc,
                  llvm::ArrayRef<int64_t> shape, mlir::Value rows);

} // namespace loom::cuda

#endif // LOOM_TARGETS_CUDA_PRODUCTS_H
