//===- KernelCalls.h - Building calls of the runtime's kernels --*- C++ -*-===//
//
// What the passes that hand an op to a runtime kernel share: buffers of any
// layout for the kernel's `_mlir_ciface_` entry, a kernel declared once per
// module, and the op replaced by the buffer the kernel wrote.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_CPU_KERNELCALLS_H
#define LOOM_TARGETS_CPU_KERNELCALLS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace loom::cpu {

/// `memref<?x...x?xT, strided<[?, ...], offset: ?>>` of `rank`: the one
/// memref type a kernel's parameter takes for any buffer of that rank.
mlir::MemRefType getAnyLayoutType(int64_t rank, mlir::Type elementType);

/// `value` (a memref) cast to the any-layout type of its rank.
mlir::Value castToAnyLayout(mlir::OpBuilder &builder, mlir::Location loc,
                            mlir::Value value);

/// A read-only buffer of the ranked `tensor`, of any layout.
mlir::Value readOnlyBuffer(mlir::OpBuilder &builder, mlir::Location loc,
                           mlir::Value tensor);

/// A new buffer for a kernel's [seq, width] result of `type`, with as many
/// rows as `rowsOf` (a ranked tensor) has when they are not static.
mlir::Value allocateResult(mlir::OpBuilder &builder, mlir::Location loc,
                           mlir::RankedTensorType type, mlir::Value rowsOf);

/// A read-only buffer of `tensor`, or an empty 1-D f32 buffer for an absent
/// optional operand (the kernels read a size of 0 as "none"); `rank` is the
/// empty buffer's rank.
mlir::Value optionalBuffer(mlir::OpBuilder &builder, mlir::Location loc,
                           mlir::Value tensor, int64_t rank = 1);

/// An `i64` constant (a kernel's scalar argument).
mlir::Value i64Constant(mlir::OpBuilder &builder, mlir::Location loc,
                        int64_t value);

/// The model context of the function enclosing `op`, or an error at `op`
/// naming `kernel`.
mlir::FailureOr<mlir::Value> contextFor(mlir::Operation *op,
                                        llvm::StringRef kernel);

/// Calls the runtime kernel `name` with `operands`, declaring it (private,
/// with a C interface, returning `results`) in `op`'s module the first time.
mlir::func::CallOp callKernel(mlir::OpBuilder &builder, mlir::Location loc,
                              mlir::Operation *op, llvm::StringRef name,
                              mlir::ValueRange operands,
                              mlir::TypeRange results = {});

/// Replaces `op`'s one result by the tensor of `buffer` (which the kernel
/// wrote and nothing else aliases) and erases `op`.
void replaceWithBuffer(mlir::OpBuilder &builder, mlir::Operation *op,
                       mlir::Value buffer);

} // namespace loom::cpu

#endif // LOOM_TARGETS_CPU_KERNELCALLS_H
