//===- SequencePatterns.cpp - Lower mixing along the sequence -------------===//
//
// `loom.cumsum` and `loom.linear_attend` carry a running state from row to
// row: each becomes an `scf.for` over the rows whose iteration adds one row
// to the state and reads the result off it. That is the same loop for a
// prompt and for one decoded token, and it never materializes a [seq, seq]
// matrix. With a `state` operand (after `--loom-bind-runtime`) the loop
// starts from the state (or from 0 at position 0) and writes its last value
// back. `loom.positions` is a column of absolute positions.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/LoomToLinalg/Builders.h"
#include "compiler/Conversion/LoomToLinalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace loom;

namespace {

/// The running state a loop over the rows starts from: 0 without `state`;
/// with it, the state's contents, or 0 when `pos` is 0 (a new sequence).
Value initialState(OpBuilder &b, Location loc, RankedTensorType type,
                   Value state, Value pos) {
  if (!state)
    return createFilled(b, loc, type, {}, 0.0);
  auto memrefType = cast<MemRefType>(state.getType());
  Value current = bufferization::ToTensorOp::create(
      b, loc,
      RankedTensorType::get(memrefType.getShape(), type.getElementType()),
      state, /*restrict=*/true, /*writable=*/false);
  Value fresh =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, pos,
                            arith::ConstantIndexOp::create(b, loc, 0));
  Value zero = floatConstant(b, loc, type.getElementType(), 0.0);
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{current},
             ValueRange{createEmpty(b, loc, type, {})},
             ArrayRef<AffineMap>{identity, identity},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l,
                   arith::SelectOp::create(nb, l, fresh, zero, args[0])
                       .getResult());
             })
      .getResult(0);
}

/// Offsets, sizes and strides of row `i` of a [seq, ...] tensor of `type`.
struct RowSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  RowSlice(OpBuilder &b, RankedTensorType type, Value i)
      : offsets(type.getRank(), b.getIndexAttr(0)), sizes({b.getIndexAttr(1)}),
        strides(type.getRank(), b.getIndexAttr(1)) {
    offsets[0] = i;
    for (int64_t size : type.getShape().drop_front())
      sizes.push_back(b.getIndexAttr(size));
  }
};

/// Row `i` of `x` ([seq, ...]) without its sequence dimension.
Value rowOf(OpBuilder &b, Location loc, Value x, Value i) {
  auto type = cast<RankedTensorType>(x.getType());
  RowSlice row(b, type, i);
  auto rowType = RankedTensorType::get(type.getShape().drop_front(),
                                       type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, rowType, x, row.offsets,
                                        row.sizes, row.strides);
}

/// `rows` with `row` (one row, without the sequence dimension) as row `i`.
Value insertRow(OpBuilder &b, Location loc, Value row, Value rows, Value i) {
  RowSlice slice(b, cast<RankedTensorType>(rows.getType()), i);
  return tensor::InsertSliceOp::create(b, loc, row, rows, slice.offsets,
                                       slice.sizes, slice.strides);
}

/// Writes the final running state back, when the op has one.
void storeState(OpBuilder &b, Location loc, Value finalState, Value state) {
  if (!state)
    return;
  bufferization::MaterializeInDestinationOp::create(
      b, loc, /*result=*/Type(), finalState, state, /*restrict=*/false,
      /*writable=*/true);
}

/// y[i] = s + x[0] + ... + x[i], one row at a time.
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto type = cast<RankedTensorType>(x.getType());
    auto rowType = RankedTensorType::get(type.getShape().drop_front(),
                                         type.getElementType());
    Value init = initialState(rewriter, loc, rowType, adaptor.getState(),
                              adaptor.getPos());
    SmallVector<OpFoldResult> sizes = getSizes(rewriter, loc, x);
    Value out = createEmpty(rewriter, loc, type, sizes);
    Value seq = getValueOrCreateConstantIndexOp(rewriter, loc, sizes[0]);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rowType.getRank());
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, seq, one, ValueRange{init, out},
        [&](OpBuilder &b, Location l, Value i, ValueRange carried) {
          Value sum = linalg::GenericOp::create(
                          b, l, rowType, ValueRange{rowOf(b, l, x, i)},
                          ValueRange{carried[0]},
                          ArrayRef<AffineMap>{identity, identity},
                          SmallVector<utils::IteratorType>(
                              rowType.getRank(), utils::IteratorType::parallel),
                          [](OpBuilder &nb, Location nl, ValueRange args) {
                            linalg::YieldOp::create(
                                nb, nl,
                                arith::AddFOp::create(nb, nl, args[1], args[0])
                                    .getResult());
                          })
                          .getResult(0);
          scf::YieldOp::create(
              b, l, ValueRange{sum, insertRow(b, l, sum, carried[1], i)});
        });
    storeState(rewriter, loc, loop.getResult(0), adaptor.getState());
    rewriter.replaceOp(op, loop.getResult(1));
    return success();
  }
};

