//===- FuseResidual.cpp - Residual adds as the products' starting value ---===//
//
// Implements --loom-fuse-residual: `loom.add(r, loom.linear(x, w, b))`
// becomes `loom.linear(x, w, b) residual r`. The product then accumulates
// into the residual, so the add's pass over [seq, width] (two reads, one
// write) disappears. A `loom.mlp` that ends in such an add is first split
// into its up product, its activation and its down product, which takes
// the residual.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace loom {
#define GEN_PASS_DEF_LOOMFUSERESIDUAL
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

/// True if `value` is computed by a product (or MLP) that can take a
/// residual in the add `add`: used by the add alone, in its block, without a
/// residual yet, and without an activation (which would then apply to the
/// residual too).
static bool canTakeResidual(Value value, AddOp add) {
  Operation *producer = value.getDefiningOp();
  if (!producer || !value.hasOneUse() ||
      producer->getBlock() != add->getBlock())
    return false;
  if (auto linear = dyn_cast<LinearOp>(producer))
    return !linear.getResidual() && !linear.getActivation();
  return isa<MLPOp>(producer);
}

bool loom::fuseResidual(AddOp add) {
  Value lhs = add.getLhs(), rhs = add.getRhs();
  // Same shapes only: a broadcast rank-1 operand is a bias, not a residual.
  if (lhs.getType() != rhs.getType() || add.getType() != lhs.getType())
    return false;
  // Addition commutes; the product on the right is the usual form
  // (`x + attention(norm(x))`).
  Value product = rhs, residual = lhs;
  if (!canTakeResidual(product, add)) {
    std::swap(product, residual);
    if (!canTakeResidual(product, add))
      return false;
  }
  Operation *producer = product.getDefiningOp();
  if (auto mlp = dyn_cast<MLPOp>(producer))
    producer = splitMLP(mlp);
  auto linear = cast<LinearOp>(producer);
  OpBuilder builder(add);
  Value fused =
      LinearOp::create(builder, linear.getLoc(), linear.getX(), linear.getW(),
                       linear.getBias(), residual, linear.getFormatAttr(),
                       linear.getInputsAttr(), ActivationKindAttr());
  // The inferred type is compatible with the add's (the product's); keep the
  // add's, which its users were verified against.
  fused.setType(add.getType());
  add.replaceAllUsesWith(fused);
  add.erase();
  producer->erase();
  return true;
}

namespace {
struct LoomFuseResidualPass
    : loom::impl::LoomFuseResidualBase<LoomFuseResidualPass> {
  void runOnOperation() override {
    SmallVector<AddOp> adds;
    getOperation()->walk([&](AddOp add) { adds.push_back(add); });
    for (AddOp add : adds)
      fuseResidual(add);
  }
};
} // namespace
