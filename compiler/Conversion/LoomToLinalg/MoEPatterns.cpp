//===- MoEPatterns.cpp - Mixtures of experts as generated loops -----------===//
//
// `loom.moe` as linalg ops that read only the chosen experts' weights: the
// router's softmax, each expert's rank in its token's row (its slot when the
// rank is below top_k), and the chosen experts' gated MLPs, whose weight rows
// are gathered by the slot's expert index inside the contraction's body.
// Every step is a parallel loop nest, so the GPU target maps each to threads
// as it does any other op; no sort and no data-dependent trip count.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/LoomToLinalg/Builders.h"
#include "compiler/Conversion/LoomToLinalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace loom;

namespace {

using utils::IteratorType;
constexpr IteratorType kParallel = IteratorType::parallel;
constexpr IteratorType kReduction = IteratorType::reduction;

/// A tensor of `type` (first dimension `seq`, the others static) filled
/// with the scalar `value`.
Value createFilledWith(OpBuilder &b, Location loc, RankedTensorType type,
                       OpFoldResult seq, Value value) {
  SmallVector<OpFoldResult> sizes = {seq};
  for (int64_t extent : type.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(extent));
  Value empty = createEmpty(b, loc, type, sizes);
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

/// `linalg.generic` over `dims` loops whose operand maps are given as
/// lists of loop dimensions (an empty list: a constant 0 index).
linalg::GenericOp
buildGeneric(OpBuilder &b, Location loc, ValueRange inputs, ValueRange outputs,
             ArrayRef<SmallVector<int64_t>> operandDims,
             ArrayRef<IteratorType> iterators,
             function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  unsigned dims = iterators.size();
  SmallVector<AffineMap> maps;
  for (ArrayRef<int64_t> list : operandDims) {
    SmallVector<AffineExpr> exprs;
    for (int64_t dim : list)
      exprs.push_back(dim < 0 ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(unsigned(dim), ctx));
    maps.push_back(AffineMap::get(dims, 0, exprs, ctx));
  }
  SmallVector<Type> resultTypes;
  for (Value output : outputs)
    resultTypes.push_back(output.getType());
  return linalg::GenericOp::create(b, loc, resultTypes, inputs, outputs, maps,
                                   iterators, body);
}

/// `table[expert * rows + index(rowDim), index(columnDim)]`: the row of the
/// chosen expert's block of a stacked weight, read inside a generic's body.
Value gatherWeight(OpBuilder &b, Location loc, Value table, Value expert,
                   int64_t rows, unsigned rowDim, unsigned columnDim) {
  Value block = arith::IndexCastOp::create(b, loc, b.getIndexType(), expert);
  Value first = arith::MulIOp::create(
      b, loc, block, arith::ConstantIndexOp::create(b, loc, rows));
  Value row = arith::AddIOp::create(b, loc, first,
                                    linalg::IndexOp::create(b, loc, rowDim));
  Value column = linalg::IndexOp::create(b, loc, columnDim);
  return tensor::ExtractOp::create(b, loc, table, ValueRange{row, column});
}

struct MoELowering : OpConversionPattern<MoEOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MoEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto xType = cast<RankedTensorType>(x.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = xType.getElementType();
    Type i32 = b.getI32Type();
    int64_t experts = int64_t(op.getExperts());
    int64_t topK = int64_t(op.getTopK());
    // Rows of the stacked weights are found by the expert's index
    // (`hasStaticExperts`, checked before the conversion).
    if (!hasStaticExperts(op))
      return rewriter.notifyMatchFailure(op, "dynamic expert sizes");
    int64_t hidden =
        cast<RankedTensorType>(adaptor.getWGate().getType()).getDimSize(0) /
        experts;
    int64_t width = resultType.getDimSize(1);
    OpFoldResult seq = tensor::getMixedSize(b, loc, x, 0);
    auto typeOf = [&](ArrayRef<int64_t> tail, Type type) {
      SmallVector<int64_t> shape = {ShapedType::kDynamic};
      shape.append(tail.begin(), tail.end());
      return RankedTensorType::get(shape, type);
    };
    auto zero = [&](Type type) -> Value {
      return arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
    };

    // The router's probabilities, unnormalized: exp(logit - row maximum),
    // and their row sums.
    Value logits = buildLinear(b, loc, x, adaptor.getRouter(), Value());
    Value maxima = buildRowReduction(
        b, loc, logits, -std::numeric_limits<double>::infinity(),
        [](OpBuilder &nb, Location l, Value v, Value acc) {
          return arith::MaximumFOp::create(nb, l, acc, v).getResult();
        });
    auto expertsType = typeOf({experts}, element);
    Value probabilities =
        buildGeneric(
            b, loc, ValueRange{logits, maxima},
            createEmpty(b, loc, expertsType, {seq, b.getIndexAttr(experts)}),
            {{0, 1}, {0}, {0, 1}}, {kParallel, kParallel},
            [](OpBuilder &nb, Location l, ValueRange args) {
              Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
              linalg::YieldOp::create(
                  nb, l, math::ExpOp::create(nb, l, shifted).getResult());
            })
            .getResult(0);
    Value total = buildRowReduction(
        b, loc, probabilities, 0.0,
        [](OpBuilder &nb, Location l, Value v, Value acc) {
          return arith::AddFOp::create(nb, l, acc, v).getResult();
        });

    // Each expert's rank in its row: how many experts score higher, or as
    // high with a lower index (the runtime's stable order). The top_k
    // ranks are the slots.
    Value ranks =
        buildGeneric(
            b, loc, ValueRange{probabilities, probabilities},
            createFilledWith(b, loc, typeOf({experts}, i32), seq, zero(i32)),
            {{0, 1}, {0, 2}, {0, 1}}, {kParallel, kParallel, kReduction},
            [](OpBuilder &nb, Location l, ValueRange args) {
              Value higher = arith::CmpFOp::create(
                  nb, l, arith::CmpFPredicate::OGT, args[1], args[0]);
              Value tie = arith::CmpFOp::create(
                  nb, l, arith::CmpFPredicate::OEQ, args[1], args[0]);
              Value lower =
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult,
                                        linalg::IndexOp::create(nb, l, 2),
                                        linalg::IndexOp::create(nb, l, 1));
              Value ahead = arith::OrIOp::create(
                  nb, l, higher, arith::AndIOp::create(nb, l, tie, lower));
              Value one = arith::ExtUIOp::create(nb, l, nb.getI32Type(), ahead);
              linalg::YieldOp::create(
                  nb, l,
                  arith::AddIOp::create(nb, l, args[2], one).getResult());
            })
            .getResult(0);

    // Each slot's expert and its probability.
    auto slots = buildGeneric(
        b, loc, ValueRange{ranks, probabilities},
        ValueRange{
            createFilledWith(b, loc, typeOf({topK}, i32), seq, zero(i32)),
            createFilledWith(b, loc, typeOf({topK}, element), seq,
                             zero(element))},
        {{0, 2}, {0, 2}, {0, 1}, {0, 1}}, {kParallel, kParallel, kReduction},
        [](OpBuilder &nb, Location l, ValueRange args) {
          Type i32 = nb.getI32Type();
          Value slot = arith::IndexCastOp::create(
              nb, l, i32, linalg::IndexOp::create(nb, l, 1));
          Value expert = arith::IndexCastOp::create(
              nb, l, i32, linalg::IndexOp::create(nb, l, 2));
          Value hit = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                            args[0], slot);
          linalg::YieldOp::create(
              nb, l,
              ValueRange{
                  arith::SelectOp::create(nb, l, hit, expert, args[2]),
                  arith::SelectOp::create(nb, l, hit, args[1], args[3])});
        });
    Value chosen = slots.getResult(0);

