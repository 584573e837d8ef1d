//===- AttentionPatterns.cpp - Lower RoPE and cached attention ------------===//
//
// `loom.rope` rotates query/key heads; `loom.cached_attention` appends this
// chunk's keys and values to the KV cache and attends over everything cached
// so far. Both take the absolute position of the chunk's first token, so one
// function serves a whole prompt (prefill) and single tokens (decode).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/LoomToLinalg/Builders.h"
#include "compiler/Conversion/LoomToLinalg/Patterns.h"
#include "dialects/Loom/Utils/KVCache.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace loom;

namespace {

/// Rotary position embedding, Hugging Face's "rotate half" convention: in
/// each head, element d < hd/2 pairs with d + hd/2:
///   out[d]        = x[d] cos(p w_d) - x[d + hd/2] sin(p w_d)
///   out[d + hd/2] = x[d + hd/2] cos(p w_d) + x[d] sin(p w_d)
/// with p = pos + row and w_d = theta^(-2d/hd); interleaved, element 2d
/// pairs with 2d + 1 instead.
struct RopeLowering : OpConversionPattern<RopeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RopeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto type = cast<RankedTensorType>(x.getType());
    Type elementType = type.getElementType();
    int64_t headDim = op.getHeadDim();
    int64_t half = headDim / 2;
    double theta = op.getTheta().convertToDouble();
    bool interleaved = op.getInterleaved();

