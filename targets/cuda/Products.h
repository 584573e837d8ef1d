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

namespace loom::cuda {

/// True if `op` is out[m, n] += x[m, k] * w[n, k] over k, in f32 (on
/// tensors or on buffers).
bool isRowProduct(mlir::linalg::GenericOp op);

} // namespace loom::cuda

#endif // LOOM_TARGETS_CUDA_PRODUCTS_H