/// o[i, h] = scale * q[i, h] S_i[h / G], S_i = S_{i-1} + k[i]^T v[i], one row
/// at a time.
struct LinearAttendLowering : OpConversionPattern<LinearAttendOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LinearAttendOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto heads = static_cast<int64_t>(op.getNumHeads());
    auto kvHeads = static_cast<int64_t>(op.getNumKvHeads());
    auto headDim = static_cast<int64_t>(op.getHeadDim());
    int64_t valueDim = op.getValueDim();
    int64_t group = heads / kvHeads;
    double scale = op.getScale().convertToDouble();
    Type element =
        cast<RankedTensorType>(adaptor.getQ().getType()).getElementType();

    Value q = splitHeads(rewriter, loc, adaptor.getQ(), heads, headDim);
    Value k = splitHeads(rewriter, loc, adaptor.getK(), kvHeads, headDim);
    Value v = splitHeads(rewriter, loc, adaptor.getV(), kvHeads, valueDim);
    auto stateType =
        RankedTensorType::get({kvHeads, headDim, valueDim}, element);
    Value init = initialState(rewriter, loc, stateType, adaptor.getState(),
                              adaptor.getPos());
    auto outType =
        RankedTensorType::get({ShapedType::kDynamic, heads, valueDim}, element);
    OpFoldResult seqSize = getSizes(rewriter, loc, q)[0];
    Value out = createEmpty(rewriter, loc, outType, {seqSize});
    Value seq = getValueOrCreateConstantIndexOp(rewriter, loc, seqSize);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto rowType = RankedTensorType::get({heads, valueDim}, element);

    AffineExpr a, c, d;
    bindDims(ctx, a, c, d);
    auto parallel = utils::IteratorType::parallel;
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, seq, one, ValueRange{init, out},
        [&](OpBuilder &b, Location l, Value i, ValueRange carried) {
          // S[g, d, e] += k[i, g, d] v[i, g, e]
          Value updated =
              linalg::GenericOp::create(
                  b, l, stateType,
                  ValueRange{rowOf(b, l, k, i), rowOf(b, l, v, i)},
                  ValueRange{carried[0]},
                  ArrayRef<AffineMap>{AffineMap::get(3, 0, {a, c}, ctx),
                                      AffineMap::get(3, 0, {a, d}, ctx),
                                      AffineMap::get(3, 0, {a, c, d}, ctx)},
                  SmallVector<utils::IteratorType>(3, parallel),
                  [](OpBuilder &nb, Location nl, ValueRange args) {
                    Value product =
                        arith::MulFOp::create(nb, nl, args[0], args[1]);
                    linalg::YieldOp::create(
                        nb, nl,
                        arith::AddFOp::create(nb, nl, args[2], product)
                            .getResult());
                  })
                  .getResult(0);
          // o[h, e] = scale * sum_d q[i, h, d] S[h / G, d, e]; loops
          // (h, d, e), the innermost along contiguous rows of S.
          Value row =
              linalg::GenericOp::create(
                  b, l, rowType, ValueRange{rowOf(b, l, q, i), updated},
                  ValueRange{createFilled(b, l, rowType, {}, 0.0)},
                  ArrayRef<AffineMap>{
                      AffineMap::get(3, 0, {a, c}, ctx),
                      AffineMap::get(3, 0, {a.floorDiv(group), c, d}, ctx),
                      AffineMap::get(3, 0, {a, d}, ctx)},
                  ArrayRef<utils::IteratorType>{
                      parallel, utils::IteratorType::reduction, parallel},
                  [&](OpBuilder &nb, Location nl, ValueRange args) {
                    Value query = args[0];
                    if (scale != 1.0)
                      query = arith::MulFOp::create(
                          nb, nl, query, floatConstant(nb, nl, element, scale));
                    Value product =
                        arith::MulFOp::create(nb, nl, query, args[1]);
                    linalg::YieldOp::create(
                        nb, nl,
                        arith::AddFOp::create(nb, nl, args[2], product)
                            .getResult());
                  })
                  .getResult(0);
          scf::YieldOp::create(
              b, l, ValueRange{updated, insertRow(b, l, row, carried[1], i)});
        });
    storeState(rewriter, loc, loop.getResult(0), adaptor.getState());
    Value result = tensor::CollapseShapeOp::create(
        rewriter, loc, loop.getResult(1),
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// y[i, 0] = offset + i.
struct PositionsLowering : OpConversionPattern<PositionsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PositionsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value offset = adaptor.getOffset();
    Value empty = createEmpty(rewriter, loc, type,
                              {getSizes(rewriter, loc, adaptor.getLike())[0],
                               rewriter.getIndexAttr(1)});
    AffineMap identity = rewriter.getMultiDimIdentityMap(2);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{}, ValueRange{empty},
            ArrayRef<AffineMap>{identity},
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange) {
              Value index = linalg::IndexOp::create(b, l, 0);
              if (offset)
                index = arith::AddIOp::create(b, l, offset, index);
              Value wide =
                  arith::IndexCastUIOp::create(b, l, b.getI64Type(), index);
              linalg::YieldOp::create(
                  b, l,
                  arith::UIToFPOp::create(b, l, type.getElementType(), wide)
                      .getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void loom::populateSequenceLoweringPatterns(TypeConverter &converter,
                                            RewritePatternSet &patterns) {
  patterns.add<CumSumLowering, LinearAttendLowering, PositionsLowering>(
      converter, patterns.getContext());
}
