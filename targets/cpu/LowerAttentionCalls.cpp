//===- LowerAttentionCalls.cpp - Attention as calls of the runtime's kernel
//-===//
//
// Implements `loom-lower-attention-calls`: each `loom.cached_attention`
// appends its keys and values to its cache slot, then calls the runtime's
// attention kernel (`loom_attention`, loom_abi.h), which walks the cache
// once per (token, head) with an online softmax: no [seq, context] matrix is
// formed and masked positions are skipped. The call passes the enclosing
// function's model context, so the kernel runs on the instance's threads.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
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
using namespace loom::cpu;
using loom::CachedAttentionOp;

namespace {

/// The runtime's attention kernel (`_mlir_ciface_loom_attention`).
constexpr const char *kAttentionKernel = LOOM_KERNEL_ATTENTION;

/// Replaces `op` by the cache writes and the kernel call. With
/// `adaptive` (the module has a loop that tokens may leave early), the
/// runtime writes the cache rows (`loom_write_kv`): inside such a loop a
/// token's rows also stand for the iterations it skips.
LogicalResult lowerToKernelCall(CachedAttentionOp op, bool adaptive) {
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
  auto toI64 = [&](Value index) {
    return arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                      index)
        .getResult();
  };
  if (adaptive) {
    callKernel(rewriter, loc, op, LOOM_KERNEL_WRITE_KV,
               {context, castToAnyLayout(rewriter, loc, op.getKeyCache()),
                castToAnyLayout(rewriter, loc, op.getValueCache()),
                readOnlyBuffer(rewriter, loc, op.getK()),
                readOnlyBuffer(rewriter, loc, op.getV()), toI64(slot),
                toI64(pos)});
  } else {
    loom::writeCacheRows(rewriter, loc, op.getKeyCache(), slot, pos, op.getK());
    loom::writeCacheRows(rewriter, loc, op.getValueCache(), slot, pos,
                         op.getV());
  }

  auto resultType = cast<RankedTensorType>(op.getType());
  Value out = allocateResult(rewriter, loc, resultType, q);
  auto i64 = [&](int64_t value) {
    return arith::ConstantIntOp::create(rewriter, loc, value, 64).getResult();
  };
  SmallVector<Value> operands = {
      context,
      readOnlyBuffer(rewriter, loc, q),
      castToAnyLayout(rewriter, loc, op.getKeyCache()),
      castToAnyLayout(rewriter, loc, op.getValueCache()),
      castToAnyLayout(rewriter, loc, out),
      toI64(pos),
      toI64(slot),
      i64(op.getNumHeads()),
      i64(op.getNumKvHeads()),
      i64(op.getHeadDim()),
      i64(op.getCausal() ? 1 : 0),
      i64(op.getWindow() ? int64_t(*op.getWindow()) : 0)};
  callKernel(rewriter, loc, op, kAttentionKernel, operands);
  replaceWithBuffer(rewriter, op, out);
  return success();
}

struct LowerAttentionCallsPass
    : loom::cpu::impl::LoomLowerAttentionCallsBase<LowerAttentionCallsPass> {
  void runOnOperation() override {
    SmallVector<CachedAttentionOp> attentions;
    getOperation().walk(
        [&](CachedAttentionOp op) { attentions.push_back(op); });
    bool adaptive = false;
    getOperation().walk(
        [&](loom::LoopOp loop) { adaptive |= loop.isAdaptive(); });
    for (CachedAttentionOp op : attentions)
      if (failed(lowerToKernelCall(op, adaptive)))
        return signalPassFailure();
  }
};

} // namespace
