//===- MathPatterns.cpp - Lower loom's tensor math ------------------------===//
//
// The primitives a forward body writes out: elementwise binary ops with
// NumPy broadcasting, elementwise math functions, and reductions over the
// last dimension. Each becomes one `linalg.generic` (a reduction two: the
// reduction, then its finish into the kept unit dimension).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/LoomToLinalg/Builders.h"
#include "compiler/Conversion/LoomToLinalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace loom;

namespace {

using ScalarFn = function_ref<Value(OpBuilder &, Location, Value, Value)>;

/// `lhs ^ k` for a small integer `k`, by multiplications (as PyTorch
/// computes `x ** 2` and `x ** 3`), so that negative bases stay exact.
Value integerPower(OpBuilder &b, Location loc, Value x, int64_t k) {
  Value one = floatConstant(b, loc, x.getType(), 1.0);
  Value result = one, base = x;
  for (int64_t e = std::abs(k); e != 0; e >>= 1) {
    if (e & 1)
      result =
          result == one ? base : arith::MulFOp::create(b, loc, result, base);
    if (e > 1)
      base = arith::MulFOp::create(b, loc, base, base);
  }
  return k < 0 ? arith::DivFOp::create(b, loc, one, result).getResult()
               : result;
}

/// The constant, integral exponent of `pow` when it is one (|k| <= 16).
std::optional<int64_t> integralExponent(Value rhs) {
  DenseElementsAttr attr;
  if (!matchPattern(rhs, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  double value = attr.getSplatValue<APFloat>().convertToDouble();
  if (value != std::trunc(value) || std::abs(value) > 16)
    return std::nullopt;
  return int64_t(value);
}

template <typename OpTy> struct BinaryLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    std::optional<int64_t> exponent;
    if constexpr (std::is_same_v<OpTy, PowOp>)
      exponent = integralExponent(op.getRhs());
    rewriter.replaceOp(
        op, buildBroadcast(
                rewriter, op.getLoc(), type,
                ValueRange{adaptor.getLhs(), adaptor.getRhs()},
                [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value x = args[0], y = args[1];
                  if constexpr (std::is_same_v<OpTy, AddOp>)
                    return arith::AddFOp::create(b, loc, x, y);
                  if constexpr (std::is_same_v<OpTy, SubOp>)
                    return arith::SubFOp::create(b, loc, x, y);
                  if constexpr (std::is_same_v<OpTy, MulOp>)
                    return arith::MulFOp::create(b, loc, x, y);
                  if constexpr (std::is_same_v<OpTy, DivOp>)
                    return arith::DivFOp::create(b, loc, x, y);
                  if constexpr (std::is_same_v<OpTy, MaxOp>)
                    return arith::MaximumFOp::create(b, loc, x, y);
                  if constexpr (std::is_same_v<OpTy, MinOp>)
                    return arith::MinimumFOp::create(b, loc, x, y);
                  if (exponent)
                    return integerPower(b, loc, x, *exponent);
                  return math::PowFOp::create(b, loc, x, y);
                }));
    return success();
  }
};

/// `fn(x)` for one scalar.
Value buildUnary(OpBuilder &b, Location loc, UnaryFn fn, Value x) {
  switch (fn) {
  case UnaryFn::Exp:
    return math::ExpOp::create(b, loc, x);
  case UnaryFn::Log:
    return math::LogOp::create(b, loc, x);
  case UnaryFn::Tanh:
    return math::TanhOp::create(b, loc, x);
  case UnaryFn::Sigmoid: {
    Value one = floatConstant(b, loc, x.getType(), 1.0);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, one,
                                 arith::AddFOp::create(b, loc, one, e));
  }
  case UnaryFn::Sqrt:
    return math::SqrtOp::create(b, loc, x);
  case UnaryFn::Rsqrt:
    return math::RsqrtOp::create(b, loc, x);
  case UnaryFn::Abs:
    return math::AbsFOp::create(b, loc, x);
  case UnaryFn::Neg:
    return arith::NegFOp::create(b, loc, x);
  case UnaryFn::Sin:
    return math::SinOp::create(b, loc, x);
  case UnaryFn::Cos:
    return math::CosOp::create(b, loc, x);
  }
  llvm_unreachable("unknown unary function");
}