    // The slots' weights: p / total, renormalized over the chosen experts
    // (when their sum is positive, as the runtime).
    auto slotsType = typeOf({topK}, element);
    Value weights =
        buildGeneric(
            b, loc, ValueRange{slots.getResult(1), total},
            createEmpty(b, loc, slotsType, {seq, b.getIndexAttr(topK)}),
            {{0, 1}, {0}, {0, 1}}, {kParallel, kParallel},
            [](OpBuilder &nb, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  nb, l,
                  arith::DivFOp::create(nb, l, args[0], args[1]).getResult());
            })
            .getResult(0);
    if (op.getRenormalize()) {
      Value sums = buildRowReduction(
          b, loc, weights, 0.0,
          [](OpBuilder &nb, Location l, Value v, Value acc) {
            return arith::AddFOp::create(nb, l, acc, v).getResult();
          });
      weights =
          buildGeneric(
              b, loc, ValueRange{weights, sums},
              createEmpty(b, loc, slotsType, {seq, b.getIndexAttr(topK)}),
              {{0, 1}, {0}, {0, 1}}, {kParallel, kParallel},
              [](OpBuilder &nb, Location l, ValueRange args) {
                Value positive = arith::CmpFOp::create(
                    nb, l, arith::CmpFPredicate::OGT, args[1],
                    arith::ConstantOp::create(
                        nb, l, nb.getZeroAttr(args[1].getType())));
                Value divided = arith::DivFOp::create(nb, l, args[0], args[1]);
                linalg::YieldOp::create(
                    nb, l,
                    arith::SelectOp::create(nb, l, positive, divided, args[0])
                        .getResult());
              })
              .getResult(0);
    }

    // The chosen experts' gate and up projections, [seq, top_k, hidden],
    // reading the rows of each slot's expert.
    Value wGate = adaptor.getWGate(), wUp = adaptor.getWUp();
    auto hiddenType = typeOf({topK, hidden}, element);
    auto projections = buildGeneric(
        b, loc, ValueRange{x, chosen},
        ValueRange{createFilledWith(b, loc, hiddenType, seq, zero(element)),
                   createFilledWith(b, loc, hiddenType, seq, zero(element))},
        {{0, 3}, {0, 1}, {0, 1, 2}, {0, 1, 2}},
        {kParallel, kParallel, kParallel, kReduction},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value gate = gatherWeight(nb, l, wGate, args[1], hidden, 2, 3);
          Value up = gatherWeight(nb, l, wUp, args[1], hidden, 2, 3);
          Value gateSum = arith::AddFOp::create(
              nb, l, args[2], arith::MulFOp::create(nb, l, args[0], gate));
          Value upSum = arith::AddFOp::create(
              nb, l, args[3], arith::MulFOp::create(nb, l, args[0], up));
          linalg::YieldOp::create(nb, l, ValueRange{gateSum, upSum});
        });

    // act(gate) * up, scaled by the slot's weight.
    ActivationKind kind = op.getActivation();
    Value activated =
        buildGeneric(
            b, loc,
            ValueRange{projections.getResult(0), projections.getResult(1),
                       weights},
            createEmpty(b, loc, hiddenType,
                        {seq, b.getIndexAttr(topK), b.getIndexAttr(hidden)}),
            {{0, 1, 2}, {0, 1, 2}, {0, 1}, {0, 1, 2}},
            {kParallel, kParallel, kParallel},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value gated = arith::MulFOp::create(
                  nb, l, buildActivation(nb, l, kind, args[0]), args[1]);
              linalg::YieldOp::create(
                  nb, l,
                  arith::MulFOp::create(nb, l, gated, args[2]).getResult());
            })
            .getResult(0);

    // The result starts from the shared expert (scaled by its gate) or
    // zeros, and sums the slots' down projections.
    Value init;
    if (Value shared = adaptor.getShared()) {
      init =
          shared.getType() == resultType
              ? shared
              : tensor::CastOp::create(b, loc, resultType, shared).getResult();
      if (Value sharedGate = adaptor.getSharedGate()) {
        Value gateLogits = buildLinear(b, loc, x, sharedGate, Value());
        init =
            buildGeneric(
                b, loc, ValueRange{shared, gateLogits},
                createEmpty(b, loc, resultType, {seq, b.getIndexAttr(width)}),
                {{0, 1}, {0, -1}, {0, 1}}, {kParallel, kParallel},
                [](OpBuilder &nb, Location l, ValueRange args) {
                  Type type = args[0].getType();
                  Value negated = arith::NegFOp::create(nb, l, args[1]);
                  Value denominator = arith::AddFOp::create(
                      nb, l, floatConstant(nb, l, type, 1.0),
                      math::ExpOp::create(nb, l, negated));
                  Value gate = arith::DivFOp::create(
                      nb, l, floatConstant(nb, l, type, 1.0), denominator);
                  linalg::YieldOp::create(
                      nb, l,
                      arith::MulFOp::create(nb, l, gate, args[0]).getResult());
                })
                .getResult(0);
      }
    } else {
      init = createFilledWith(b, loc, resultType, seq, zero(element));
    }
    Value wDown = adaptor.getWDown();
    Value result =
        buildGeneric(b, loc, ValueRange{activated, chosen}, init,
                     {{0, 2, 3}, {0, 2}, {0, 1}},
                     {kParallel, kParallel, kReduction, kReduction},
                     [&](OpBuilder &nb, Location l, ValueRange args) {
                       Value down =
                           gatherWeight(nb, l, wDown, args[1], width, 1, 3);
                       linalg::YieldOp::create(
                           nb, l,
                           arith::AddFOp::create(
                               nb, l, args[2],
                               arith::MulFOp::create(nb, l, args[0], down))
                               .getResult());
                     })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

bool loom::hasStaticExperts(MoEOp op) {
  auto gate = cast<RankedTensorType>(op.getWGate().getType());
  auto down = cast<RankedTensorType>(op.getWDown().getType());
  auto result = cast<RankedTensorType>(op.getType());
  return !gate.isDynamicDim(0) && down.hasStaticShape() &&
         !result.isDynamicDim(1);
}

void loom::populateMoELoweringPatterns(TypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<MoELowering>(converter, patterns.getContext());
}
