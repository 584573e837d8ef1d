//===- LayerPatterns.cpp - Lower loom layers to linalg --------------------===//
//
// Embeddings, linear layers, feed-forward networks and norms.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/LoomToLinalg/Builders.h"
#include "compiler/Conversion/LoomToLinalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace loom;

namespace {

/// Gathers rows of `table`: `result[i, d] = table[row(i), d]` (widened to
/// the result's type), where `row` computes the table row of output row `i`
/// from its token id.
Value buildGather(
    OpBuilder &b, Location loc, Value ids, Value table, Type resultType,
    function_ref<Value(OpBuilder &, Location, Value /*id*/, Value /*i*/)> row) {
  auto type = cast<RankedTensorType>(resultType);
  SmallVector<OpFoldResult> sizes = {getSizes(b, loc, ids)[0],
                                     b.getIndexAttr(type.getDimSize(1))};
  Value empty = createEmpty(b, loc, type, sizes);
  MLIRContext *ctx = b.getContext();
  AffineExpr i, d;
  bindDims(ctx, i, d);
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{ids}, ValueRange{empty},
             ArrayRef<AffineMap>{AffineMap::get(2, 0, {i}, ctx),
                                 AffineMap::get(2, 0, {i, d}, ctx)},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value rowIndex = linalg::IndexOp::create(nb, nloc, 0);
               Value column = linalg::IndexOp::create(nb, nloc, 1);
               Value tableRow = row(nb, nloc, args[0], rowIndex);
               Value element = tensor::ExtractOp::create(
                   nb, nloc, table, ValueRange{tableRow, column});
               // A half-precision table's values, widened.
               if (element.getType() != type.getElementType())
                 element = arith::ExtFOp::create(
                     nb, nloc, type.getElementType(), element);
               linalg::YieldOp::create(nb, nloc, element);
             })
      .getResult(0);
}

struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildGather(
        rewriter, op.getLoc(), adaptor.getIds(), adaptor.getTable(),
        op.getType(), [](OpBuilder &b, Location loc, Value id, Value) {
          return arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct PositionEmbeddingLowering : OpConversionPattern<PositionEmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PositionEmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value offset = adaptor.getOffset();
    Value result = buildGather(
        rewriter, op.getLoc(), adaptor.getIds(), adaptor.getTable(),
        op.getType(), [&](OpBuilder &b, Location loc, Value, Value i) {
          return offset ? arith::AddIOp::create(b, loc, offset, i).getResult()
                        : i;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LinearLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       buildLinear(rewriter, op.getLoc(), adaptor.getX(),
                                   adaptor.getW(), adaptor.getBias(),
                                   adaptor.getResidual(), op.getActivation()));
    return success();
  }
};

struct MLPLowering : OpConversionPattern<MLPOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MLPOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ActivationKind kind = op.getActivation();
    Value hidden = buildLinear(rewriter, loc, adaptor.getX(), adaptor.getWUp(),
                               adaptor.getBUp());
    Value activated = buildElementwise(
        rewriter, loc, hidden, [&](OpBuilder &b, Location l, ValueRange args) {
          return buildActivation(b, l, kind, args[0]);
        });
    rewriter.replaceOp(op, buildLinear(rewriter, loc, activated,
                                       adaptor.getWDown(), adaptor.getBDown()));
    return success();
  }
};

struct GatedMLPLowering : OpConversionPattern<GatedMLPOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatedMLPOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ActivationKind kind = op.getActivation();
    Value gate = buildLinear(rewriter, loc, adaptor.getX(), adaptor.getWGate(),
                             adaptor.getBGate());
    Value up = buildLinear(rewriter, loc, adaptor.getX(), adaptor.getWUp(),
                           adaptor.getBUp());
    Value hidden = buildElementwise(
        rewriter, loc, ValueRange{gate, up},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value activated = buildActivation(b, l, kind, args[0]);
          return arith::MulFOp::create(b, l, activated, args[1]);
        });
    rewriter.replaceOp(op, buildLinear(rewriter, loc, hidden,
                                       adaptor.getWDown(), adaptor.getBDown()));
    return success();
  }
};

/// `x * rsqrt(stat[i] + eps) (* gamma) (+ beta)` after subtracting `mean[i]`
/// when given; `stat` is the per-row variance (or mean square).
Value buildNormalize(OpBuilder &b, Location loc, Value x, Value mean,
                     Value stat, Value gamma, Value beta, double eps) {
  auto type = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  AffineExpr i, j;
  bindDims(ctx, i, j);
  AffineMap full = AffineMap::get(2, 0, {i, j}, ctx);
  AffineMap perRow = AffineMap::get(2, 0, {i}, ctx);
  AffineMap perColumn = AffineMap::get(2, 0, {j}, ctx);
  SmallVector<Value> inputs = {x, stat};
  SmallVector<AffineMap> maps = {full, perRow};
  if (gamma) {
    inputs.push_back(gamma);
    maps.push_back(perColumn);
  }
  if (mean) {
    inputs.push_back(mean);
    maps.push_back(perRow);
  }
  if (beta) {
    inputs.push_back(beta);
    maps.push_back(perColumn);
  }
  maps.push_back(full);
  Value empty = createEmpty(b, loc, type, getSizes(b, loc, x));
  return linalg::GenericOp::create(
             b, loc, type, inputs, ValueRange{empty}, maps,
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Type elementType = args[0].getType();
               Value centered = args[0];
               unsigned next = gamma ? 3 : 2;
               if (mean)
                 centered =
                     arith::SubFOp::create(nb, nloc, centered, args[next++]);
               Value shifted = arith::AddFOp::create(
                   nb, nloc, args[1],
                   floatConstant(nb, nloc, elementType, eps));
               Value inverse = math::RsqrtOp::create(nb, nloc, shifted);
               Value normalized =
                   arith::MulFOp::create(nb, nloc, centered, inverse);
               Value scaled =
                   gamma ? arith::MulFOp::create(nb, nloc, normalized, args[2])
                               .getResult()
                         : normalized;
               if (beta)
                 scaled = arith::AddFOp::create(nb, nloc, scaled, args[next]);
               linalg::YieldOp::create(nb, nloc, scaled);
             })
      .getResult(0);
}

