//===- Builders.cpp - Linalg building blocks for the loom lowering --------===//

#include "compiler/Conversion/LoomToLinalg/Builders.h"

#include "dialects/Loom/Utils/Epilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>

using namespace mlir;
using namespace loom;

SmallVector<OpFoldResult> loom::getSizes(OpBuilder &b, Location loc,
                                         Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> sizes;
  for (auto [i, size] : llvm::enumerate(type.getShape())) {
    if (ShapedType::isDynamic(size))
      sizes.push_back(tensor::DimOp::create(b, loc, value, i).getResult());
    else
      sizes.push_back(b.getIndexAttr(size));
  }
  return sizes;
}

Value loom::createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                        ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> mixed;
  for (auto [i, size] : llvm::enumerate(type.getShape()))
    mixed.push_back(ShapedType::isDynamic(size) ? sizes[i]
                                                : b.getIndexAttr(size));
  return tensor::EmptyOp::create(b, loc, mixed, type.getElementType());
}

Value loom::floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value loom::createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                         ArrayRef<OpFoldResult> sizes, double value) {
  Value empty = createEmpty(b, loc, type, sizes);
  Value scalar = floatConstant(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

/// If `w` ([out, in]) is a transpose of a stored [in, out] matrix, or rows
/// of one, returns the stored matrix (columns of it): the product can read
/// it as is instead of transposing every call.
static Value peelTranspose(OpBuilder &b, Location loc, Value w) {
  Operation *def = w.getDefiningOp();
  if (!def)
    return Value();
  if (auto transpose = dyn_cast<TransposeOp>(def))
    return transpose.getInput();
  if (auto transpose = dyn_cast<linalg::TransposeOp>(def)) {
    if (transpose.getPermutation() == ArrayRef<int64_t>{1, 0})
      return transpose.getInput();
    return Value();
  }
  // Rows [r, r + n) of transpose(s) are transpose(columns [r, r + n) of s).
  auto columns = [&](Value source, int64_t row, int64_t rows) -> Value {
    Value stored = peelTranspose(b, loc, source);
    if (!stored)
      return Value();
    auto type = cast<RankedTensorType>(stored.getType());
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                         b.getIndexAttr(row)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(type.getDimSize(0)),
                                       b.getIndexAttr(rows)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, stored, offsets, sizes,
                                          strides);
  };
  auto rows = cast<RankedTensorType>(w.getType()).getDimSize(0);
  if (auto split = dyn_cast<SplitOp>(def)) {
    if (split.getAxis() != 0)
      return Value();
    unsigned index = cast<OpResult>(w).getResultNumber();
    int64_t offset = 0;
    for (unsigned i = 0; i < index; ++i)
      offset += split.getSizes()[i];
    return columns(split.getInput(), offset, rows);
  }
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def)) {
    std::optional<int64_t> row =
        getConstantIntValue(slice.getMixedOffsets()[0]);
    if (!slice.hasUnitStride() || !row ||
        !isConstantIntValue(slice.getMixedOffsets()[1], 0) ||
        slice.getSourceType().getDimSize(1) !=
            cast<RankedTensorType>(w.getType()).getDimSize(1))
      return Value();
    return columns(slice.getSource(), *row, rows);
  }
  return Value();
}

