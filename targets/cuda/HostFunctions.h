//===- HostFunctions.h - What runs where on the GPU target ------*- C++ -*-===//
//
// A model built for the GPU runs its forward entry points' work as kernels
// on device memory, and its `prepare` (derived weights) on the host. These
// helpers say which functions are which, and which buffers the
// deallocation pipeline keeps on the host for its bookkeeping.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_CUDA_HOSTFUNCTIONS_H
#define LOOM_TARGETS_CUDA_HOSTFUNCTIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseSet.h"

namespace loom::cuda {

/// The functions that run on host memory only: `prepare` and what only it
/// calls. A function that `prepare` and the forward entry points both reach
/// is reported on `module` (failure).
mlir::FailureOr<llvm::DenseSet<mlir::func::FuncOp>>
findHostFunctions(mlir::ModuleOp module);

/// True for the buffers the deallocation pipeline allocates for its own
/// bookkeeping (pointers as index, ownership as i1), which host code reads.
bool isHostBookkeeping(mlir::Type memrefType);

/// The buffer `memref` is a view of (through subviews, casts, reshapes).
mlir::Value viewedBuffer(mlir::Value memref);

} // namespace loom::cuda

#endif // LOOM_TARGETS_CUDA_HOSTFUNCTIONS_H
