//===- FuseActivation.cpp - Activations in the products' epilogue ---------===//
//
// Implements --loom-fuse-activation: `loom.activation A (loom.linear ...)`
// becomes `loom.linear ... activation A`. Unfused, the activation is a loop
// of its own over the product's [seq, width] result, written by the product
// and read back from memory; fused, the target applies it to each part of
// the result as the product finishes it (the CPU runtime's kernels: each
// register tile, each task's columns). A `loom.mlp` is first split into its
// up product, its activation and its down product.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace loom {
#define GEN_PASS_DEF_LOOMFUSEACTIVATION
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

LinearOp loom::splitMLP(MLPOp mlp) {
  OpBuilder builder(mlp);
  Location loc = mlp.getLoc();
  Value hidden =
      LinearOp::create(builder, loc, mlp.getX(), mlp.getWUp(), mlp.getBUp());
  Value activated =
      ActivationOp::create(builder, loc, mlp.getActivationAttr(), hidden);
  auto down =
      LinearOp::create(builder, loc, activated, mlp.getWDown(), mlp.getBDown());
  // The inferred type is compatible with the MLP's; keep the MLP's, which
  // its users were verified against.
  down.getResult().setType(mlp.getType());
  mlp.replaceAllUsesWith(down.getResult());
  mlp.erase();
  return down;
}

LinearOp loom::splitGatedMLP(GatedMLPOp mlp) {
  OpBuilder builder(mlp);
  Location loc = mlp.getLoc();
  Value gate = LinearOp::create(builder, loc, mlp.getX(), mlp.getWGate(),
                                mlp.getBGate());
  Value up =
      LinearOp::create(builder, loc, mlp.getX(), mlp.getWUp(), mlp.getBUp());
  Value activated =
      ActivationOp::create(builder, loc, mlp.getActivationAttr(), gate);
  Value hidden = MulOp::create(builder, loc, activated, up);
  auto down =
      LinearOp::create(builder, loc, hidden, mlp.getWDown(), mlp.getBDown());
  down.getResult().setType(mlp.getType());
  mlp.replaceAllUsesWith(down.getResult());
  mlp.erase();
  return down;
}

void loom::splitIntoProducts(Operation *layer) {
  if (auto attention = dyn_cast<AttentionOp>(layer))
    decomposeAttention(attention);
  else if (auto gated = dyn_cast<GatedMLPOp>(layer))
    splitGatedMLP(gated);
  else
    splitMLP(cast<MLPOp>(layer));
}

bool loom::fuseActivation(ActivationOp activation) {
  Value input = activation.getX();
  auto linear = input.getDefiningOp<LinearOp>();
  if (!linear || linear.getActivation() || !input.hasOneUse() ||
      linear->getBlock() != activation->getBlock() ||
      input.getType() != activation.getType())
    return false;
  linear.setActivationAttr(activation.getActivationAttr());
  activation.replaceAllUsesWith(input);
  activation.erase();
  return true;
}

namespace {
struct LoomFuseActivationPass
    : loom::impl::LoomFuseActivationBase<LoomFuseActivationPass> {
  void runOnOperation() override {
    SmallVector<MLPOp> mlps;
    getOperation()->walk([&](MLPOp mlp) { mlps.push_back(mlp); });
    for (MLPOp mlp : mlps)
      splitMLP(mlp);
    SmallVector<ActivationOp> activations;
    getOperation()->walk(
        [&](ActivationOp activation) { activations.push_back(activation); });
    for (ActivationOp activation : activations)
      fuseActivation(activation);
  }
};
} // namespace
