//===- FuseQKV.cpp - One product for an attention's q, k and v -----------===//
//
// Implements --loom-fuse-qkv: the q, k and v projections of one attention
// read the same input, so they are one linear layer over their concatenated
// weights (and biases), whose output is split into q, k and v again. One
// product streams the input once and runs one parallel region instead of
// three. When the three weights are themselves pieces of one tensor (GPT-2's
// c_attn), the concatenation folds away and the checkpoint's tensor is used
// as it is; otherwise `--loom-derive-weights` turns it into a derived weight
// computed once at load.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace loom {
#define GEN_PASS_DEF_LOOMFUSEQKV
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

/// Fuses `linears` (same input, all with or all without bias, none with a
/// residual or an activation, each used only by `user`) into one product, built
/// just before `user`, whose output is split back into their results. Returns
/// false (changing nothing) when they do not qualify.
static bool fuseSiblingLinears(ArrayRef<LinearOp> linears, Operation *user) {
  LinearOp first = linears.front();
  Value x = first.getX();
  bool biased = bool(first.getBias());
  Type elementType =
      cast<RankedTensorType>(first.getW().getType()).getElementType();
  SmallVector<int64_t> widths;
  for (LinearOp linear : linears) {
    auto type = cast<RankedTensorType>(linear.getW().getType());
    if (linear.getX() != x || bool(linear.getBias()) != biased ||
        linear.getResidual() || linear.getActivation() ||
        type.getElementType() != elementType || type.isDynamicDim(0) ||
        !llvm::all_of(linear->getUsers(),
                      [&](Operation *other) { return other == user; }))
      return false;
    widths.push_back(type.getDimSize(0));
  }
  OpBuilder builder(user);
  Location loc = builder.getFusedLoc(llvm::to_vector(llvm::map_range(
      linears, [](LinearOp linear) { return Location(linear.getLoc()); })));
  SmallVector<Value> weights, biases;
  for (LinearOp linear : linears) {
    weights.push_back(linear.getW());
    if (biased)
      biases.push_back(linear.getBias());
  }
  // Pieces of one tensor fold back into it.
  Value w = builder.createOrFold<ConcatOp>(loc, weights, 0);
  Value bias =
      biased ? builder.createOrFold<ConcatOp>(loc, biases, 0) : Value();
  Value y = LinearOp::create(builder, loc, x, w, bias);
  auto pieces = SplitOp::create(builder, loc, y, 1, widths);
  for (auto [linear, piece] : llvm::zip_equal(linears, pieces.getResults())) {
    Operation *op = linear;
    op->replaceAllUsesWith(ValueRange{piece});
    op->erase();
  }
  return true;
}

bool loom::fuseQKV(AttendOp attend) {
  auto q = attend.getQ().getDefiningOp<LinearOp>();
  auto k = attend.getK().getDefiningOp<LinearOp>();
  auto v = attend.getV().getDefiningOp<LinearOp>();
  if (!q || !k || !v || q == k || k == v || q == v)
    return false;
  // Quantized weights are bytes in their own format: fuse before quantizing.
  if (q.getFormat() || k.getFormat() || v.getFormat())
    return false;
  return fuseSiblingLinears({q, k, v}, attend);
}

namespace {
struct LoomFuseQKVPass : loom::impl::LoomFuseQKVBase<LoomFuseQKVPass> {
  void runOnOperation() override {
    SmallVector<AttendOp> attends;
    getOperation()->walk([&](AttendOp attend) { attends.push_back(attend); });
    for (AttendOp attend : attends)
      fuseQKV(attend);
  }
};
} // namespace
