//===- LowerEmbeddingCalls.cpp - Token embeddings through the runtime -----===//
//
// Implements `loom-lower-embedding-calls`: each `loom.embedding` calls the
// runtime's `loom_embedding` kernel (loom_abi.h), which finds the table by
// its address and gathers one row per token from wherever the table lives:
// its packed copy (a table tied to the LM head), its half-precision
// checkpoint data, or f32 memory. So a table need not exist as f32 just for
// the rows the tokens read.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Utils/ModelContext.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWEREMBEDDINGCALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;

namespace {

/// `memref<?x...x?xT, strided<[?, ...], offset: ?>>` of `rank` and `type`.
MemRefType anyLayout(int64_t rank, Type elementType) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  return MemRefType::get(dynamic, elementType,
                         StridedLayoutAttr::get(elementType.getContext(),
                                                ShapedType::kDynamic,
                                                dynamic));
}

/// Replaces `op` by a call of the runtime's embedding kernel.
LogicalResult lowerToKernelCall(loom::EmbeddingOp op) {
  Value context = loom::getModelContext(op);
  if (!context)
    return op.emitError("the runtime's embedding kernel needs the model "
                        "context: the enclosing function has no "
                        "'loom.context' argument");
  auto resultType = cast<RankedTensorType>(op.getType());
  auto tableType = cast<RankedTensorType>(op.getTable().getType());
  auto idsType = cast<RankedTensorType>(op.getIds().getType());
  if (!tableType.getElementType().isF32() ||
      !resultType.getElementType().isF32() ||
      !idsType.getElementType().isInteger(32))
    return op.emitError("the runtime's embedding kernel reads f32 rows by "
                        "i32 token ids, got ")
           << tableType << " and " << idsType;
  OpBuilder builder(op);
  Location loc = op.getLoc();
  auto buffer = [&](Value tensor) -> Value {
    auto type = cast<RankedTensorType>(tensor.getType());
    SmallVector<int64_t> dynamic(type.getRank(), ShapedType::kDynamic);
    auto bufferType = MemRefType::get(
        type.getShape(), type.getElementType(),
        StridedLayoutAttr::get(builder.getContext(), ShapedType::kDynamic,
                               dynamic));
    Value value = bufferization::ToBufferOp::create(builder, loc, bufferType,
                                                    tensor, /*readOnly=*/true);
    return memref::CastOp::create(
        builder, loc, anyLayout(type.getRank(), type.getElementType()), value);
  };
  Value table = buffer(op.getTable());
  Value ids = buffer(op.getIds());
  Value seq = tensor::DimOp::create(builder, loc, op.getIds(), 0);
  auto outType = MemRefType::get(resultType.getShape(),
                                 resultType.getElementType());
  Value out = memref::AllocOp::create(builder, loc, outType, ValueRange{seq});
  Value outAny = memref::CastOp::create(
      builder, loc, anyLayout(2, resultType.getElementType()), out);
  SmallVector<Value> operands = {context, table, ids, outAny};

  auto module = op->getParentOfType<ModuleOp>();
  auto callee = module.lookupSymbol<func::FuncOp>(LOOM_KERNEL_EMBEDDING);
  if (!callee) {
    OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
    callee = func::FuncOp::create(
        moduleBuilder, loc, LOOM_KERNEL_EMBEDDING,
        builder.getFunctionType(ValueRange(operands).getTypes(), {}));
    callee.setPrivate();
    callee->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  }
  func::CallOp::create(builder, loc, callee, operands);
  op.replaceAllUsesWith(bufferization::ToTensorOp::create(
                            builder, loc, resultType, out, /*restrict=*/true,
                            /*writable=*/true)
                            .getResult());
  op.erase();
  return success();
}

struct LowerEmbeddingCallsPass
    : loom::cpu::impl::LoomLowerEmbeddingCallsBase<LowerEmbeddingCallsPass> {
  void runOnOperation() override {
    SmallVector<loom::EmbeddingOp> embeddings;
    getOperation().walk(
        [&](loom::EmbeddingOp op) { embeddings.push_back(op); });
    for (loom::EmbeddingOp op : embeddings)
      if (failed(lowerToKernelCall(op)))
        return signalPassFailure();
  }
};

} // namespace