    // Inverse frequencies, computed once at compile time.
    SmallVector<float> inverse;
    for (int64_t d = 0; d < half; ++d)
      inverse.push_back(
          static_cast<float>(std::pow(theta, -2.0 * double(d) / headDim)));
    auto freqType = RankedTensorType::get({half}, elementType);
    Value frequencies = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(freqType, ArrayRef(inverse)));

    Value pos = adaptor.getPos();
    MLIRContext *ctx = rewriter.getContext();
    OpFoldResult seq = getSizes(rewriter, loc, x)[0];

    // cos and sin of (pos + row) * w_k, once per row and frequency (shared
    // by every head).
    auto tableType =
        RankedTensorType::get({ShapedType::kDynamic, half}, elementType);
    SmallVector<OpFoldResult> tableSizes = {seq, rewriter.getIndexAttr(half)};
    Value cosInit = createEmpty(rewriter, loc, tableType, tableSizes);
    Value sinInit = createEmpty(rewriter, loc, tableType, tableSizes);
    AffineExpr r, f;
    bindDims(ctx, r, f);
    auto tables = linalg::GenericOp::create(
        rewriter, loc, TypeRange{tableType, tableType}, ValueRange{frequencies},
        ValueRange{cosInit, sinInit},
        ArrayRef<AffineMap>{AffineMap::get(2, 0, {f}, ctx),
                            AffineMap::getMultiDimIdentityMap(2, ctx),
                            AffineMap::getMultiDimIdentityMap(2, ctx)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value row = linalg::IndexOp::create(b, l, 0);
          Value position = arith::AddIOp::create(b, l, pos, row);
          Value positionInt =
              arith::IndexCastOp::create(b, l, b.getI64Type(), position);
          Value positionFloat =
              arith::SIToFPOp::create(b, l, elementType, positionInt);
          Value angle = arith::MulFOp::create(b, l, positionFloat, args[0]);
          linalg::YieldOp::create(
              b, l,
              ValueRange{math::CosOp::create(b, l, angle).getResult(),
                         math::SinOp::create(b, l, angle).getResult()});
        });
    Value cosTable = tables.getResult(0);
    Value sinTable = tables.getResult(1);

    Value empty = createEmpty(rewriter, loc, type, getSizes(rewriter, loc, x));
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{x}, ValueRange{empty},
            ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(2, ctx),
                                AffineMap::getMultiDimIdentityMap(2, ctx)},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                          utils::IteratorType::parallel},
            [&](OpBuilder &b, Location l, ValueRange args) {
              auto index = [&](int64_t v) {
                return arith::ConstantIndexOp::create(b, l, v).getResult();
              };
              Value row = linalg::IndexOp::create(b, l, 0);
              Value column = linalg::IndexOp::create(b, l, 1);
              Value d = arith::RemUIOp::create(b, l, column, index(headDim));
              // Whether the element is the first of its pair, its pair's
              // frequency, and the distance to its partner: halves of the
              // head, or adjacent elements when interleaved.
              Value firstHalf, k;
              int64_t distance = interleaved ? 1 : half;
              if (interleaved) {
                firstHalf = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::eq,
                    arith::RemUIOp::create(b, l, d, index(2)), index(0));
                k = arith::DivUIOp::create(b, l, d, index(2));
              } else {
                firstHalf = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::ult, d, index(half));
                k = arith::RemUIOp::create(b, l, d, index(half));
              }
              // The partner element and the sign of its contribution.
              Value up = arith::AddIOp::create(b, l, column, index(distance));
              Value down = arith::SubIOp::create(b, l, column, index(distance));
              Value partnerColumn =
                  arith::SelectOp::create(b, l, firstHalf, up, down);
              Value partner = tensor::ExtractOp::create(
                  b, l, x, ValueRange{row, partnerColumn});
              Value negated = arith::NegFOp::create(b, l, partner);
              Value signedPartner =
                  arith::SelectOp::create(b, l, firstHalf, negated, partner);
              Value cos =
                  tensor::ExtractOp::create(b, l, cosTable, ValueRange{row, k});
              Value sin =
                  tensor::ExtractOp::create(b, l, sinTable, ValueRange{row, k});
              Value rotated = arith::AddFOp::create(
                  b, l, arith::MulFOp::create(b, l, args[0], cos),
                  arith::MulFOp::create(b, l, signedPartner, sin));
              linalg::YieldOp::create(b, l, rotated);
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Scaled dot-product attention of this chunk's queries over the cache:
///
///   s[h, i, j] = q[i, h] . K[j, h / G] / sqrt(hd)     G = heads / kv_heads
///   s[h, i, j] = -inf where causal and j > pos + i
///   o[i, h]    = sum_j softmax_j(s[h, i, :])[j] V[j, h / G]
struct CachedAttentionLowering : OpConversionPattern<CachedAttentionOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CachedAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t heads = op.getNumHeads();
    int64_t kvHeads = op.getNumKvHeads();
    int64_t headDim = op.getHeadDim();
    int64_t group = heads / kvHeads;
    bool causal = op.getCausal();
    Value pos = adaptor.getPos();
    Value slot = adaptor.getSlot();
    Value q = adaptor.getQ();
    Type elementType = cast<RankedTensorType>(q.getType()).getElementType();

    writeCacheRows(rewriter, loc, adaptor.getKeyCache(), slot, pos,
                   adaptor.getK());
    writeCacheRows(rewriter, loc, adaptor.getValueCache(), slot, pos,
                   adaptor.getV());
    OpFoldResult seq = getSizes(rewriter, loc, q)[0];
    Value seqValue = getValueOrCreateConstantIndexOp(rewriter, loc, seq);
    Value length = arith::AddIOp::create(rewriter, loc, pos, seqValue);
    Value keys = splitHeads(
        rewriter, loc,
        readCacheRows(rewriter, loc, adaptor.getKeyCache(), slot, length),
        kvHeads, headDim);
    Value values = splitHeads(
        rewriter, loc,
        readCacheRows(rewriter, loc, adaptor.getValueCache(), slot, length),
        kvHeads, headDim);
    Value queries = splitHeads(rewriter, loc, q, heads, headDim);

    // Scores [heads, seq, length].
    auto scoreType = RankedTensorType::get(
        {heads, ShapedType::kDynamic, ShapedType::kDynamic}, elementType);
    SmallVector<OpFoldResult> scoreSizes = {rewriter.getIndexAttr(heads), seq,
                                            length};
    Value scoreInit = createFilled(rewriter, loc, scoreType, scoreSizes, 0.0);
    AffineExpr h, i, j, d;
    bindDims(ctx, h, i, j, d);
    Value scores =
        linalg::GenericOp::create(
            rewriter, loc, scoreType, ValueRange{queries, keys},
            ValueRange{scoreInit},
            ArrayRef<AffineMap>{
                AffineMap::get(4, 0, {i, h, d}, ctx),
                AffineMap::get(4, 0, {j, h.floorDiv(group), d}, ctx),
                AffineMap::get(4, 0, {h, i, j}, ctx)},
            ArrayRef<utils::IteratorType>{
                utils::IteratorType::parallel, utils::IteratorType::parallel,
                utils::IteratorType::parallel, utils::IteratorType::reduction},
            [](OpBuilder &b, Location l, ValueRange args) {
              Value product = arith::MulFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, args[2], product).getResult());
            })
            .getResult(0);

    // Scale and mask.
    double scale = 1.0 / std::sqrt(double(headDim));
    AffineMap identity3 = AffineMap::getMultiDimIdentityMap(3, ctx);
    Value maskedInit = createEmpty(rewriter, loc, scoreType, scoreSizes);
    Value masked =
        linalg::GenericOp::create(
            rewriter, loc, scoreType, ValueRange{scores},
            ValueRange{maskedInit}, ArrayRef<AffineMap>{identity3, identity3},
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value scaled = arith::MulFOp::create(
                  b, l, args[0], floatConstant(b, l, elementType, scale));
              if (!causal) {
                linalg::YieldOp::create(b, l, scaled);
                return;
              }
              Value row = linalg::IndexOp::create(b, l, 1);
              Value column = linalg::IndexOp::create(b, l, 2);
              Value limit = arith::AddIOp::create(b, l, pos, row);
              Value future = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::ugt, column, limit);
              // A sliding window also hides j <= pos + i - window.
              if (std::optional<uint64_t> window = op.getWindow()) {
                Value reach = arith::AddIOp::create(
                    b, l, column,
                    arith::ConstantIndexOp::create(b, l, int64_t(*window)));
                Value past = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::ule, reach, limit);
                future = arith::OrIOp::create(b, l, future, past);
              }
              Value minusInf = floatConstant(
                  b, l, elementType, -std::numeric_limits<double>::infinity());
              linalg::YieldOp::create(
                  b, l,
                  arith::SelectOp::create(b, l, future, minusInf, scaled)
                      .getResult());
            })
            .getResult(0);

    // Softmax along j: max, exp and sum, normalize.
    auto rowType =
        RankedTensorType::get({heads, ShapedType::kDynamic}, elementType);
    SmallVector<OpFoldResult> rowSizes = {rewriter.getIndexAttr(heads), seq};
    AffineExpr a, r, c;
    bindDims(ctx, a, r, c);
    AffineMap toRow = AffineMap::get(3, 0, {a, r}, ctx);
    auto reduceRows = [&](Value input, double init, auto combine) {
      Value filled = createFilled(rewriter, loc, rowType, rowSizes, init);
      return linalg::GenericOp::create(
                 rewriter, loc, rowType, ValueRange{input}, ValueRange{filled},
                 ArrayRef<AffineMap>{identity3, toRow},
                 ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                               utils::IteratorType::parallel,
                                               utils::IteratorType::reduction},
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l,
                                           combine(b, l, args[0], args[1]));
                 })
          .getResult(0);
    };
    Value maxima =
        reduceRows(masked, -std::numeric_limits<double>::infinity(),
                   [](OpBuilder &b, Location l, Value v, Value acc) -> Value {
                     return arith::MaximumFOp::create(b, l, acc, v);
                   });
    Value expInit = createEmpty(rewriter, loc, scoreType, scoreSizes);
    Value exponentials =
        linalg::GenericOp::create(
            rewriter, loc, scoreType, ValueRange{masked, maxima},
            ValueRange{expInit},
            ArrayRef<AffineMap>{identity3, toRow, identity3},
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [](OpBuilder &b, Location l, ValueRange args) {
              Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(
                  b, l, math::ExpOp::create(b, l, shifted).getResult());
            })
            .getResult(0);
    Value sums =
        reduceRows(exponentials, 0.0,
                   [](OpBuilder &b, Location l, Value v, Value acc) -> Value {
                     return arith::AddFOp::create(b, l, acc, v);
                   });

    // o[i, h, d] = sum_j e[h, i, j] / sum[h, i] * V[j, h / G, d]
    auto outType = RankedTensorType::get({ShapedType::kDynamic, heads, headDim},
                                         elementType);
    Value outInit = createFilled(
        rewriter, loc, outType,
        {seq, rewriter.getIndexAttr(heads), rewriter.getIndexAttr(headDim)},
        0.0);
    // Loops (i, h, j, d): the innermost runs along contiguous rows of V and
    // of the output, so it vectorizes without reassociating the sum over j.
    AffineExpr oi, oh, oj, od;
    bindDims(ctx, oi, oh, oj, od);
    Value attended =
        linalg::GenericOp::create(
            rewriter, loc, outType, ValueRange{exponentials, sums, values},
            ValueRange{outInit},
            ArrayRef<AffineMap>{
                AffineMap::get(4, 0, {oh, oi, oj}, ctx),
                AffineMap::get(4, 0, {oh, oi}, ctx),
                AffineMap::get(4, 0, {oj, oh.floorDiv(group), od}, ctx),
                AffineMap::get(4, 0, {oi, oh, od}, ctx)},
            ArrayRef<utils::IteratorType>{
                utils::IteratorType::parallel, utils::IteratorType::parallel,
                utils::IteratorType::reduction, utils::IteratorType::parallel},
            [](OpBuilder &b, Location l, ValueRange args) {
              Value weight = arith::DivFOp::create(b, l, args[0], args[1]);
              Value product = arith::MulFOp::create(b, l, weight, args[2]);
              linalg::YieldOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, args[3], product).getResult());
            })
            .getResult(0);

    auto resultType = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(op, tensor::CollapseShapeOp::create(
                               rewriter, loc, resultType, attended,
                               ArrayRef<ReassociationIndices>{{0}, {1, 2}}));
    return success();
  }

private:
};

} // namespace

void loom::populateAttentionLoweringPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<RopeLowering>(converter, patterns.getContext());
  patterns.add<CachedAttentionLowering>(converter, patterns.getContext());
}
