//===- FuseGateUp.cpp - One product for a gated MLP's gate and up --------===//
//
// Implements --loom-fuse-gate-up: `loom.gated_mlp` computes
// `(act(x Wg^T + bg) * (x Wu^T + bu)) Wd^T + bd`; its gate and up
// projections read the same input, so they become one product over
// `concat(Wg, Wu)` followed by `loom.glu` (the activation of the first half
// times the second half) and the down projection. The concatenated weight
// becomes a derived weight (`--loom-derive-weights`).
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace loom {
#define GEN_PASS_DEF_LOOMFUSEGATEUP
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

bool loom::fuseGateUp(GatedMLPOp mlp) {
  // Both biases or neither: a single bias would need a zero half.
  if (bool(mlp.getBGate()) != bool(mlp.getBUp()))
    return false;
  OpBuilder builder(mlp);
  Location loc = mlp.getLoc();
  Value w = ConcatOp::create(builder, loc,
                             ValueRange{mlp.getWGate(), mlp.getWUp()}, 0);
  Value bias;
  if (mlp.getBGate())
    bias = ConcatOp::create(builder, loc,
                            ValueRange{mlp.getBGate(), mlp.getBUp()}, 0);
  Value gateUp = LinearOp::create(builder, loc, mlp.getX(), w, bias);
  Value hidden = GluOp::create(builder, loc, mlp.getActivationAttr(), gateUp);
  Value y =
      LinearOp::create(builder, loc, hidden, mlp.getWDown(), mlp.getBDown());
  mlp.replaceAllUsesWith(y);
  mlp.erase();
  return true;
}

namespace {
struct LoomFuseGateUpPass : loom::impl::LoomFuseGateUpBase<LoomFuseGateUpPass> {
  void runOnOperation() override {
    SmallVector<GatedMLPOp> mlps;
    getOperation()->walk([&](GatedMLPOp mlp) { mlps.push_back(mlp); });
    for (GatedMLPOp mlp : mlps)
      fuseGateUp(mlp);
  }
};
} // namespace
