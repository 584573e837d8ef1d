//===- SplitProducts.cpp - Products of few rows over more threads ---------===//
//
// `loom-split-products`: a decode step's products are matrix-vector
// products, bound by how fast the weights stream from memory. Mapped one
// thread an output, a warp's 32 threads read 32 weight rows at once, k
// floats apart: every load touches 32 cache lines. Split into `ways` partial
// sums whose lane varies fastest, consecutive threads read consecutive
// weights of one row, and the partial sums (ways floats an output, far fewer
// than the weights) are added up by a second, small kernel. Neither needs
// shared memory or barriers, so the test mode that emulates the kernels on
// the host (`--loom-emulate-gpu`) checks them by numbers.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "targets/cuda/Products.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMSPLITPRODUCTS
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

/// The body `out + lhs * rhs` (or `out + lhs` without `rhs`).
static void buildSum(OpBuilder &builder, Location loc, ValueRange args,
                     bool product) {
  Value term = args[0];
  if (product) {
    // A weight in a half type is widened as it is read.
    Value weight = args[1];
    if (weight.getType() != term.getType())
      weight = arith::ExtFOp::create(builder, loc, term.getType(), weight);
    term = arith::MulFOp::create(builder, loc, term, weight);
  }
  Value sum = arith::AddFOp::create(builder, loc, args.back(), term);
  linalg::YieldOp::create(builder, loc, sum);
}

namespace {

struct SplitProductsPass
    : loom::cuda::impl::LoomSplitProductsBase<SplitProductsPass> {
  using LoomSplitProductsBase::LoomSplitProductsBase;

  void runOnOperation() override {
    if (failed(loom::cuda::checkSplitOptions(getOperation(), rows, ways)))
      return signalPassFailure();
    SmallVector<linalg::GenericOp> products;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && loom::cuda::isRowProduct(op))
        products.push_back(op);
    });
    for (linalg::GenericOp op : products)
      split(op);
  }

  /// Replaces `op` by `rows <= this.rows ? split : op`.
  void split(linalg::GenericOp op) {
    Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
    Value init = op.getDpsInits()[0];
    auto xType = cast<RankedTensorType>(x.getType());
    auto wType = cast<RankedTensorType>(w.getType());
    int64_t k = wType.getDimSize(1);
    if (ShapedType::isDynamic(k) || k % ways != 0 || k < 2 * ways ||
        xType.getDimSize(1) != k || wType.isDynamicDim(0))
      return;
    int64_t n = wType.getDimSize(0);
    OpBuilder builder(op);
    Location loc = op.getLoc();
    Value zeroIndex = arith::ConstantIndexOp::create(builder, loc, 0);
    Value m = tensor::DimOp::create(builder, loc, x, zeroIndex);
    Type resultType = op.getResult(0).getType();
    // Few rows: partial sums, then their sum (else the product unchanged).
    loom::cuda::branchOnRows(builder, op, m, rows);
    MLIRContext *ctx = op.getContext();
    Value xSplit = loom::cuda::splitInnermost(builder, loc, x, m, ways);
    Value wSplit = loom::cuda::splitInnermost(builder, loc, w, m, ways);
    auto partialType = RankedTensorType::get(
        {xType.getDimSize(0), n, int64_t(ways)}, builder.getF32Type());
    Value zeros = loom::cuda::zeros(builder, loc, partialType.getShape(), m);
    AffineExpr d0, d1, d2, d3;
    bindDims(ctx, d0, d1, d2, d3);
    using utils::IteratorType;
    auto partial = linalg::GenericOp::create(
        builder, loc, TypeRange{partialType}, ValueRange{xSplit, wSplit},
        ValueRange{zeros},
        ArrayRef<AffineMap>{AffineMap::get(4, 0, {d0, d3, d2}, ctx),
                            AffineMap::get(4, 0, {d1, d3, d2}, ctx),
                            AffineMap::get(4, 0, {d0, d1, d2}, ctx)},
        ArrayRef<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                               IteratorType::parallel, IteratorType::reduction},
        /*doc=*/"", /*libraryCall=*/"",
        [](OpBuilder &b, Location l, ValueRange args) {
          buildSum(b, l, args, /*product=*/true);
        });
    auto total = linalg::GenericOp::create(
        builder, loc, TypeRange{resultType}, ValueRange{partial.getResult(0)},
        ValueRange{init},
        ArrayRef<AffineMap>{AffineMap::get(3, 0, {d0, d1, d2}, ctx),
                            AffineMap::get(3, 0, {d0, d1}, ctx)},
        ArrayRef<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                               IteratorType::reduction},
        /*doc=*/"", /*libraryCall=*/"",
        [](OpBuilder &b, Location l, ValueRange args) {
          buildSum(b, l, args, /*product=*/false);
        });
    scf::YieldOp::create(builder, loc, total.getResult(0));
    op.erase();
  }
};

} // namespace
