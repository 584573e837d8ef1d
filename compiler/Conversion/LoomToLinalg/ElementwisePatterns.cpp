//===- ElementwisePatterns.cpp - Lower loom elementwise ops ---------------===//
//
// Activations, scaling and gated linear units.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/LoomToLinalg/Builders.h"
#include "compiler/Conversion/LoomToLinalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace loom;

namespace {

struct ActivationLowering : OpConversionPattern<ActivationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ActivationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ActivationKind kind = op.getActivation();
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), adaptor.getX(),
                             [&](OpBuilder &b, Location loc, ValueRange args) {
                               return buildActivation(b, loc, kind, args[0]);
                             }));
    return success();
  }
};

struct ScaleLowering : OpConversionPattern<ScaleOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScaleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    double factor = op.getFactor().convertToDouble();
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), adaptor.getX(),
                [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value c = floatConstant(b, loc, args[0].getType(), factor);
                  return arith::MulFOp::create(b, loc, args[0], c);
                }));
    return success();
  }
};

/// `loom.glu`: the two halves of each row are views of the input, read by
/// one elementwise loop.
struct GluLowering : OpConversionPattern<GluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto type = cast<RankedTensorType>(op.getType());
    if (type.isDynamicDim(1))
      return rewriter.notifyMatchFailure(op, "needs a static width");
    int64_t half = type.getDimSize(1);
    OpFoldResult rows = getSizes(rewriter, loc, x)[0];
    auto halfOf = [&](int64_t offset) -> Value {
      SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0),
                                           rewriter.getIndexAttr(offset)};
      SmallVector<OpFoldResult> sizes = {rows, rewriter.getIndexAttr(half)};
      SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
      return tensor::ExtractSliceOp::create(rewriter, loc, x, offsets, sizes,
                                            strides);
    };
    ActivationKind kind = op.getActivation();
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, loc, ValueRange{halfOf(0), halfOf(half)},
                [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                  Value gate = buildActivation(b, l, kind, args[0]);
                  return arith::MulFOp::create(b, l, gate, args[1]);
                }));
    return success();
  }
};

} // namespace

void loom::populateElementwiseLoweringPatterns(TypeConverter &converter,
                                               RewritePatternSet &patterns) {
  patterns.add<ActivationLowering, ScaleLowering, GluLowering>(
      converter, patterns.getContext());
}
