//===- KernelCalls.cpp - Building calls of the runtime's kernels ----------===//

#include "targets/cpu/KernelCalls.h"

#include "dialects/Loom/Utils/ModelContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

MemRefType loom::cpu::getAnyLayoutType(int64_t rank, Type elementType) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  return MemRefType::get(dynamic, elementType,
                         StridedLayoutAttr::get(elementType.getContext(),
                                                ShapedType::kDynamic, dynamic));
}

Value loom::cpu::castToAnyLayout(OpBuilder &builder, Location loc,
                                 Value value) {
  auto type = cast<MemRefType>(value.getType());
  return memref::CastOp::create(
      builder, loc, getAnyLayoutType(type.getRank(), type.getElementType()),
      value);
}

Value loom::cpu::readOnlyBuffer(OpBuilder &builder, Location loc,
                                Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  // The buffer keeps the tensor's shape; any strides are accepted.
  SmallVector<int64_t> dynamic(type.getRank(), ShapedType::kDynamic);
  auto bufferType =
      MemRefType::get(type.getShape(), type.getElementType(),
                      StridedLayoutAttr::get(builder.getContext(),
                                             ShapedType::kDynamic, dynamic));
  Value buffer = bufferization::ToBufferOp::create(builder, loc, bufferType,
                                                   tensor, /*readOnly=*/true);
  return castToAnyLayout(builder, loc, buffer);
}

Value loom::cpu::allocateResult(OpBuilder &builder, Location loc,
                                RankedTensorType type, Value rowsOf) {
  auto bufferType = MemRefType::get(type.getShape(), type.getElementType());
  SmallVector<Value> sizes;
  if (type.isDynamicDim(0))
    sizes.push_back(tensor::DimOp::create(builder, loc, rowsOf, 0));
  return memref::AllocOp::create(builder, loc, bufferType, sizes);
}

Value loom::cpu::optionalBuffer(OpBuilder &builder, Location loc, Value tensor,
                                int64_t rank) {
  if (tensor)
    return readOnlyBuffer(builder, loc, tensor);
  Value empty = memref::AllocaOp::create(
      builder, loc,
      MemRefType::get(SmallVector<int64_t>(rank, 0), builder.getF32Type()));
  return castToAnyLayout(builder, loc, empty);
}

Value loom::cpu::i64Constant(OpBuilder &builder, Location loc, int64_t value) {
  return arith::ConstantIntOp::create(builder, loc, value, 64);
}

FailureOr<Value> loom::cpu::contextFor(Operation *op, StringRef kernel) {
  if (Value context = loom::getModelContext(op))
    return context;
  return op->emitError("the runtime's ")
         << kernel
         << " kernel needs the model context: the enclosing function has no "
            "'loom.context' argument";
}

func::CallOp loom::cpu::callKernel(OpBuilder &builder, Location loc,
                                   Operation *op, StringRef name,
                                   ValueRange operands, TypeRange results) {
  auto module = op->getParentOfType<ModuleOp>();
  auto callee = module.lookupSymbol<func::FuncOp>(name);
  if (!callee) {
    OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
    callee = func::FuncOp::create(
        moduleBuilder, loc, name,
        builder.getFunctionType(operands.getTypes(), results));
    callee.setPrivate();
    callee->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  }
  return func::CallOp::create(builder, loc, callee, operands);
}

void loom::cpu::replaceWithBuffer(OpBuilder &builder, Operation *op,
                                  Value buffer) {
  Value result = op->getResult(0);
  op->replaceAllUsesWith(ValueRange{bufferization::ToTensorOp::create(
      builder, op->getLoc(), result.getType(), buffer, /*restrict=*/true,
      /*writable=*/true)});
  op->erase();
}
