//===- Products.cpp - The products the CUDA target treats apart -----------===//

#include "targets/cuda/Products.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;

std::optional<loom::cuda::WeightLayout>
loom::cuda::matchProduct(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 3)
    return std::nullopt;
  using utils::IteratorType;
  if (op.getIteratorTypesArray() !=
      SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                IteratorType::reduction})
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](ArrayRef<AffineExpr> results) {
    return AffineMap::get(3, 0, results, ctx);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != map({m, k}) || maps[2] != map({m, n}))
    return std::nullopt;
  WeightLayout layout;
  if (maps[1] == map({n, k}))
    layout = WeightLayout::Rows;
  else if (maps[1] == map({k, n}))
    layout = WeightLayout::Columns;
  else
    return std::nullopt;
  // x, w and out in f32, or w in a half type widened first.
  Block &body = op.getRegion().front();
  Value a = body.getArgument(0), b = body.getArgument(1);
  bool widened = !b.getType().isF32();
  if (!a.getType().isF32() || !body.getArgument(2).getType().isF32() ||
      body.getOperations().size() != (widened ? 4u : 3u))
    return std::nullopt;
  if (widened) {
    if (!b.getType().isBF16() && !b.getType().isF16())
      return std::nullopt;
    if (!b.hasOneUse())
      return std::nullopt;
    auto extend = dyn_cast<arith::ExtFOp>(*b.getUsers().begin());
    if (!extend)
      return std::nullopt;
    b = extend.getResult();
  }
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value accumulator = body.getArgument(2);
  Value other = add.getLhs() == accumulator   ? add.getRhs()
                : add.getRhs() == accumulator ? add.getLhs()
                                              : Value();
  auto mul = other ? other.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return std::nullopt;
  if ((mul.getLhs() == a && mul.getRhs() == b) ||
      (mul.getLhs() == b && mul.getRhs() == a))
    return layout;
  return std::nullopt;
}

bool loom::cuda::isRowProduct(linalg::GenericOp op) {
  return matchProduct(op) == WeightLayout::Rows;
}

scf::IfOp loom::cuda::branchOnRows(OpBuilder &builder, linalg::GenericOp op,
                                   Value rows, int64_t limit) {
  Location loc = op.getLoc();
  builder.setInsertionPoint(op);
  Value bound = arith::ConstantIndexOp::create(builder, loc, limit);
  Value few = arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ule,
                                    rows, bound);
  Type resultType = op.getResult(0).getType();
  auto branch = scf::IfOp::create(builder, loc, TypeRange{resultType}, few,
                                  /*withElseRegion=*/true);
  builder.setInsertionPointToStart(&branch.getElseRegion().front());
  Operation *kept = builder.clone(*op);
  scf::YieldOp::create(builder, loc, kept->getResult(0));
  op.getResult(0).replaceAllUsesWith(branch.getResult(0));
  builder.setInsertionPointToStart(&branch.getThenRegion().front());
  return branch;
}

Value loom::cuda::splitInnermost(OpBuilder &builder, Location loc, Value tensor,
                                 Value rows, int64_t ways) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t steps = type.getDimSize(1) / ways;
  OpFoldResult first = type.isDynamicDim(0)
                           ? OpFoldResult(rows)
                           : builder.getIndexAttr(type.getDimSize(0));
  return tensor::ExpandShapeOp::create(
      builder, loc,
      RankedTensorType::get({type.getDimSize(0), steps, ways},
                            type.getElementType()),
      tensor, SmallVector<ReassociationIndices>{{0}, {1, 2}},
      ArrayRef<OpFoldResult>{first, builder.getIndexAttr(steps),
                             builder.getIndexAttr(ways)});
}

Value loom::cuda::zeros(OpBuilder &builder, Location loc,
                        ArrayRef<int64_t> shape, Value rows) {
  Type f32 = builder.getF32Type();
  SmallVector<Value> dynamicSizes;
  if (ShapedType::isDynamic(shape.front()))
    dynamicSizes.push_back(rows);
  Value empty = tensor::EmptyOp::create(
      builder, loc, RankedTensorType::get(shape, f32), dynamicSizes);
  Value zero =
      arith::ConstantOp::create(builder, loc, f32, builder.getF32FloatAttr(0));
  return linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
}

LogicalResult loom::cuda::checkSplitOptions(Operation *op, int64_t rows,
                                            int64_t ways) {
  if (ways < 2 || ways > 1024 || (ways & (ways - 1)) != 0)
    return op->emitError("ways must be a power of two in [2, 1024], got ")
           << ways;
  if (rows < 1)
    return op->emitError("rows must be at least 1, got ") << rows;
  return success();
}