struct UnaryLowering : OpConversionPattern<UnaryOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnaryOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    UnaryFn fn = op.getFn();
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), adaptor.getX(),
                             [&](OpBuilder &b, Location loc, ValueRange args) {
                               return buildUnary(b, loc, fn, args[0]);
                             }));
    return success();
  }
};

/// The reduction over the last dimension, then its finish (the mean's
/// division, the norm's square root) written into the kept unit dimension.
struct ReduceLowering : OpConversionPattern<ReduceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto type = cast<RankedTensorType>(x.getType());
    ReduceKind kind = op.getKind();
    double init = kind == ReduceKind::Max   ? -INFINITY
                  : kind == ReduceKind::Min ? INFINITY
                                            : 0.0;
    Value reduced = buildRowReduction(
        rewriter, loc, x, init,
        [&](OpBuilder &b, Location l, Value v, Value acc) -> Value {
          switch (kind) {
          case ReduceKind::Max:
            return arith::MaximumFOp::create(b, l, v, acc);
          case ReduceKind::Min:
            return arith::MinimumFOp::create(b, l, v, acc);
          case ReduceKind::Norm2:
            return arith::AddFOp::create(b, l, acc,
                                         arith::MulFOp::create(b, l, v, v));
          case ReduceKind::Sum:
          case ReduceKind::Mean:
            return arith::AddFOp::create(b, l, acc, v);
          }
          llvm_unreachable("unknown reduction");
        });
    double extent = double(type.getShape().back());
    // result[..., 0] = finish(reduced[...]).
    auto resultType = cast<RankedTensorType>(op.getType());
    unsigned rank = resultType.getRank();
    SmallVector<OpFoldResult> sizes = getSizes(rewriter, loc, x);
    sizes.back() = rewriter.getIndexAttr(1);
    Value empty = createEmpty(rewriter, loc, resultType, sizes);
    AffineMap identity =
        AffineMap::getMultiDimIdentityMap(rank, rewriter.getContext());
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto finish = linalg::GenericOp::create(
        rewriter, loc, resultType, reduced, empty,
        ArrayRef<AffineMap>{identity.dropResult(rank - 1), identity}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = args[0];
          if (kind == ReduceKind::Mean)
            v = arith::DivFOp::create(b, l, v,
                                      floatConstant(b, l, v.getType(), extent));
          else if (kind == ReduceKind::Norm2)
            v = math::SqrtOp::create(b, l, v);
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, finish.getResult(0));
    return success();
  }
};

