//===- LowerAttentionCalls.cpp - Attention as calls of the runtime's kernel -===//
//
// Implements `loom-lower-attention-calls`: each `loom.cached_attention`
// appends its keys and values to its cache slot, then calls the runtime's
// attention kernel (`loom_attention`, loom_abi.h), which walks the cache
// once per (token, head) with an online softmax: no [seq, context] matrix is
// formed and masked positions are skipped. The call passes the enclosing
// function's model context, so the kernel runs on the instance's threads.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Utils/KVCache.h"
#include "dialects/Loom/Utils/ModelContext.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/IR/Builders.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERATTENTIONCALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using loom::CachedAttentionOp;

namespace {

/// The runtime's attention kernel (`_mlir_ciface_loom_attention`).
constexpr const char *kAttentionKernel = LOOM_KERNEL_ATTENTION;

/// Replaces `op` by the cache writes and the kernel call.
LogicalResult lowerToKernelCall(CachedAttentionOp op) {
  OpBuilder rewriter(op);
  Location loc = op.getLoc();
  Value context = loom::getModelContext(op);
  if (!context)
    return op.emitError("the runtime's attention kernel needs the model "
                        "context: the enclosing function has no "
                        "'loom.context' argument");
  Value pos = op.getPos();
  Value slot = op.getSlot();
  Value q = op.getQ();
  loom::writeCacheRows(rewriter, loc, op.getKeyCache(), slot, pos, op.getK());
  loom::writeCacheRows(rewriter, loc, op.getValueCache(), slot, pos,
                       op.getV());

  auto qType = cast<RankedTensorType>(q.getType());
  Type elementType = qType.getElementType();
  auto anyLayout = [&](int64_t rank) {
    SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
    return MemRefType::get(dynamic, elementType,
                           StridedLayoutAttr::get(rewriter.getContext(),
                                                  ShapedType::kDynamic,
                                                  dynamic));
  };
  MemRefType matrixType = anyLayout(2);
  MemRefType cacheType = anyLayout(3);
  // The buffer of q keeps its shape; any layout is accepted.
  auto qBufferType = MemRefType::get(
      qType.getShape(), elementType,
      StridedLayoutAttr::get(rewriter.getContext(), ShapedType::kDynamic,
                             {ShapedType::kDynamic, ShapedType::kDynamic}));
  Value qBuffer = bufferization::ToBufferOp::create(
      rewriter, loc, qBufferType, q, /*readOnly=*/true);
  auto resultType = cast<RankedTensorType>(op.getType());
  auto outType =
      MemRefType::get(resultType.getShape(), resultType.getElementType());
  Value seq = tensor::DimOp::create(rewriter, loc, q, 0);
  Value out =
      memref::AllocOp::create(rewriter, loc, outType, ValueRange{seq});
  auto cast = [&](Value value, MemRefType type) {
    return memref::CastOp::create(rewriter, loc, type, value).getResult();
  };
  auto i64 = [&](int64_t value) {
    return arith::ConstantIntOp::create(rewriter, loc, value, 64).getResult();
  };
  auto toI64 = [&](Value index) {
    return arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                      index)
        .getResult();
  };
  SmallVector<Value> operands = {context,
                                 cast(qBuffer, matrixType),
                                 cast(op.getKeyCache(), cacheType),
                                 cast(op.getValueCache(), cacheType),
                                 cast(out, matrixType),
                                 toI64(pos),
                                 toI64(slot),
                                 i64(op.getNumHeads()),
                                 i64(op.getNumKvHeads()),
                                 i64(op.getHeadDim()),
                                 i64(op.getCausal() ? 1 : 0)};

  // Declare the kernel once per module.
  auto module = op->getParentOfType<ModuleOp>();
  auto callee = module.lookupSymbol<func::FuncOp>(kAttentionKernel);
  if (!callee) {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToEnd(module.getBody());
    callee = func::FuncOp::create(
        rewriter, loc, kAttentionKernel,
        rewriter.getFunctionType(ValueRange(operands).getTypes(), {}));
    callee.setPrivate();
    callee->setAttr("llvm.emit_c_interface", rewriter.getUnitAttr());
  }
  func::CallOp::create(rewriter, loc, callee, operands);
  op.replaceAllUsesWith(bufferization::ToTensorOp::create(
                             rewriter, loc, resultType, out,
                             /*restrict=*/true, /*writable=*/true)
                            .getResult());
  op.erase();
  return success();
}

struct LowerAttentionCallsPass
    : loom::cpu::impl::LoomLowerAttentionCallsBase<LowerAttentionCallsPass> {
  void runOnOperation() override {
    SmallVector<CachedAttentionOp> attentions;
    getOperation().walk(
        [&](CachedAttentionOp op) { attentions.push_back(op); });
    for (CachedAttentionOp op : attentions)
      if (failed(lowerToKernelCall(op)))
        return signalPassFailure();
  }
};

} // namespace
