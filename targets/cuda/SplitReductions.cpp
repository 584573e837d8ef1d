//===- SplitReductions.cpp - Row sums of few rows over more threads -------===//
//
// `loom-split-reductions`: a norm sums each row of its input (RMSNorm's sum
// of squares, LayerNorm's mean and variance). Mapped one thread a row, a
// decode step's norm (one row of `dim` values) is one thread reading the
// whole row in sequence while the rest of the GPU idles, twice a layer.
// As `loom-split-products` does for products, the sum is split into `ways`
// partial sums a row, whose lane varies fastest (a warp reads consecutive
// values), and a second kernel adds them up. Neither kernel needs shared
// memory or barriers, so the emulation (`--loom-emulate-gpu`) checks them
// by numbers.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "targets/cuda/Products.h"

#include "mlir/IR/AffineMap.h"

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMSPLITREDUCTIONS
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

/// True if `op`'s body ends in `out + value`, the output's element read
/// there only: a sum, whose terms may be added in any order.
static bool isSum(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  BlockArgument out = body.getArguments().back();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || !out.getType().isF32() || !out.hasOneUse())
    return false;
  return add.getLhs() == out || add.getRhs() == out;
}

/// The static length of the rows `op` sums if it is a row sum of f32
/// tensors: out[r] += f(in[r, k], ..., row[r], ...) over k, each input
/// indexed by (r, k) or by r; else nothing.
static std::optional<int64_t> rowSumLength(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 2 || op.hasIndexSemantics())
    return std::nullopt;
  using utils::IteratorType;
  if (op.getIteratorTypesArray() !=
      SmallVector<IteratorType>{IteratorType::parallel,
                                IteratorType::reduction})
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr r, k;
  bindDims(ctx, r, k);
  AffineMap row = AffineMap::get(2, 0, {r}, ctx);
  AffineMap element = AffineMap::get(2, 0, {r, k}, ctx);
  if (op.getMatchingIndexingMap(op.getDpsInitOperand(0)) != row || !isSum(op))
    return std::nullopt;
  std::optional<int64_t> length;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map == row)
      continue;
    if (map != element)
      return std::nullopt;
    int64_t size = cast<RankedTensorType>(input->get().getType()).getDimSize(1);
    if (ShapedType::isDynamic(size) || (length && *length != size))
      return std::nullopt;
    length = size;
  }
  return length;
}

namespace {

struct SplitReductionsPass
    : loom::cuda::impl::LoomSplitReductionsBase<SplitReductionsPass> {
  using LoomSplitReductionsBase::LoomSplitReductionsBase;

  void runOnOperation() override {
    if (failed(loom::cuda::checkSplitOptions(getOperation(), rows, ways)))
      return signalPassFailure();
    SmallVector<linalg::GenericOp> sums;
    getOperation().walk([&](linalg::GenericOp op) {
      std::optional<int64_t> length = rowSumLength(op);
      if (length && *length % ways == 0 && *length >= 2 * ways)
        sums.push_back(op);
    });
    for (linalg::GenericOp op : sums)
      split(op);
  }

  /// Replaces `op` by `rows <= this.rows ? split : op`.
  void split(linalg::GenericOp op) {
    OpBuilder builder(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value init = op.getDpsInits()[0];
    Value zeroIndex = arith::ConstantIndexOp::create(builder, loc, 0);
    Value count = tensor::DimOp::create(builder, loc, init, zeroIndex);
    Type resultType = op.getResult(0).getType();
    // Few rows: partial sums, then their sum (else the sum unchanged).
    loom::cuda::branchOnRows(builder, op, count, rows);

    // partial[r, l] = sum over j of f(in[r, j * ways + l], ..., row[r]):
    // the loops (r, l, j), the inputs split as [r, k / ways, ways].
    AffineExpr r, l, j;
    bindDims(ctx, r, l, j);
    AffineMap row2 = AffineMap::get(2, 0, {r}, ctx);
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (OpOperand *input : op.getDpsInputOperands()) {
      if (op.getMatchingIndexingMap(input) == row2) {
        inputs.push_back(input->get());
        maps.push_back(AffineMap::get(3, 0, {r}, ctx));
        continue;
      }
      inputs.push_back(
          loom::cuda::splitInnermost(builder, loc, input->get(), count, ways));
      maps.push_back(AffineMap::get(3, 0, {r, j, l}, ctx));
    }
    maps.push_back(AffineMap::get(3, 0, {r, l}, ctx));
    int64_t rowCount = cast<RankedTensorType>(resultType).getDimSize(0);
    Value zeros =
        loom::cuda::zeros(builder, loc, {rowCount, int64_t(ways)}, count);
    using utils::IteratorType;
    auto partial = linalg::GenericOp::create(
        builder, loc, TypeRange{zeros.getType()}, inputs, ValueRange{zeros},
        maps,
        ArrayRef<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                               IteratorType::reduction});
    // The same terms (the body's block arguments are the same: the inputs'
    // elements, then the sum so far).
    IRMapping mapping;
    op.getRegion().cloneInto(&partial.getRegion(), mapping);

    // out[r] += sum over l of partial[r, l].
    auto total = linalg::GenericOp::create(
        builder, loc, TypeRange{resultType}, ValueRange{partial.getResult(0)},
        ValueRange{init},
        ArrayRef<AffineMap>{AffineMap::get(2, 0, {r, l}, ctx), row2},
        ArrayRef<IteratorType>{IteratorType::parallel, IteratorType::reduction},
        /*doc=*/"", /*libraryCall=*/"",
        [](OpBuilder &b, Location at, ValueRange args) {
          Value sum = arith::AddFOp::create(b, at, args[1], args[0]);
          linalg::YieldOp::create(b, at, sum);
        });
    scf::YieldOp::create(builder, loc, total.getResult(0));
    op.erase();
  }
};

} // namespace
