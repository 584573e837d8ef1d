//===- StructurePatterns.cpp - Lower loom weight and loop ops -------------===//
//
// Weight reshaping (transpose, split, concat, slice, embedding rows) and
// weight-shared loops.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/LoomToLinalg/Builders.h"
#include "compiler/Conversion/LoomToLinalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace loom;

namespace {

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value empty = createEmpty(rewriter, op.getLoc(), type, {});
    rewriter.replaceOp(op, linalg::TransposeOp::create(
                               rewriter, op.getLoc(), adaptor.getInput(), empty,
                               ArrayRef<int64_t>{1, 0})
                               .getResult());
    return success();
  }
};

/// `loom.convert`: an elementwise loop that narrows (`arith.truncf`, to
/// nearest even) or widens (`arith.extf`) each element.
struct ConvertLowering : OpConversionPattern<ConvertOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    Type from = getElementTypeOrSelf(input.getType());
    Type to = type.getElementType();
    unsigned rank = type.getRank();
    Value empty =
        createEmpty(rewriter, loc, type, getSizes(rewriter, loc, input));
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, input, empty,
        ArrayRef<AffineMap>{identity, identity}, iterators,
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value element = args[0];
          if (to.getIntOrFloatBitWidth() < from.getIntOrFloatBitWidth())
            element = arith::TruncFOp::create(b, nloc, to, element);
          else if (from != to)
            element = arith::ExtFOp::create(b, nloc, to, element);
          linalg::YieldOp::create(b, nloc, element);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Extracts `[offset, offset + size)` of `input` along `axis`.
Value extractAlong(OpBuilder &b, Location loc, Value input, int64_t axis,
                   int64_t offset, int64_t size) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = getSizes(b, loc, input);
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  offsets[axis] = b.getIndexAttr(offset);
  sizes[axis] = b.getIndexAttr(size);
  return tensor::ExtractSliceOp::create(b, loc, input, offsets, sizes, strides);
}

struct SplitLowering : OpConversionPattern<SplitOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    int64_t axis = op.getAxis();
    int64_t offset = 0;
    SmallVector<Value> results;
    for (int64_t size : op.getSizes()) {
      results.push_back(extractAlong(rewriter, op.getLoc(), adaptor.getInput(),
                                     axis, offset, size));
      offset += size;
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, extractAlong(rewriter, op.getLoc(),
                                        adaptor.getInput(), op.getAxis(),
                                        op.getOffset(), op.getSize()));
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, tensor::ConcatOp::create(rewriter, op.getLoc(),
                                                    op.getAxis(),
                                                    adaptor.getInputs()));
    return success();
  }
};

struct EmbeddingRowLowering : OpConversionPattern<EmbeddingRowOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingRowOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(op.getIndex()),
                                         rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {
        rewriter.getIndexAttr(1), rewriter.getIndexAttr(type.getDimSize(0))};
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    rewriter.replaceOp(op, tensor::ExtractSliceOp::create(
                               rewriter, op.getLoc(), type, adaptor.getTable(),
                               offsets, sizes, strides));
    return success();
  }
};

/// `loom.loop` becomes an `scf.for` whose induction variable is the
/// iteration index: the body is emitted once, whatever the trip count.
struct LoopLowering : OpConversionPattern<LoopOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LoopOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Which tokens leave when is decided by the runtime's kernels.
    if (op.isAdaptive())
      return failure();
    Location loc = op.getLoc();
    Value lower = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value upper =
        arith::ConstantIndexOp::create(rewriter, loc, op.getTripCount());
    Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto forOp = scf::ForOp::create(rewriter, loc, lower, upper, step,
                                    adaptor.getInits());
    Block *forBody = forOp.getBody();
    // scf.for builds an empty body with a yield only when there are no
    // iter_args; start from a clean block either way.
    if (!forBody->empty())
      rewriter.eraseOp(forBody->getTerminator());
    SmallVector<Value> replacements(forBody->getArguments());
    rewriter.mergeBlocks(op.getBodyBlock(), forBody, replacements);
    auto yield = cast<YieldOp>(forBody->getTerminator());
    rewriter.setInsertionPoint(yield);
    scf::YieldOp::create(rewriter, yield.getLoc(), yield.getValues());
    rewriter.eraseOp(yield);
    rewriter.replaceOp(op, forOp.getResults());
    return success();
  }
};

/// `loom.observe` left for the generic lowering (a build without the
/// runtime's kernels, which records no calibration) shows nothing.
struct ObserveLowering : OpConversionPattern<ObserveOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ObserveOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void loom::populateStructureLoweringPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns
      .add<ConvertLowering, TransposeLowering, SplitLowering, SliceLowering,
           ConcatLowering, EmbeddingRowLowering, LoopLowering, ObserveLowering>(
          converter, patterns.getContext());
}