Value loom::buildLinear(OpBuilder &b, Location loc, Value x, Value w,
                        Value bias, Value residual,
                        std::optional<ActivationKind> activation) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type elementType = xType.getElementType();
  auto resultType = RankedTensorType::get(
      {xType.getDimSize(0), wType.getDimSize(0)}, elementType);
  SmallVector<OpFoldResult> sizes = {getSizes(b, loc, x)[0],
                                     b.getIndexAttr(wType.getDimSize(0))};
  if (residual && residual.getType() != resultType)
    residual = tensor::CastOp::create(b, loc, resultType, residual);

  // The accumulator starts as the residual, plus the bias broadcast over
  // rows, or zeros: the kernels accumulate into it, so neither costs a pass
  // over the result of its own.
  Value init;
  if (bias) {
    MLIRContext *ctx = b.getContext();
    AffineExpr i, j;
    bindDims(ctx, i, j);
    SmallVector<Value> inputs = {bias};
    SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {j}, ctx)};
    if (residual) {
      inputs.push_back(residual);
      maps.push_back(AffineMap::get(2, 0, {i, j}, ctx));
    }
    maps.push_back(AffineMap::get(2, 0, {i, j}, ctx));
    Value empty = createEmpty(b, loc, resultType, sizes);
    init = linalg::GenericOp::create(
               b, loc, resultType, inputs, ValueRange{empty}, maps,
               ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                             utils::IteratorType::parallel},
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 Value start = args[0];
                 if (residual)
                   start = arith::AddFOp::create(nb, nloc, args[1], start);
                 linalg::YieldOp::create(nb, nloc, start);
               })
               .getResult(0);
  } else if (residual) {
    init = residual;
  } else {
    init = createFilled(b, loc, resultType, sizes, 0.0);
  }

  // result[i, j] += x[i, k] * w[j, k], which targets may hand to a kernel
  // library (`library_call`); the body stays the definition. A weight
  // stored [in, out] is read as w[k, j] rather than transposed. A weight in
  // a narrower type (`loom.convert`) is widened as it is read, and only
  // generated loops read it.
  bool widened = wType.getElementType() != elementType;
  MLIRContext *ctx = b.getContext();
  AffineExpr i, j, k;
  bindDims(ctx, i, j, k);
  Value stored = peelTranspose(b, loc, w);
  AffineMap weightMap = stored ? AffineMap::get(3, 0, {k, j}, ctx)
                               : AffineMap::get(3, 0, {j, k}, ctx);
  auto contraction = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{x, stored ? stored : w}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::get(3, 0, {i, k}, ctx), weightMap,
                          AffineMap::get(3, 0, {i, j}, ctx)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::parallel,
                                    utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value weight = args[1];
        if (widened)
          weight = arith::ExtFOp::create(nb, nloc, elementType, weight);
        Value product = arith::MulFOp::create(nb, nloc, args[0], weight);
        Value sum = arith::AddFOp::create(nb, nloc, args[2], product);
        linalg::YieldOp::create(nb, nloc, sum);
      });
  if (!widened)
    contraction.setLibraryCallAttr(
        b.getStringAttr(stored ? kSgemmNNLibraryCall : kSgemmNTLibraryCall));
  Value product = contraction.getResult(0);
  if (!activation)
    return product;
  // The activation in place on the product, marked as its epilogue.
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  auto epilogue = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{}, ValueRange{product},
      ArrayRef<AffineMap>{identity},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(
            nb, nloc, buildActivation(nb, nloc, *activation, args[0]));
      });
  epilogue->setAttr(kEpilogueAttr, ActivationKindAttr::get(ctx, *activation));
  return epilogue.getResult(0);
}

Value loom::buildElementwise(
    OpBuilder &b, Location loc, ValueRange inputs,
    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  Value first = inputs.front();
  auto type = cast<RankedTensorType>(first.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs) {
    unsigned inputRank = cast<RankedTensorType>(input.getType()).getRank();
    // Lower-rank inputs broadcast along the leading dimensions.
    maps.push_back(AffineMap::getMinorIdentityMap(rank, inputRank, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value empty = createEmpty(b, loc, type, getSizes(b, loc, first));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, type, inputs, ValueRange{empty}, maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       fn(nb, nloc, args.drop_back()));
             })
      .getResult(0);
}

