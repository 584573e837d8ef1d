//===- LowerEmbeddingCalls.cpp - Token embeddings through the runtime -----===//
//
// Implements `loom-lower-embedding-calls`: each `loom.embedding` calls the
// runtime's `loom_embedding` kernel (loom_abi.h), which finds the table by
// its address and gathers one row per token from wherever the table lives:
// its packed copy (a table tied to the LM head), its half-precision
// checkpoint data, or f32 memory. So a table need not exist as f32 just for
// the rows the tokens read. A quantized table (`format`) calls
// `loom_embedding_quantized`, which decodes the rows the tokens read.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/IR/QuantFormat.h"
#include "dialects/Loom/Utils/ModelContext.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWEREMBEDDINGCALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;

namespace {

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
  std::optional<loom::QuantFormat> format = op.getFormat();
  // A quantized table: its rows decoded as the tokens read them.
  if ((!format && !tableType.getElementType().isF32()) ||
      !resultType.getElementType().isF32() ||
      !idsType.getElementType().isInteger(32))
    return op.emitError("the runtime's embedding kernel reads f32 or "
                        "quantized rows by i32 token ids, got ")
           << tableType << " and " << idsType;
  OpBuilder builder(op);
  Location loc = op.getLoc();
  Value table = readOnlyBuffer(builder, loc, op.getTable());
  Value ids = readOnlyBuffer(builder, loc, op.getIds());
  Value out = allocateResult(builder, loc, resultType, op.getIds());
  if (format)
    callKernel(builder, loc, op, LOOM_KERNEL_EMBEDDING_QUANTIZED,
               {context, table, ids, castToAnyLayout(builder, loc, out),
                i64Constant(builder, loc, loom::getQuantKernelId(*format))});
  else
    callKernel(builder, loc, op, LOOM_KERNEL_EMBEDDING,
               {context, table, ids, castToAnyLayout(builder, loc, out)});
  replaceWithBuffer(builder, op, out);
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