/// Identity maps of the leading dimensions `dims` of a loop nest of `rank`
/// loops, followed by `tail` (loop positions of the trailing dimensions).
AffineMap leadingMap(MLIRContext *ctx, unsigned rank, unsigned leading,
                     ArrayRef<unsigned> tail) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < leading; ++i)
    exprs.push_back(getAffineDimExpr(i, ctx));
  for (unsigned t : tail)
    exprs.push_back(getAffineDimExpr(t, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// The k largest elements of the last dimension and their indices: each
/// element's place is the count of elements ahead of it (larger, or equal
/// with a lower index); place j's element is then summed out of those whose
/// place is j. Both steps are parallel over every element (N^2 a row).
struct TopKLowering : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getX();
    auto type = cast<RankedTensorType>(x.getType());
    Type element = type.getElementType();
    unsigned leading = type.getRank() - 1;
    SmallVector<OpFoldResult> sizes = getSizes(rewriter, loc, x);
    auto parallel = utils::IteratorType::parallel;
    auto reduction = utils::IteratorType::reduction;
    SmallVector<utils::IteratorType> iterators(leading, parallel);
    iterators.append({parallel, reduction});

    // place[..., e] = #{f : x[f] > x[e] or (x[f] == x[e] and f < e)}
    Value places =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{x, x},
            ValueRange{createFilled(rewriter, loc, type, sizes, 0.0)},
            ArrayRef<AffineMap>{
                leadingMap(ctx, leading + 2, leading, {leading}),
                leadingMap(ctx, leading + 2, leading, {leading + 1}),
                leadingMap(ctx, leading + 2, leading, {leading})},
            iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value e = linalg::IndexOp::create(b, l, leading);
              Value f = linalg::IndexOp::create(b, l, leading + 1);
              Value larger = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OGT, args[1], args[0]);
              Value equal = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, args[1], args[0]);
              Value before =
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, f, e);
              Value ahead = arith::OrIOp::create(
                  b, l, larger, arith::AndIOp::create(b, l, equal, before));
              Value count = arith::SelectOp::create(
                  b, l, ahead, floatConstant(b, l, element, 1.0),
                  floatConstant(b, l, element, 0.0));
              linalg::YieldOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, args[2], count).getResult());
            })
            .getResult(0);

    // values[..., j] = sum_e (place[e] == j) x[e]; indices likewise with e.
    auto resultType = cast<RankedTensorType>(op.getValues().getType());
    SmallVector<OpFoldResult> resultSizes(sizes);
    resultSizes.back() = rewriter.getIndexAttr(resultType.getShape().back());
    Value zeros = createFilled(rewriter, loc, resultType, resultSizes, 0.0);
    auto picked = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType, resultType}, ValueRange{places, x},
        ValueRange{zeros, zeros},
        ArrayRef<AffineMap>{
            leadingMap(ctx, leading + 2, leading, {leading + 1}),
            leadingMap(ctx, leading + 2, leading, {leading + 1}),
            leadingMap(ctx, leading + 2, leading, {leading}),
            leadingMap(ctx, leading + 2, leading, {leading})},
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value j = linalg::IndexOp::create(b, l, leading);
          Value e = linalg::IndexOp::create(b, l, leading + 1);
          auto asFloat = [&](Value index) {
            Value wide =
                arith::IndexCastUIOp::create(b, l, b.getI64Type(), index);
            return arith::UIToFPOp::create(b, l, element, wide).getResult();
          };
          Value here = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                             args[0], asFloat(j));
          Value zero = floatConstant(b, l, element, 0.0);
          Value value = arith::SelectOp::create(b, l, here, args[1], zero);
          Value index = arith::SelectOp::create(b, l, here, asFloat(e), zero);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::AddFOp::create(b, l, args[2], value),
                         arith::AddFOp::create(b, l, args[3], index)});
        });
    rewriter.replaceOp(op, picked.getResults());
    return success();
  }
};

/// y[..., j] = x[..., clamp(indices[..., j], 0, N - 1)].
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getX(), indices = adaptor.getIndices();
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank();
    int64_t n = cast<RankedTensorType>(x.getType()).getShape().back();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{indices},
            ValueRange{createEmpty(rewriter, loc, type,
                                   getSizes(rewriter, loc, indices))},
            ArrayRef<AffineMap>{identity, identity},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              // Rounded to the nearest integer, then into [0, n - 1].
              Value rounded = math::RoundEvenOp::create(b, l, args[0]);
              Value low = floatConstant(b, l, rounded.getType(), 0.0);
              Value high =
                  floatConstant(b, l, rounded.getType(), double(n - 1));
              Value clamped = arith::MinimumFOp::create(
                  b, l, arith::MaximumFOp::create(b, l, rounded, low), high);
              // NaN compares false both ways: it reads element 0.
              Value ordered = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::ORD, clamped, clamped);
              clamped = arith::SelectOp::create(b, l, ordered, clamped, low);
              Value wide =
                  arith::FPToSIOp::create(b, l, b.getI64Type(), clamped);
              SmallVector<Value> at;
              for (unsigned i = 0; i + 1 < rank; ++i)
                at.push_back(linalg::IndexOp::create(b, l, i));
              at.push_back(
                  arith::IndexCastOp::create(b, l, b.getIndexType(), wide));
              linalg::YieldOp::create(
                  b, l, tensor::ExtractOp::create(b, l, x, at).getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void loom::populateMathLoweringPatterns(TypeConverter &converter,
                                        RewritePatternSet &patterns) {
  patterns
      .add<BinaryLowering<AddOp>, BinaryLowering<SubOp>, BinaryLowering<MulOp>,
           BinaryLowering<DivOp>, BinaryLowering<MaxOp>, BinaryLowering<MinOp>,
           BinaryLowering<PowOp>, UnaryLowering, ReduceLowering, TopKLowering,
           GatherLowering>(converter, patterns.getContext());
}
