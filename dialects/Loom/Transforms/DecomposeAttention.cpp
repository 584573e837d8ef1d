//===- DecomposeAttention.cpp - Attention as projections and its core -----===//
//
// Implements --loom-decompose-attention: `loom.attention` becomes its four
// projections (`loom.linear`) around `loom.attend` (with qk-norm, per-head
// `loom.rms_norm`s of the queries and keys in between), so that passes see
// and rewrite the projections like any other linear layer.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace loom {
#define GEN_PASS_DEF_LOOMDECOMPOSEATTENTION
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

Value loom::decomposeAttention(AttentionOp attention) {
  OpBuilder builder(attention);
  Location loc = attention.getLoc();
  Value x = attention.getX();
  Value q =
      LinearOp::create(builder, loc, x, attention.getWq(), attention.getBq());
  Value k =
      LinearOp::create(builder, loc, x, attention.getWk(), attention.getBk());
  Value v =
      LinearOp::create(builder, loc, x, attention.getWv(), attention.getBv());
  // qk-norm: each head's query and key normalized on its own.
  if (std::optional<APFloat> eps = attention.getQkNormEps()) {
    int64_t headDim = attention.getHeadDim();
    q = RMSNormOp::create(builder, loc, q, attention.getQNorm(),
                          eps->convertToDouble(), headDim);
    k = RMSNormOp::create(builder, loc, k, attention.getKNorm(),
                          eps->convertToDouble(), headDim);
  }
  Value attended = AttendOp::create(
      builder, loc, q, k, v, attention.getNumHeadsAttr(),
      attention.getNumKvHeadsAttr(), attention.getHeadDimAttr(),
      attention.getCausalAttr(), attention.getRopeThetaAttr(),
      attention.getRopeInterleavedAttr(), attention.getWindowAttr());
  Value y = LinearOp::create(builder, loc, attended, attention.getWo(),
                             attention.getBo());
  attention.replaceAllUsesWith(y);
  attention.erase();
  return y;
}

namespace {
struct LoomDecomposeAttentionPass
    : loom::impl::LoomDecomposeAttentionBase<LoomDecomposeAttentionPass> {
  void runOnOperation() override {
    SmallVector<AttentionOp> attentions;
    getOperation()->walk(
        [&](AttentionOp attention) { attentions.push_back(attention); });
    for (AttentionOp attention : attentions)
      decomposeAttention(attention);
  }
};
} // namespace