Value loom::buildActivation(OpBuilder &b, Location loc, ActivationKind kind,
                            Value x) {
  Type type = x.getType();
  auto cst = [&](double value) { return floatConstant(b, loc, type, value); };
  switch (kind) {
  case ActivationKind::Relu:
    return arith::MaximumFOp::create(b, loc, x, cst(0.0));
  case ActivationKind::Gelu: {
    // 0.5 * x * (1 + erf(x / sqrt(2)))
    Value scaled = arith::MulFOp::create(b, loc, x, cst(M_SQRT1_2));
    Value erf = math::ErfOp::create(b, loc, scaled);
    Value onePlus = arith::AddFOp::create(b, loc, erf, cst(1.0));
    Value half = arith::MulFOp::create(b, loc, x, cst(0.5));
    return arith::MulFOp::create(b, loc, half, onePlus);
  }
  case ActivationKind::GeluTanh: {
    // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
    Value x3 =
        arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x), x);
    Value inner = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, x3, cst(0.044715)));
    Value tanh = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, inner, cst(std::sqrt(2.0 / M_PI))));
    Value onePlus = arith::AddFOp::create(b, loc, tanh, cst(1.0));
    Value half = arith::MulFOp::create(b, loc, x, cst(0.5));
    return arith::MulFOp::create(b, loc, half, onePlus);
  }
  case ActivationKind::Silu: {
    // x / (1 + exp(-x))
    Value negated = arith::NegFOp::create(b, loc, x);
    Value exp = math::ExpOp::create(b, loc, negated);
    Value denominator = arith::AddFOp::create(b, loc, exp, cst(1.0));
    return arith::DivFOp::create(b, loc, x, denominator);
  }
  }
  llvm_unreachable("unknown activation");
}

Value loom::buildRowReduction(
    OpBuilder &b, Location loc, Value x, double init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  auto resultType =
      RankedTensorType::get(type.getShape().drop_back(), type.getElementType());
  Value filled = createFilled(b, loc, resultType,
                              ArrayRef(getSizes(b, loc, x)).drop_back(), init);
  MLIRContext *ctx = b.getContext();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  return linalg::GenericOp::create(
             b, loc, resultType, ValueRange{x}, ValueRange{filled},
             ArrayRef<AffineMap>{identity, identity.dropResult(rank - 1)},
             iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       combine(nb, nloc, args[0], args[1]));
             })
      .getResult(0);
}

Value loom::buildBroadcast(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  SmallVector<OpFoldResult> sizes;
  SmallVector<bool> known;
  for (int64_t extent : resultType.getShape()) {
    sizes.push_back(b.getIndexAttr(extent));
    known.push_back(!ShapedType::isDynamic(extent));
  }
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    unsigned missing = rank - type.getRank();
    SmallVector<AffineExpr> exprs;
    for (unsigned d = 0; d < type.getRank(); ++d) {
      unsigned i = missing + d;
      if (type.getDimSize(d) == 1 && resultType.getDimSize(i) != 1) {
        exprs.push_back(getAffineConstantExpr(0, ctx));
        continue;
      }
      exprs.push_back(getAffineDimExpr(i, ctx));
      if (!known[i] && type.isDynamicDim(d)) {
        sizes[i] = tensor::DimOp::create(b, loc, input, d).getResult();
        known[i] = true;
      }
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value empty = createEmpty(b, loc, resultType, sizes);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, resultType, inputs, ValueRange{empty}, maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       fn(nb, nloc, args.drop_back()));
             })
      .getResult(0);
}

Value loom::splitHeads(OpBuilder &b, Location loc, Value x, int64_t heads,
                       int64_t headDim) {
  auto type = cast<RankedTensorType>(x.getType());
  auto resultType = RankedTensorType::get({type.getDimSize(0), heads, headDim},
                                          type.getElementType());
  SmallVector<OpFoldResult> shape = {
      getSizes(b, loc, x)[0], b.getIndexAttr(heads), b.getIndexAttr(headDim)};
  return tensor::ExpandShapeOp::create(
      b, loc, resultType, x, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
      shape);
}