/// Divides a [seq] tensor by the constant `divisor`.
Value divideBy(OpBuilder &b, Location loc, Value rows, int64_t divisor) {
  return buildElementwise(
      b, loc, rows, [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value d = floatConstant(nb, l, args[0].getType(), double(divisor));
        return arith::DivFOp::create(nb, l, args[0], d);
      });
}

struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    int64_t width = cast<RankedTensorType>(x.getType()).getDimSize(1);
    Value sum = buildRowReduction(
        rewriter, loc, x, 0.0,
        [](OpBuilder &b, Location l, Value v, Value acc) {
          return arith::AddFOp::create(b, l, acc, v).getResult();
        });
    Value mean = divideBy(rewriter, loc, sum, width);
    // Variance as the mean of squared deviations (two passes, as PyTorch).
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr i, j;
    bindDims(ctx, i, j);
    auto rowType = cast<RankedTensorType>(mean.getType());
    Value zeros = createFilled(rewriter, loc, rowType,
                               getSizes(rewriter, loc, mean), 0.0);
    Value squares =
        linalg::GenericOp::create(
            rewriter, loc, rowType, ValueRange{x, mean}, ValueRange{zeros},
            ArrayRef<AffineMap>{AffineMap::get(2, 0, {i, j}, ctx),
                                AffineMap::get(2, 0, {i}, ctx),
                                AffineMap::get(2, 0, {i}, ctx)},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                          utils::IteratorType::reduction},
            [](OpBuilder &b, Location l, ValueRange args) {
              Value deviation = arith::SubFOp::create(b, l, args[0], args[1]);
              Value square = arith::MulFOp::create(b, l, deviation, deviation);
              linalg::YieldOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, args[2], square).getResult());
            })
            .getResult(0);
    Value variance = divideBy(rewriter, loc, squares, width);
    rewriter.replaceOp(op, buildNormalize(rewriter, loc, x, mean, variance,
                                          adaptor.getGamma(), adaptor.getBeta(),
                                          op.getEpsilon().convertToDouble()));
    return success();
  }
};

struct RMSNormLowering : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto type = cast<RankedTensorType>(x.getType());
    int64_t width = type.getDimSize(1);
    // With a group, each run of `group` elements is a row of its own:
    // [seq, width] as [seq * width / group, group] and back.
    int64_t group = op.getGroup() ? int64_t(*op.getGroup()) : width;
    int64_t runs = width / group;
    SmallVector<ReassociationIndices> split = {{0}, {1, 2}},
                                      merge = {{0, 1}, {2}};
    auto runsType = RankedTensorType::get({type.getDimSize(0), runs, group},
                                          type.getElementType());
    OpFoldResult seq = tensor::getMixedSize(rewriter, loc, x, 0);
    SmallVector<OpFoldResult> runsShape = {seq, rewriter.getIndexAttr(runs),
                                           rewriter.getIndexAttr(group)};
    Value rows = x;
    if (group != width)
      rows = tensor::CollapseShapeOp::create(
          rewriter, loc,
          tensor::ExpandShapeOp::create(rewriter, loc, runsType, x, split,
                                        runsShape),
          merge);
    Value squares = buildRowReduction(
        rewriter, loc, rows, 0.0,
        [](OpBuilder &b, Location l, Value v, Value acc) {
          Value square = arith::MulFOp::create(b, l, v, v);
          return arith::AddFOp::create(b, l, acc, square).getResult();
        });
    Value meanSquare = divideBy(rewriter, loc, squares, group);
    Value normalized = buildNormalize(rewriter, loc, rows, Value(), meanSquare,
                                      adaptor.getGamma(), Value(),
                                      op.getEpsilon().convertToDouble());
    if (group != width)
      normalized = tensor::CollapseShapeOp::create(
          rewriter, loc, type,
          tensor::ExpandShapeOp::create(rewriter, loc, runsType, normalized,
                                        merge, runsShape),
          split);
    rewriter.replaceOp(op, normalized);
    return success();
  }
};

} // namespace

void loom::populateLayerLoweringPatterns(TypeConverter &converter,
                                         RewritePatternSet &patterns) {
  patterns
      .add<EmbeddingLowering, PositionEmbeddingLowering, LinearLowering,
           MLPLowering, GatedMLPLowering, LayerNormLowering, RMSNormLowering>(
          converter, patterns.getContext());
}
