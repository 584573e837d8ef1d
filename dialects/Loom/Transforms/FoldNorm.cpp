//===- FoldNorm.cpp - Norm scales folded into the next products -----------===//
//
// Implements --loom-fold-norm: an RMSNorm whose result feeds only linear
// layers scales its output by gamma, and `(n * gamma) W^T = n (W
// diag(gamma))^T` exactly (in real arithmetic), so each of those products takes
// the weight `W * gamma` (every row of W times gamma, a derived weight once
// `--loom-derive-weights` runs) and the norm drops its scale. A weight read
// elsewhere too (a tied embedding and LM head) is left alone: its scaled
// copy would be a second table in memory.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace loom {
#define GEN_PASS_DEF_LOOMFOLDNORM
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

/// The param `value` reads, through views, if it is a `loom.weight`.
static ParamOp paramOf(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto weight = dyn_cast<WeightOp>(def))
      return SymbolTable::lookupNearestSymbolFrom<ParamOp>(
          weight, weight.getParamAttr());
    if (!isa<TransposeOp, SplitOp, SliceOp, ConcatOp>(def) ||
        def->getNumOperands() != 1)
      return {};
    value = def->getOperand(0);
  }
  return {};
}

bool loom::isReadElsewhere(Value w) {
  ParamOp param = paramOf(w);
  if (!param)
    return false;
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(param, param->getParentOfType<ModuleOp>());
  if (!uses)
    return true;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto weight = dyn_cast<WeightOp>(use.getUser());
    if (!weight)
      continue;
    for (Operation *user : weight->getUsers()) {
      auto linear = dyn_cast<LinearOp>(user);
      if (!linear || linear.getW() != weight.getResult() ||
          linear.getX() == weight.getResult())
        return true;
    }
  }
  return false;
}

std::optional<SmallVector<LinearOp>> loom::productsReading(Value value) {
  SmallVector<LinearOp> linears;
  for (OpOperand &use : value.getUses()) {
    auto linear = dyn_cast<LinearOp>(use.getOwner());
    // In the value's own block: ordered, and what it reads can be moved
    // ahead of it.
    if (!linear || &use != &linear.getXMutable() ||
        linear->getBlock() != value.getParentBlock())
      return std::nullopt;
    linears.push_back(linear);
  }
  llvm::sort(linears,
             [](LinearOp a, LinearOp b) { return a->isBeforeInBlock(b); });
  return linears;
}

bool loom::foldNorm(RMSNormOp norm) {
  Value gamma = norm.getGamma();
  // A per-group scale is no product's input-channel scale.
  if (!gamma || norm->use_empty() || norm.getGroup())
    return false;
  std::optional<SmallVector<LinearOp>> linears =
      productsReading(norm.getResult());
  if (!linears)
    return false;
  // A quantized weight cannot take the scale exactly: fold before
  // quantizing.
  for (LinearOp linear : *linears)
    if (linear.getFormat() || isReadElsewhere(linear.getW()))
      return false;
  // Each product takes its weight times gamma along the input dimension.
  for (LinearOp linear : *linears) {
    OpBuilder builder(linear);
    Value scaled =
        MulOp::create(builder, linear.getLoc(), linear.getW(), gamma);
    linear.getWMutable().assign(scaled);
  }
  norm.getGammaMutable().clear();
  return true;
}

namespace {
struct LoomFoldNormPass : loom::impl::LoomFoldNormBase<LoomFoldNormPass> {
  void runOnOperation() override {
    SmallVector<RMSNormOp> norms;
    getOperation()->walk([&](RMSNormOp norm) { norms.push_back(norm); });
    for (RMSNormOp norm : norms)
      foldNorm(norm);
  }
};
} // namespace
