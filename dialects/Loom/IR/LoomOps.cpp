//===- LoomOps.cpp - loom operations --------------------------------------===//
//
// Verifiers, result type inference, builders, folders and canonicalization
// patterns of the `loom` operations.
//
// Result type inference is lenient: where operands are inconsistent it still
// returns a type of the right rank (unknown dimensions dynamic), so that the
// op verifiers, which run after inference, report the inconsistency with a
// message naming the mismatching dimensions.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/IR/QuantFormat.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/Support/FormatVariadic.h"

#include <numeric>

using namespace mlir;
using namespace loom;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

bool loom::detail::areCompatibleReturnTypes(TypeRange lhs, TypeRange rhs) {
  if (lhs.size() != rhs.size())
    return false;
  for (auto [l, r] : llvm::zip_equal(lhs, rhs)) {
    if (l == r)
      continue;
    auto lt = dyn_cast<TensorType>(l);
    auto rt = dyn_cast<TensorType>(r);
    if (!lt || !rt || lt.getElementType() != rt.getElementType())
      return false;
    if (failed(verifyCompatibleShape(lt, rt)))
      return false;
  }
  return true;
}

/// True when both extents are known and differ.
static bool conflicts(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

/// The type of `v` if it is a ranked tensor of rank `rank`, else null.
static RankedTensorType rankedOf(Value v, int64_t rank) {
  auto type = dyn_cast_or_null<RankedTensorType>(v ? v.getType() : Type());
  if (!type || type.getRank() != rank)
    return {};
  return type;
}

/// Extent `i` of the ranked tensor `v`, dynamic if unknown.
static int64_t dimOf(Value v, unsigned i) {
  auto type = dyn_cast_or_null<RankedTensorType>(v ? v.getType() : Type());
  if (!type || i >= type.getRank())
    return ShapedType::kDynamic;
  return type.getDimSize(i);
}

/// Infers `[seq, width]` for a layer whose input is the activation `x`.
static LogicalResult inferActivation(std::optional<Location> loc, Value x,
                                     int64_t width,
                                     SmallVectorImpl<Type> &inferred) {
  RankedTensorType xType = rankedOf(x, 2);
  if (!xType)
    return emitOptionalError(loc, "expects a rank-2 activation [seq, D]");
  if (width < 0)
    width = ShapedType::kDynamic;
  inferred.push_back(RankedTensorType::get({xType.getDimSize(0), width},
                                           xType.getElementType()));
  return success();
}

/// Infers the type of `x` itself (shape-preserving ops).
static LogicalResult inferSameAs(std::optional<Location> loc, Value x,
                                 SmallVectorImpl<Type> &inferred) {
  if (!isa_and_nonnull<RankedTensorType>(x ? x.getType() : Type()))
    return emitOptionalError(loc, "expects a ranked tensor operand");
  inferred.push_back(x.getType());
  return success();
}

/// `type` with every extent dynamic.
static RankedTensorType unknownShape(RankedTensorType type) {
  return RankedTensorType::get(
      SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic),
      type.getElementType());
}

/// Checks that the 1-D `bias` has `expected` elements; `what` is a format
/// string saying where `expected` comes from ("the weight has {0} rows").
static LogicalResult verifyBiasLength(Operation *op, StringRef name, Value bias,
                                      int64_t expected, const char *what) {
  if (!bias)
    return success();
  int64_t len = dimOf(bias, 0);
  if (!conflicts(len, expected))
    return success();
  return op->emitOpError() << name << " has " << len << " elements but "
                           << llvm::formatv(what, expected).str();
}

//===----------------------------------------------------------------------===//
// Custom directives
//===----------------------------------------------------------------------===//

/// Parses an activation function written as a bare keyword (`silu`).
static ParseResult parseActivationKind(OpAsmParser &parser,
                                       ActivationKindAttr &attr) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<ActivationKind> kind = symbolizeActivationKind(keyword);
  if (!kind)
    return parser.emitError(loc)
           << "unknown activation '" << keyword
           << "' (expected relu, gelu, gelu_tanh or silu)";
  attr = ActivationKindAttr::get(parser.getContext(), *kind);
  return success();
}

static void printActivationKind(OpAsmPrinter &printer, Operation *,
                                ActivationKindAttr attr) {
  printer << stringifyActivationKind(attr.getValue());
}

/// Parses how a quantized product rounds its inputs, a bare keyword (`bf16`).
static ParseResult parseQuantInputs(OpAsmParser &parser,
                                    QuantInputsAttr &attr) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<QuantInputs> inputs = symbolizeQuantInputs(keyword);
  if (!inputs)
    return parser.emitError(loc) << "unknown inputs '" << keyword
                                 << "' (expected int8, int8x2 or bf16)";
  attr = QuantInputsAttr::get(parser.getContext(), *inputs);
  return success();
}

static void printQuantInputs(OpAsmPrinter &printer, Operation *,
                             QuantInputsAttr attr) {
  printer << stringifyQuantInputs(attr.getValue());
}

/// Parses which side of a layer `loom.observe` shows: `input` or `output`
/// (the unit attribute `output`).
static ParseResult parseObserveSide(OpAsmParser &parser, UnitAttr &output) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  if (keyword != "input" && keyword != "output")
    return parser.emitError(loc)
           << "expected input or output, got '" << keyword << "'";
  output = keyword == "output" ? parser.getBuilder().getUnitAttr() : UnitAttr();
  return success();
}

static void printObserveSide(OpAsmPrinter &printer, Operation *,
                             UnitAttr output) {
  printer << (output ? "output" : "input");
}

/// Parses a quantized format written as a bare keyword (`q8_0`).
static ParseResult parseQuantFormat(OpAsmParser &parser,
                                    QuantFormatAttr &attr) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<QuantFormat> format = symbolizeQuantFormat(keyword);
  if (!format)
    return parser.emitError(loc)
           << "unknown quantized format '" << keyword
           << "' (expected q8_0, q4_0, q4_1, q4_k or int8)";
  attr = QuantFormatAttr::get(parser.getContext(), *format);
  return success();
}

static void printQuantFormat(OpAsmPrinter &printer, Operation *,
                             QuantFormatAttr attr) {
  printer << stringifyQuantFormat(attr.getValue());
}

#define GET_OP_CLASSES
#include "dialects/Loom/IR/LoomOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

void ParamOp::build(OpBuilder &builder, OperationState &state, StringRef name,
                    RankedTensorType type, StringRef checkpoint) {
  build(builder, state, builder.getStringAttr(name), TypeAttr::get(type),
        checkpoint.empty() ? StringAttr() : builder.getStringAttr(checkpoint));
}

LogicalResult ParamOp::verifyRegions() {
  if (getInit().empty())
    return success();
  Block &block = getInit().front();
  auto yield = block.empty() ? YieldOp() : dyn_cast<YieldOp>(block.back());
  if (!yield)
    return emitOpError("init region must end with loom.yield");
  if (yield.getValues().size() != 1)
    return emitOpError() << "init region must yield exactly one value, got "
                         << yield.getValues().size();
  Type yielded = yield.getValues().front().getType();
  if (yielded != getType())
    return emitOpError() << "init region yields " << yielded
                         << " but the parameter has type " << getType();
  WalkResult walk = getInit().walk([&](Operation *op) {
    if (auto weight = dyn_cast<WeightOp>(op)) {
      if (weight.getParam() == getSymName()) {
        emitOpError("init region reads the parameter it defines");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    if (!isa<YieldOp>(op) && !isPure(op)) {
      emitOpError() << "init region may only contain side-effect free ops, "
                       "found '"
                    << op->getName() << "'";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

void WeightOp::build(OpBuilder &builder, OperationState &state, ParamOp param) {
  build(builder, state, param.getType(),
        FlatSymbolRefAttr::get(param.getSymNameAttr()));
}

LogicalResult WeightOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  Operation *symbol =
      symbolTable.lookupNearestSymbolFrom(*this, getParamAttr());
  if (!symbol)
    return emitOpError() << "no loom.param named " << getParamAttr();
  auto param = dyn_cast<ParamOp>(symbol);
  if (!param)
    return emitOpError() << getParamAttr() << " is a '" << symbol->getName()
                         << "', not a loom.param";
  if (param.getType() != getType())
    return emitOpError() << "result type " << getType()
                         << " does not match the type " << param.getType()
                         << " of parameter " << getParamAttr();
  return success();
}

namespace {
/// `loom.weight @a` where `@a`'s init is just `loom.weight @b` reads `@b`.
struct ForwardAliasedParam : OpRewritePattern<WeightOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(WeightOp op,
                                PatternRewriter &rewriter) const override {
    auto param =
        SymbolTable::lookupNearestSymbolFrom<ParamOp>(op, op.getParamAttr());
    if (!param || !param.isDerived())
      return failure();
    Block &init = param.getInit().front();
    if (init.getOperations().size() != 2)
      return failure();
    auto source = dyn_cast<WeightOp>(init.front());
    auto yield = dyn_cast<YieldOp>(init.back());
    if (!source || !yield || yield.getValues().size() != 1 ||
        yield.getValues().front() != source.getResult() ||
        source.getParamAttr() == op.getParamAttr() ||
        source.getType() != op.getType())
      return failure();
    rewriter.modifyOpInPlace(op,
                             [&] { op.setParamAttr(source.getParamAttr()); });
    return success();
  }
};
} // namespace

void WeightOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<ForwardAliasedParam>(context);
}

LogicalResult WeightSelectOp::verify() {
  if (getParams().empty())
    return emitOpError("selects from no parameters");
  return success();
}

LogicalResult
WeightSelectOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  for (Attribute attr : getParams()) {
    auto name = cast<FlatSymbolRefAttr>(attr);
    auto param = symbolTable.lookupNearestSymbolFrom<ParamOp>(*this, name);
    if (!param)
      return emitOpError() << "no loom.param named " << name;
    if (param.getType() != getType())
      return emitOpError() << "result type " << getType()
                           << " does not match the type " << param.getType()
                           << " of parameter " << name;
  }
  return success();
}

namespace {
/// `loom.weight_select [...][c]` for a constant c in range reads `params[c]`.
struct SelectConstantWeight : OpRewritePattern<WeightSelectOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(WeightSelectOp op,
                                PatternRewriter &rewriter) const override {
    APInt index;
    if (!matchPattern(op.getIndex(), m_ConstantInt(&index)))
      return failure();
    ArrayAttr params = op.getParams();
    if (index.isNegative() || index.uge(params.size()))
      return failure();
    rewriter.replaceOpWithNewOp<WeightOp>(
        op, op.getType(),
        cast<FlatSymbolRefAttr>(params[index.getZExtValue()]));
    return success();
  }
};
} // namespace

void WeightSelectOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                 MLIRContext *context) {
  results.add<SelectConstantWeight>(context);
}

//===----------------------------------------------------------------------===//
// Embeddings
//===----------------------------------------------------------------------===//

static LogicalResult inferEmbedding(std::optional<Location> loc, Value ids,
                                    Value table,
                                    SmallVectorImpl<Type> &inferred) {
  RankedTensorType tableType = rankedOf(table, 2);
  if (!rankedOf(ids, 1) || !tableType)
    return emitOptionalError(loc, "expects ids [seq] and a table [rows, D]");
  inferred.push_back(RankedTensorType::get(
      {dimOf(ids, 0), tableType.getDimSize(1)}, tableType.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  std::optional<QuantFormat> format = adaptor.getFormat();
  if (!format) {
    // Rows of a half-precision table are widened to f32 as they are read.
    if (failed(inferEmbedding(loc, adaptor.getIds(), adaptor.getTable(),
                              inferred)))
      return failure();
    inferred.back() = cast<RankedTensorType>(inferred.back())
                          .clone(Float32Type::get(context));
    return success();
  }
  // A quantized table's rows hold D values in R bytes.
  RankedTensorType tableType = rankedOf(adaptor.getTable(), 2);
  if (!rankedOf(adaptor.getIds(), 1) || !tableType)
    return emitOptionalError(loc, "expects ids [seq] and a table [rows, R]");
  int64_t bytes = tableType.getDimSize(1);
  int64_t width =
      ShapedType::isDynamic(bytes)
          ? ShapedType::kDynamic
          : getQuantRowWeights(*format, bytes).value_or(ShapedType::kDynamic);
  inferred.push_back(RankedTensorType::get({dimOf(adaptor.getIds(), 0), width},
                                           Float32Type::get(context)));
  return success();
}

/// Checks that `matrix` (`what`: "weight", "table") is i8 bytes exactly when
/// `format` is given, and its rows whole blocks of the format.
static LogicalResult verifyQuantizedMatrix(Operation *op, Value matrix,
                                           std::optional<QuantFormat> format,
                                           StringRef what) {
  bool bytes = getElementTypeOrSelf(matrix).isInteger(8);
  if (bytes && !format)
    return op->emitOpError()
           << "an i8 " << what << " needs a quantized 'format'";
  if (format && !bytes)
    return op->emitOpError()
           << "a " << what << " in format " << stringifyQuantFormat(*format)
           << " must be i8 bytes, got " << matrix.getType();
  int64_t rowBytes = dimOf(matrix, 1);
  if (format && !ShapedType::isDynamic(rowBytes) &&
      !getQuantRowWeights(*format, rowBytes))
    return op->emitOpError() << "a " << what << " row of " << rowBytes
                             << " bytes is not a whole number of "
                             << stringifyQuantFormat(*format) << " blocks ("
                             << getQuantBlockBytes(*format) << " bytes each)";
  return success();
}

LogicalResult EmbeddingOp::verify() {
  // Rows are widened to the f32 result, never narrowed.
  Type element = getElementTypeOrSelf(getTable());
  if (isa<FloatType>(element) && element.getIntOrFloatBitWidth() > 32)
    return emitOpError() << "a table of " << element
                         << " would be narrowed to f32; tables are f32, "
                            "bf16 or f16";
  return verifyQuantizedMatrix(*this, getTable(), getFormat(), "table");
}

LogicalResult PositionEmbeddingOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferEmbedding(loc, adaptor.getIds(), adaptor.getTable(), inferred);
}

LogicalResult PositionEmbeddingOp::verify() {
  int64_t seq = dimOf(getIds(), 0);
  int64_t rows = dimOf(getTable(), 0);
  if (!ShapedType::isDynamic(seq) && !ShapedType::isDynamic(rows) && seq > rows)
    return emitOpError() << "sequence length " << seq << " exceeds the " << rows
                         << " positions of the table";
  return success();
}

LogicalResult
EmbeddingRowOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                 Adaptor adaptor,
                                 SmallVectorImpl<Type> &inferred) {
  RankedTensorType table = rankedOf(adaptor.getTable(), 2);
  if (!table)
    return emitOptionalError(loc, "expects a table [rows, D]");
  inferred.push_back(
      RankedTensorType::get({table.getDimSize(1)}, table.getElementType()));
  return success();
}

LogicalResult EmbeddingRowOp::verify() {
  int64_t rows = dimOf(getTable(), 0);
  auto index = static_cast<int64_t>(getIndex());
  if (!ShapedType::isDynamic(rows) && index >= rows)
    return emitOpError() << "index " << index
                         << " is out of range for a table with " << rows
                         << " rows";
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferActivation(loc, adaptor.getX(), dimOf(adaptor.getW(), 0),
                         inferred);
}

int64_t LinearOp::getWeightInputWidth() {
  int64_t columns = dimOf(getW(), 1);
  std::optional<QuantFormat> format = getFormat();
  if (!format || ShapedType::isDynamic(columns))
    return columns;
  return getQuantRowWeights(*format, columns).value_or(ShapedType::kDynamic);
}

LogicalResult LinearOp::verify() {
  int64_t in = dimOf(getX(), 1);
  std::optional<QuantFormat> format = getFormat();
  if (failed(verifyQuantizedMatrix(*this, getW(), format, "weight")))
    return failure();
  if (getInputs() && !format)
    return emitOpError("'inputs' needs a quantized 'format'");
  Type xElement = getElementTypeOrSelf(getX());
  Type wElement = getElementTypeOrSelf(getW());
  if (!format && wElement != xElement &&
      (!isa<FloatType>(wElement) || !isa<FloatType>(xElement) ||
       wElement.getIntOrFloatBitWidth() >= xElement.getIntOrFloatBitWidth()))
    return emitOpError() << "a " << wElement << " weight for " << xElement
                         << " inputs: a weight may only be narrower than its "
                            "inputs (it is widened as it is read)";
  int64_t weightIn = getWeightInputWidth();
  if (conflicts(weightIn, in))
    return emitOpError() << "weight expects input width " << weightIn
                         << " but x has width " << in;
  if (failed(verifyBiasLength(*this, "bias", getBias(), dimOf(getW(), 0),
                              "the weight has {0} output rows")))
    return failure();
  Value residual = getResidual();
  if (!residual)
    return success();
  if (getElementTypeOrSelf(residual) != getElementTypeOrSelf(getX()))
    return emitOpError() << "residual has element type "
                         << getElementTypeOrSelf(residual)
                         << " but x has element type "
                         << getElementTypeOrSelf(getX());
  int64_t width = dimOf(residual, 1);
  if (conflicts(width, dimOf(getW(), 0)))
    return emitOpError() << "residual has width " << width
                         << " but the weight has " << dimOf(getW(), 0)
                         << " output rows";
  if (conflicts(dimOf(residual, 0), dimOf(getX(), 0)))
    return emitOpError() << "residual has " << dimOf(residual, 0)
                         << " rows but x has " << dimOf(getX(), 0);
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  QuantFormat format = getFormat();
  int64_t rows = dimOf(getW(), 0), k = dimOf(getW(), 1);
  if (ShapedType::isDynamic(rows) || ShapedType::isDynamic(k))
    return emitOpError() << "quantizes static matrices only, got "
                         << getW().getType();
  std::optional<int64_t> rowBytes = getQuantRowBytes(format, k);
  if (!rowBytes)
    return emitOpError() << "the " << stringifyQuantFormat(format)
                         << " group size " << getQuantBlockSize(format)
                         << " does not divide the row length " << k;
  auto result = cast<RankedTensorType>(getType());
  if (result.getDimSize(0) != rows || result.getDimSize(1) != *rowBytes)
    return emitOpError() << "a [" << rows << ", " << k << "] matrix in "
                         << stringifyQuantFormat(format) << " is tensor<"
                         << rows << "x" << *rowBytes << "xi8>, got " << result;
  if (Value importance = getImportance();
      importance && conflicts(dimOf(importance, 0), k))
    return emitOpError() << "importance has " << dimOf(importance, 0)
                         << " entries but the rows have " << k << " weights";
  if (Value covariance = getCovariance()) {
    if (conflicts(dimOf(covariance, 0), k) ||
        conflicts(dimOf(covariance, 1), k))
      return emitOpError() << "the covariance of " << k
                           << " input channels is [" << k << ", " << k
                           << "], got " << covariance.getType();
  }
  return success();
}

LogicalResult PruneNeuronsOp::verify() {
  int64_t neurons = dimOf(getUp(), 0), width = dimOf(getUp(), 1);
  if (ShapedType::isDynamic(neurons))
    return emitOpError() << "scores static weights only, got "
                         << getUp().getType();
  if (Value gate = getGate(); gate && (conflicts(dimOf(gate, 0), neurons) ||
                                       conflicts(dimOf(gate, 1), width)))
    return emitOpError() << "the gate weight " << gate.getType()
                         << " does not match the up weight "
                         << getUp().getType();
  if (conflicts(dimOf(getDown(), 1), neurons))
    return emitOpError() << "the down weight " << getDown().getType()
                         << " does not read the " << neurons
                         << " neurons of the up weight";
  if (Value importance = getImportance();
      importance && conflicts(dimOf(importance, 0), neurons))
    return emitOpError() << "importance has " << dimOf(importance, 0)
                         << " entries for " << neurons << " neurons";
  if (getKeep() > uint64_t(neurons))
    return emitOpError() << "keeps " << getKeep() << " of " << neurons
                         << " neurons";
  auto target = cast<RankedTensorType>(getTarget().getType());
  int64_t axis = getAxis();
  if (axis >= target.getRank() || conflicts(target.getDimSize(axis), neurons))
    return emitOpError() << "axis " << axis << " of " << target
                         << " is not the " << neurons << " neurons";
  SmallVector<int64_t> shape(target.getShape());
  shape[axis] = getKeep();
  auto expected = RankedTensorType::get(shape, target.getElementType());
  if (getType() != expected)
    return emitOpError() << "result type " << getType() << " should be "
                         << expected;
  return success();
}

LogicalResult SmoothScalesOp::verify() {
  double alpha = getAlpha().convertToDouble();
  if (!(alpha >= 0.0 && alpha <= 1.0))
    return emitOpError() << "alpha must be in [0, 1], got " << alpha;
  int64_t cols = dimOf(getW(), 1);
  if (conflicts(dimOf(getImportance(), 0), cols))
    return emitOpError() << "importance has " << dimOf(getImportance(), 0)
                         << " entries for " << cols << " input channels";
  if (conflicts(dimOf(getResult(), 0), cols))
    return emitOpError() << "has " << dimOf(getResult(), 0) << " scales for "
                         << cols << " input channels";
  return success();
}

LogicalResult LowRankOp::verify() {
  StringRef part = getPart();
  if (part != "a" && part != "b")
    return emitOpError() << "part must be \"a\" or \"b\", got \"" << part
                         << "\"";
  auto type = cast<RankedTensorType>(getW().getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (type.isDynamicDim(0) || type.isDynamicDim(1))
    return emitOpError() << "factors static weights only, got " << type;
  if (Value importance = getImportance();
      importance && conflicts(dimOf(importance, 0), cols))
    return emitOpError() << "importance has " << dimOf(importance, 0)
                         << " entries for " << cols << " input channels";
  int64_t rank = getRank();
  if (rank > std::min(rows, cols))
    return emitOpError() << "rank " << rank << " is above the smaller side of "
                         << type;
  SmallVector<int64_t> shape = part == "a" ? SmallVector<int64_t>{rank, cols}
                                           : SmallVector<int64_t>{rows, rank};
  auto expected = RankedTensorType::get(shape, type.getElementType());
  if (getType() != expected)
    return emitOpError() << "result type " << getType() << " should be "
                         << expected;
  return success();
}

LogicalResult PruneHeadsOp::verify() {
  StringRef part = getPart();
  if (part != "q" && part != "kv" && part != "o")
    return emitOpError() << "part must be \"q\", \"kv\" or \"o\", got \""
                         << part << "\"";
  int64_t heads = getHeads(), kvHeads = getKvHeads(), hd = getHeadDim();
  if (heads % kvHeads != 0)
    return emitOpError() << heads << " heads do not form groups of " << kvHeads
                         << " key/value heads";
  if (getKeep() > uint64_t(kvHeads))
    return emitOpError() << "keeps " << getKeep() << " of " << kvHeads
                         << " head groups";
  auto expect = [&](Value value, StringRef name, int64_t dim,
                    int64_t size) -> LogicalResult {
    if (conflicts(dimOf(value, dim), size))
      return emitOpError() << name << " " << value.getType() << " should have "
                           << size << " " << (dim ? "columns" : "rows")
                           << " for " << heads << " heads of " << hd;
    return success();
  };
  if (failed(expect(getWq(), "wq", 0, heads * hd)) ||
      failed(expect(getWk(), "wk", 0, kvHeads * hd)) ||
      failed(expect(getWv(), "wv", 0, kvHeads * hd)) ||
      failed(expect(getWo(), "wo", 1, heads * hd)))
    return failure();
  if (Value importance = getImportance();
      importance && failed(expect(importance, "importance", 0, heads * hd)))
    return failure();
  auto target = cast<RankedTensorType>(getTarget().getType());
  int64_t axis = getAxis(), block = getGroupSize();
  if (axis >= target.getRank() ||
      conflicts(target.getDimSize(axis), block * kvHeads))
    return emitOpError() << "the " << part << " part of " << target
                         << " should span " << block * kvHeads
                         << (axis ? " columns" : " rows");
  SmallVector<int64_t> shape(target.getShape());
  shape[axis] = block * getKeep();
  auto expected = RankedTensorType::get(shape, target.getElementType());
  if (getType() != expected)
    return emitOpError() << "result type " << getType() << " should be "
                         << expected;
  return success();
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

/// Shared checks of the norm ops: scale/shift length and epsilon.
/// With `group`, the scales are one group's (`gamma: [group]`), which must
/// divide x's width.
static LogicalResult verifyNorm(Operation *op, Value x, Value gamma, Value beta,
                                double epsilon,
                                std::optional<uint64_t> group = {}) {
  int64_t width = dimOf(x, 1);
  if (group && !ShapedType::isDynamic(width) && width % int64_t(*group) != 0)
    return op->emitOpError()
           << "group " << *group << " does not divide x's width " << width;
  if (failed(group ? verifyBiasLength(op, "gamma", gamma, int64_t(*group),
                                      "the group has {0} elements")
                   : verifyBiasLength(op, "gamma", gamma, width,
                                      "x has width {0}")) ||
      failed(verifyBiasLength(op, "beta", beta, width, "x has width {0}")))
    return failure();
  if (!(epsilon >= 0.0))
    return op->emitOpError() << "epsilon must be non-negative, got " << epsilon;
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getX(), inferred);
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getX(), getGamma(), getBeta(),
                    getEpsilon().convertToDouble());
}

LogicalResult RMSNormOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getX(), inferred);
}

LogicalResult RMSNormOp::verify() {
  return verifyNorm(*this, getX(), getGamma(), Value(),
                    getEpsilon().convertToDouble(), getGroup());
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferActivation(loc, adaptor.getX(), dimOf(adaptor.getWo(), 0),
                         inferred);
}

/// A sliding window masks positions before a token's own: only causal
/// attention has one.
static LogicalResult verifyWindow(Operation *op, std::optional<uint64_t> window,
                                  bool causal) {
  if (window && !causal)
    return op->emitOpError("a sliding window needs causal attention");
  return success();
}

/// Checks a `[rows, cols]` projection weight against the expected extents;
/// `rowsWhat`/`colsWhat` are format strings saying where they come from.
static LogicalResult verifyProjection(Operation *op, StringRef name, Value w,
                                      int64_t rows, const char *rowsWhat,
                                      int64_t cols, const char *colsWhat) {
  int64_t actualRows = dimOf(w, 0);
  if (conflicts(actualRows, rows))
    return op->emitOpError() << name << " has " << actualRows << " rows but "
                             << llvm::formatv(rowsWhat, rows).str();
  int64_t actualCols = dimOf(w, 1);
  if (conflicts(actualCols, cols))
    return op->emitOpError() << name << " expects input width " << actualCols
                             << " but " << llvm::formatv(colsWhat, cols).str();
  return success();
}

/// The rules on the head counts and RoPE that attention ops share.
static LogicalResult verifyHeads(Operation *op, int64_t heads, int64_t kvHeads,
                                 int64_t headDim,
                                 std::optional<APFloat> ropeTheta,
                                 bool ropeInterleaved) {
  if (ropeInterleaved && !ropeTheta)
    return op->emitOpError("rope_interleaved needs rope_theta");
  if (heads % kvHeads != 0)
    return op->emitOpError()
           << "num_heads (" << heads << ") must be a multiple of num_kv_heads ("
           << kvHeads << ")";
  if (ropeTheta) {
    if (headDim % 2 != 0)
      return op->emitOpError() << "rotary embeddings (rope_theta) need an "
                                  "even head_dim, got "
                               << headDim;
    if (!(ropeTheta->convertToDouble() > 0.0))
      return op->emitOpError() << "rope_theta must be positive, got "
                               << ropeTheta->convertToDouble();
  }
  return success();
}

LogicalResult AttentionOp::verify() {
  auto heads = static_cast<int64_t>(getNumHeads());
  auto kvHeads = static_cast<int64_t>(getNumKvHeads());
  auto headDim = static_cast<int64_t>(getHeadDim());
  if (failed(verifyHeads(*this, heads, kvHeads, headDim, getRopeTheta(),
                         getRopeInterleaved())))
    return failure();
  int64_t qWidth = heads * headDim;
  int64_t kvWidth = kvHeads * headDim;
  int64_t in = dimOf(getX(), 1);
  if (failed(verifyProjection(*this, "wq", getWq(), qWidth,
                              "num_heads * head_dim = {0}", in,
                              "x has width {0}")) ||
      failed(verifyProjection(*this, "wk", getWk(), kvWidth,
                              "num_kv_heads * head_dim = {0}", in,
                              "x has width {0}")) ||
      failed(verifyProjection(*this, "wv", getWv(), kvWidth,
                              "num_kv_heads * head_dim = {0}", in,
                              "x has width {0}")) ||
      failed(verifyProjection(*this, "wo", getWo(), ShapedType::kDynamic, "",
                              qWidth, "num_heads * head_dim = {0}")))
    return failure();
  if (failed(verifyBiasLength(*this, "bq", getBq(), qWidth,
                              "num_heads * head_dim = {0}")) ||
      failed(verifyBiasLength(*this, "bk", getBk(), kvWidth,
                              "num_kv_heads * head_dim = {0}")) ||
      failed(verifyBiasLength(*this, "bv", getBv(), kvWidth,
                              "num_kv_heads * head_dim = {0}")) ||
      failed(verifyBiasLength(*this, "bo", getBo(), dimOf(getWo(), 0),
                              "wo has {0} output rows")))
    return failure();
  if (bool(getQNorm()) != bool(getKNorm()) ||
      bool(getQNorm()) != getQkNormEps().has_value())
    return emitOpError("qk-norm needs q_norm, k_norm and qk_norm_eps together");
  if (failed(verifyBiasLength(*this, "q_norm", getQNorm(), headDim,
                              "head_dim = {0}")) ||
      failed(verifyBiasLength(*this, "k_norm", getKNorm(), headDim,
                              "head_dim = {0}")))
    return failure();
  return verifyWindow(*this, getWindow(), getCausal());
}

//===----------------------------------------------------------------------===//
// AttendOp
//===----------------------------------------------------------------------===//

LogicalResult AttendOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getQ(), inferred);
}

LogicalResult AttendOp::verify() {
  auto heads = static_cast<int64_t>(getNumHeads());
  auto kvHeads = static_cast<int64_t>(getNumKvHeads());
  auto headDim = static_cast<int64_t>(getHeadDim());
  if (failed(verifyHeads(*this, heads, kvHeads, headDim, getRopeTheta(),
                         getRopeInterleaved())))
    return failure();
  auto checkWidth = [&](StringRef name, Value value, int64_t expected,
                        StringRef what) -> LogicalResult {
    int64_t width = dimOf(value, 1);
    if (conflicts(width, expected))
      return emitOpError() << name << " has width " << width << " but " << what
                           << " = " << expected;
    if (conflicts(dimOf(value, 0), dimOf(getQ(), 0)))
      return emitOpError() << name << " has " << dimOf(value, 0)
                           << " rows but q has " << dimOf(getQ(), 0);
    return success();
  };
  if (failed(verifyWindow(*this, getWindow(), getCausal())))
    return failure();
  return success(succeeded(checkWidth("q", getQ(), heads * headDim,
                                      "num_heads * head_dim")) &&
                 succeeded(checkWidth("k", getK(), kvHeads * headDim,
                                      "num_kv_heads * head_dim")) &&
                 succeeded(checkWidth("v", getV(), kvHeads * headDim,
                                      "num_kv_heads * head_dim")));
}

//===----------------------------------------------------------------------===//
// RopeOp / CachedAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getX(), inferred);
}

LogicalResult RopeOp::verify() {
  auto headDim = static_cast<int64_t>(getHeadDim());
  if (headDim % 2 != 0)
    return emitOpError() << "head_dim must be even, got " << headDim;
  int64_t width = dimOf(getX(), 1);
  if (!ShapedType::isDynamic(width) && width % headDim != 0)
    return emitOpError() << "x has width " << width
                         << ", not a multiple of head_dim " << headDim;
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError() << "theta must be positive, got "
                         << getTheta().convertToDouble();
  return success();
}

LogicalResult
CachedAttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getQ(), inferred);
}

LogicalResult CachedAttentionOp::verify() {
  auto heads = static_cast<int64_t>(getNumHeads());
  auto kvHeads = static_cast<int64_t>(getNumKvHeads());
  auto headDim = static_cast<int64_t>(getHeadDim());
  if (heads % kvHeads != 0)
    return emitOpError() << "num_heads (" << heads
                         << ") must be a multiple of num_kv_heads (" << kvHeads
                         << ")";
  int64_t qWidth = heads * headDim;
  int64_t kvWidth = kvHeads * headDim;
  auto check = [&](StringRef name, int64_t actual, int64_t expected,
                   StringRef what) -> LogicalResult {
    if (!conflicts(actual, expected))
      return success();
    return emitOpError() << name << " has width " << actual << " but " << what
                         << " = " << expected;
  };
  auto cacheWidth = [](Value cache) {
    return cast<MemRefType>(cache.getType()).getDimSize(2);
  };
  if (failed(verifyWindow(*this, getWindow(), getCausal())))
    return failure();
  return failure(
      failed(check("q", dimOf(getQ(), 1), qWidth, "num_heads * head_dim")) ||
      failed(
          check("k", dimOf(getK(), 1), kvWidth, "num_kv_heads * head_dim")) ||
      failed(
          check("v", dimOf(getV(), 1), kvWidth, "num_kv_heads * head_dim")) ||
      failed(check("key_cache", cacheWidth(getKeyCache()), kvWidth,
                   "num_kv_heads * head_dim")) ||
      failed(check("value_cache", cacheWidth(getValueCache()), kvWidth,
                   "num_kv_heads * head_dim")));
}

//===----------------------------------------------------------------------===//
// MoEOp
//===----------------------------------------------------------------------===//

LogicalResult MoEOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getX(), inferred);
}

LogicalResult MoEOp::verify() {
  auto experts = int64_t(getExperts());
  if (int64_t(getTopK()) > experts)
    return emitOpError() << "top_k " << getTopK() << " exceeds the " << experts
                         << " experts";
  int64_t width = dimOf(getX(), 1);
  if (failed(verifyProjection(*this, "router", getRouter(), experts,
                              "experts = {0}", width, "x has width {0}")))
    return failure();
  int64_t rows = dimOf(getWGate(), 0);
  if (!ShapedType::isDynamic(rows) && rows % experts != 0)
    return emitOpError() << "w_gate has " << rows
                         << " rows, not a multiple of the " << experts
                         << " experts";
  int64_t hidden = ShapedType::isDynamic(rows) ? rows : rows / experts;
  if (failed(verifyProjection(*this, "w_gate", getWGate(), ShapedType::kDynamic,
                              "", width, "x has width {0}")) ||
      failed(verifyProjection(*this, "w_up", getWUp(), rows,
                              "w_gate has {0} rows", width,
                              "x has width {0}")) ||
      failed(verifyProjection(
          *this, "w_down", getWDown(),
          ShapedType::isDynamic(width) ? width : experts * width,
          "experts * width = {0}", hidden, "the experts' hidden size {0}")))
    return failure();
  if (getSharedGate() && !getShared())
    return emitOpError("shared_gate scales a shared expert's output: give "
                       "shared too");
  if (Value shared = getShared())
    if (conflicts(dimOf(shared, 1), width) ||
        conflicts(dimOf(shared, 0), dimOf(getX(), 0)))
      return emitOpError() << "shared must be [seq, " << width << "] as x, got "
                           << shared.getType();
  if (Value gate = getSharedGate())
    if (failed(verifyProjection(*this, "shared_gate", gate, 1, "one row ({0})",
                                width, "x has width {0}")))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// MLPOp / GatedMLPOp
//===----------------------------------------------------------------------===//

LogicalResult MLPOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return inferActivation(loc, adaptor.getX(), dimOf(adaptor.getWDown(), 0),
                         inferred);
}

LogicalResult MLPOp::verify() {
  int64_t hidden = dimOf(getWUp(), 0);
  if (failed(verifyProjection(*this, "w_up", getWUp(), ShapedType::kDynamic, "",
                              dimOf(getX(), 1), "x has width {0}")) ||
      failed(verifyProjection(*this, "w_down", getWDown(), ShapedType::kDynamic,
                              "", hidden, "w_up has {0} rows")))
    return failure();
  return failure(
      failed(verifyBiasLength(*this, "b_up", getBUp(), hidden,
                              "w_up has {0} rows")) ||
      failed(verifyBiasLength(*this, "b_down", getBDown(), dimOf(getWDown(), 0),
                              "w_down has {0} rows")));
}

LogicalResult GatedMLPOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  return inferActivation(loc, adaptor.getX(), dimOf(adaptor.getWDown(), 0),
                         inferred);
}

LogicalResult GatedMLPOp::verify() {
  int64_t in = dimOf(getX(), 1);
  int64_t hidden = dimOf(getWUp(), 0);
  if (failed(verifyProjection(*this, "w_up", getWUp(), ShapedType::kDynamic, "",
                              in, "x has width {0}")) ||
      failed(verifyProjection(*this, "w_gate", getWGate(), hidden,
                              "w_up has {0} rows", in, "x has width {0}")) ||
      failed(verifyProjection(*this, "w_down", getWDown(), ShapedType::kDynamic,
                              "", hidden, "w_up has {0} rows")))
    return failure();
  return failure(
      failed(verifyBiasLength(*this, "b_gate", getBGate(), hidden,
                              "w_up has {0} rows")) ||
      failed(verifyBiasLength(*this, "b_up", getBUp(), hidden,
                              "w_up has {0} rows")) ||
      failed(verifyBiasLength(*this, "b_down", getBDown(), dimOf(getWDown(), 0),
                              "w_down has {0} rows")));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult ActivationOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getX(), inferred);
}

FailureOr<SmallVector<int64_t>>
loom::detail::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> shape(rank);
  auto at = [&](ArrayRef<int64_t> dims, size_t i) -> int64_t {
    size_t missing = rank - dims.size();
    return i < missing ? 1 : dims[i - missing];
  };
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = at(lhs, i), b = at(rhs, i);
    if (a == 1 || (ShapedType::isDynamic(a) && b != 1))
      shape[i] = b;
    else if (b == 1 || ShapedType::isDynamic(b) || a == b)
      shape[i] = a;
    else
      return failure();
  }
  return shape;
}

/// The broadcast of `lhs` and `rhs`; `lhs`'s type when they do not
/// broadcast (the verifier reports it).
static LogicalResult inferBinary(std::optional<Location> loc, Value lhs,
                                 Value rhs, SmallVectorImpl<Type> &inferred) {
  auto lhsType =
      dyn_cast_or_null<RankedTensorType>(lhs ? lhs.getType() : Type());
  if (!lhsType)
    return emitOptionalError(loc, "expects a ranked tensor lhs");
  auto rhsType =
      dyn_cast_or_null<RankedTensorType>(rhs ? rhs.getType() : Type());
  FailureOr<SmallVector<int64_t>> shape = failure();
  if (rhsType)
    shape =
        loom::detail::broadcastShapes(lhsType.getShape(), rhsType.getShape());
  if (failed(shape)) {
    inferred.push_back(lhsType);
    return success();
  }
  inferred.push_back(RankedTensorType::get(*shape, lhsType.getElementType()));
  return success();
}

/// `lhs` and `rhs` have one element type and broadcast.
static LogicalResult verifyBinary(Operation *op, Value lhs, Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  if (lhsType.getElementType() != rhsType.getElementType())
    return op->emitOpError()
           << "element types differ: " << lhsType.getElementType() << " vs "
           << rhsType.getElementType();
  if (failed(loom::detail::broadcastShapes(lhsType.getShape(),
                                           rhsType.getShape())))
    return op->emitOpError()
           << "shapes " << lhsType << " and " << rhsType << " do not broadcast";
  return success();
}

#define LOOM_BINARY_OP(Op)                                                     \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &inferred) {                                       \
    return inferBinary(loc, adaptor.getLhs(), adaptor.getRhs(), inferred);     \
  }                                                                            \
  LogicalResult Op::verify() { return verifyBinary(*this, getLhs(), getRhs()); }
LOOM_BINARY_OP(AddOp)
LOOM_BINARY_OP(SubOp)
LOOM_BINARY_OP(MulOp)
LOOM_BINARY_OP(DivOp)
LOOM_BINARY_OP(MaxOp)
LOOM_BINARY_OP(MinOp)
LOOM_BINARY_OP(PowOp)
#undef LOOM_BINARY_OP

LogicalResult UnaryOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getX(), inferred);
}

/// `x`'s shape with the last dimension 1.
static RankedTensorType reducedType(RankedTensorType type) {
  SmallVector<int64_t> shape(type.getShape());
  if (!shape.empty())
    shape.back() = 1;
  return RankedTensorType::get(shape, type.getElementType());
}

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast_or_null<RankedTensorType>(adaptor.getX().getType());
  if (!type)
    return emitOptionalError(loc, "expects a ranked tensor");
  inferred.push_back(reducedType(type));
  return success();
}

LogicalResult ReduceOp::verify() {
  auto type = cast<RankedTensorType>(getX().getType());
  if (type.getRank() == 0)
    return emitOpError("needs a dimension to reduce, but the input is a "
                       "scalar");
  if (type.isDynamicDim(type.getRank() - 1))
    return emitOpError() << "the reduced (last) dimension must be static, got "
                         << type;
  return success();
}

//===----------------------------------------------------------------------===//
// CumSumOp / PositionsOp / LinearAttendOp
//===----------------------------------------------------------------------===//

/// Checks that `state` and `pos` of a sequence op with a running state are
/// given together, and that `state`'s shape is `expected`.
static LogicalResult verifyRunningState(Operation *op, Value state, Value pos,
                                        ArrayRef<int64_t> expected) {
  if (bool(state) != bool(pos))
    return op->emitOpError("takes a state and a position together");
  if (!state)
    return success();
  auto type = cast<MemRefType>(state.getType());
  if (type.getRank() != int64_t(expected.size()))
    return op->emitOpError()
           << "state must have rank " << expected.size() << ", got " << type;
  for (auto [actual, want] : llvm::zip(type.getShape(), expected))
    if (ShapedType::isDynamic(actual) || conflicts(actual, want))
      return op->emitOpError()
             << "state must have the static shape ["
             << llvm::make_range(expected.begin(), expected.end()) << "], got "
             << type;
  return success();
}

LogicalResult CumSumOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getX(), inferred);
}

LogicalResult CumSumOp::verify() {
  auto type = cast<RankedTensorType>(getX().getType());
  if (type.getRank() == 0)
    return emitOpError("needs a sequence axis, but the input is a scalar");
  ArrayRef<int64_t> row = type.getShape().drop_front();
  if (llvm::any_of(row, ShapedType::isDynamic))
    return emitOpError() << "all but the sequence dimension must be static, "
                            "got "
                         << type;
  return verifyRunningState(*this, getState(), getPos(), row);
}

LogicalResult PositionsOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto like = dyn_cast_or_null<RankedTensorType>(adaptor.getLike().getType());
  if (!like || like.getRank() == 0)
    return emitOptionalError(loc, "expects a tensor with a sequence axis");
  inferred.push_back(
      RankedTensorType::get({like.getDimSize(0), 1}, Float32Type::get(ctx)));
  return success();
}

int64_t LinearAttendOp::getValueDim() {
  int64_t width = dimOf(getV(), 1);
  auto kvHeads = static_cast<int64_t>(getNumKvHeads());
  return ShapedType::isDynamic(width) ? width : width / kvHeads;
}

LogicalResult
LinearAttendOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                 Adaptor adaptor,
                                 SmallVectorImpl<Type> &inferred) {
  int64_t width = dimOf(adaptor.getV(), 1);
  auto heads = static_cast<int64_t>(adaptor.getNumHeads());
  auto kvHeads = static_cast<int64_t>(adaptor.getNumKvHeads());
  if (!ShapedType::isDynamic(width))
    width = width / kvHeads * heads;
  return inferActivation(loc, adaptor.getQ(), width, inferred);
}

LogicalResult LinearAttendOp::verify() {
  auto heads = static_cast<int64_t>(getNumHeads());
  auto kvHeads = static_cast<int64_t>(getNumKvHeads());
  auto headDim = static_cast<int64_t>(getHeadDim());
  if (heads % kvHeads != 0)
    return emitOpError() << "num_heads (" << heads
                         << ") must be a multiple of num_kv_heads (" << kvHeads
                         << ")";
  auto check = [&](StringRef name, Value value,
                   int64_t expected) -> LogicalResult {
    if (conflicts(dimOf(value, 0), dimOf(getQ(), 0)))
      return emitOpError() << name << " has " << dimOf(value, 0)
                           << " rows but q has " << dimOf(getQ(), 0);
    if (!conflicts(dimOf(value, 1), expected))
      return success();
    return emitOpError() << name << " has width " << dimOf(value, 1)
                         << " but expected " << expected;
  };
  int64_t vWidth = dimOf(getV(), 1);
  if (ShapedType::isDynamic(vWidth) || vWidth % kvHeads != 0)
    return emitOpError() << "v must have a static width that is a multiple "
                            "of num_kv_heads ("
                         << kvHeads << "), got " << getV().getType();
  if (failed(check("q", getQ(), heads * headDim)) ||
      failed(check("k", getK(), kvHeads * headDim)) ||
      failed(check("v", getV(), vWidth)))
    return failure();
  return verifyRunningState(*this, getState(), getPos(),
                            {kvHeads, headDim, getValueDim()});
}

//===----------------------------------------------------------------------===//
// TopKOp / GatherOp
//===----------------------------------------------------------------------===//

/// `type` with the last dimension `size`.
static RankedTensorType withLastDim(RankedTensorType type, int64_t size) {
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = size;
  return RankedTensorType::get(shape, type.getElementType());
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast_or_null<RankedTensorType>(adaptor.getX().getType());
  if (!type || type.getRank() == 0)
    return emitOptionalError(loc, "expects a tensor with a dimension");
  auto result = withLastDim(type, static_cast<int64_t>(adaptor.getK()));
  inferred.append({result, result});
  return success();
}

LogicalResult TopKOp::verify() {
  auto type = cast<RankedTensorType>(getX().getType());
  if (type.getRank() == 0)
    return emitOpError("needs a dimension to select from, but the input is a "
                       "scalar");
  int64_t n = type.getShape().back();
  auto k = static_cast<int64_t>(getK());
  if (ShapedType::isDynamic(n) || n > 4096)
    return emitOpError() << "the last dimension must be static and at most "
                            "4096, got "
                         << type;
  if (k > n)
    return emitOpError() << "k = " << k << " exceeds the " << n
                         << " elements of the last dimension";
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto x = dyn_cast_or_null<RankedTensorType>(adaptor.getX().getType());
  auto indices =
      dyn_cast_or_null<RankedTensorType>(adaptor.getIndices().getType());
  if (!x || !indices || x.getRank() == 0 || indices.getRank() != x.getRank())
    return emitOptionalError(loc, "expects x and indices of one rank");
  inferred.push_back(withLastDim(x, indices.getShape().back()));
  return success();
}

LogicalResult GatherOp::verify() {
  auto x = cast<RankedTensorType>(getX().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  if (x.getRank() != indices.getRank() || x.getRank() == 0)
    return emitOpError() << "x " << x << " and indices " << indices
                         << " must have one rank (at least 1)";
  for (int64_t i = 0, e = x.getRank() - 1; i < e; ++i)
    if (conflicts(x.getDimSize(i), indices.getDimSize(i)))
      return emitOpError() << "x " << x << " and indices " << indices
                           << " differ in dimension " << i;
  if (x.isDynamicDim(x.getRank() - 1))
    return emitOpError() << "the last dimension of x must be static, got " << x;
  return success();
}

LogicalResult ScaleOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  return inferSameAs(loc, adaptor.getX(), inferred);
}

OpFoldResult ScaleOp::fold(FoldAdaptor) {
  // A scale by one that carries a derived weight's name (`loom.derived_name`)
  // stays: it names a weight read as it is (`--loom-loopify{prefix}`).
  if (getFactor().convertToDouble() == 1.0 && getX().getType() == getType() &&
      !(*this)->hasAttr("loom.derived_name"))
    return getX();
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType type = rankedOf(adaptor.getInput(), 2);
  if (!type)
    return emitOptionalError(loc, "expects a 2-D tensor");
  inferred.push_back(RankedTensorType::get(
      {type.getDimSize(1), type.getDimSize(0)}, type.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  auto inner = getInput().getDefiningOp<TransposeOp>();
  if (inner && inner.getInput().getType() == getType())
    return inner.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// ConvertOp
//===----------------------------------------------------------------------===//

LogicalResult ConvertOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (input.getShape() != result.getShape())
    return emitOpError() << "changes the shape from " << input << " to "
                         << result << "; it converts elements only";
  Type from = input.getElementType(), to = result.getElementType();
  if (from != to && from.getIntOrFloatBitWidth() == to.getIntOrFloatBitWidth())
    return emitOpError() << "converts between " << from << " and " << to
                         << ", of the same width; convert through f32";
  return success();
}

OpFoldResult ConvertOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "expects at least one input");
  auto first = dyn_cast<RankedTensorType>(inputs.front().getType());
  if (!first)
    return emitOptionalError(loc, "expects ranked tensor inputs");
  auto axis = static_cast<int64_t>(adaptor.getAxis());
  bool consistent = axis < first.getRank();
  for (Value input : inputs) {
    auto type = dyn_cast<RankedTensorType>(input.getType());
    consistent &= type && type.getRank() == first.getRank();
  }
  if (!consistent) {
    inferred.push_back(unknownShape(first));
    return success();
  }
  SmallVector<int64_t> shape(first.getRank(), ShapedType::kDynamic);
  int64_t total = 0;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
      int64_t extent = type.getDimSize(d);
      if (d == axis)
        total = (ShapedType::isDynamic(total) || ShapedType::isDynamic(extent))
                    ? ShapedType::kDynamic
                    : total + extent;
      else if (ShapedType::isDynamic(shape[d]))
        shape[d] = extent;
    }
  }
  shape[axis] = total;
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("expects at least one input");
  auto first = cast<RankedTensorType>(getInputs().front().getType());
  auto axis = static_cast<int64_t>(getAxis());
  if (axis >= first.getRank())
    return emitOpError() << "axis " << axis << " is out of range for rank-"
                         << first.getRank() << " inputs";
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getElementType() != first.getElementType())
      return emitOpError() << "input #" << i << " has element type "
                           << type.getElementType() << " but input #0 has "
                           << first.getElementType();
    if (type.getRank() != first.getRank())
      return emitOpError() << "input #" << i << " has rank " << type.getRank()
                           << " but input #0 has rank " << first.getRank();
    for (int64_t d = 0, e = type.getRank(); d < e; ++d)
      if (d != axis && conflicts(type.getDimSize(d), first.getDimSize(d)))
        return emitOpError() << "input #" << i << " has size "
                             << type.getDimSize(d) << " in dimension " << d
                             << " but input #0 has " << first.getDimSize(d);
  }
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  // concat(split(x)) along the same axis, every piece in order: x.
  auto split = getInputs().front().getDefiningOp<SplitOp>();
  if (!split || split.getAxis() != getAxis() ||
      split.getInput().getType() != getType() ||
      split.getNumResults() != getInputs().size())
    return {};
  for (auto [input, piece] : llvm::zip_equal(getInputs(), split.getResults()))
    if (input != piece)
      return {};
  return split.getInput();
}

//===----------------------------------------------------------------------===//
// GluOp
//===----------------------------------------------------------------------===//

LogicalResult GluOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  int64_t width = dimOf(adaptor.getX(), 1);
  return inferActivation(loc, adaptor.getX(),
                         ShapedType::isDynamic(width) ? width : width / 2,
                         inferred);
}

LogicalResult GluOp::verify() {
  int64_t width = dimOf(getX(), 1);
  if (!ShapedType::isDynamic(width) && width % 2 != 0)
    return emitOpError() << "x has odd width " << width
                         << "; it must hold a gate and a value half";
  return success();
}

//===----------------------------------------------------------------------===//
// SplitOp
//===----------------------------------------------------------------------===//

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!type)
    return emitOptionalError(loc, "expects a ranked tensor input");
  auto axis = static_cast<int64_t>(adaptor.getAxis());
  for (int64_t size : adaptor.getSizes()) {
    if (axis >= type.getRank()) {
      inferred.push_back(unknownShape(type));
      continue;
    }
    SmallVector<int64_t> shape(type.getShape());
    shape[axis] = size >= 0 ? size : ShapedType::kDynamic;
    inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  }
  return success();
}

LogicalResult SplitOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  auto axis = static_cast<int64_t>(getAxis());
  if (axis >= type.getRank())
    return emitOpError() << "axis " << axis << " is out of range for a rank-"
                         << type.getRank() << " input";
  ArrayRef<int64_t> sizes = getSizes();
  if (sizes.empty())
    return emitOpError("expects at least one size");
  if (llvm::any_of(sizes, [](int64_t size) { return size <= 0; }))
    return emitOpError("sizes must be positive");
  int64_t sum = std::accumulate(sizes.begin(), sizes.end(), int64_t(0));
  if (conflicts(sum, type.getDimSize(axis)))
    return emitOpError() << "sizes sum to " << sum << " but the input has "
                         << type.getDimSize(axis) << " along axis " << axis;
  return success();
}

LogicalResult SplitOp::fold(FoldAdaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  if (getNumResults() == 1 && getInput().getType() == getResult(0).getType()) {
    results.push_back(getInput());
    return success();
  }
  auto concat = getInput().getDefiningOp<ConcatOp>();
  if (!concat || concat.getAxis() != getAxis() ||
      concat.getInputs().size() != getNumResults())
    return failure();
  for (auto [input, result] : llvm::zip_equal(concat.getInputs(), getResults()))
    if (input.getType() != result.getType())
      return failure();
  results.append(concat.getInputs().begin(), concat.getInputs().end());
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!type)
    return emitOptionalError(loc, "expects a ranked tensor input");
  auto axis = static_cast<int64_t>(adaptor.getAxis());
  if (axis >= type.getRank()) {
    inferred.push_back(unknownShape(type));
    return success();
  }
  SmallVector<int64_t> shape(type.getShape());
  auto size = static_cast<int64_t>(adaptor.getSize());
  shape[axis] = size > 0 ? size : ShapedType::kDynamic;
  inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult SliceOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  auto axis = static_cast<int64_t>(getAxis());
  if (axis >= type.getRank())
    return emitOpError() << "axis " << axis << " is out of range for a rank-"
                         << type.getRank() << " input";
  auto end = static_cast<int64_t>(getOffset() + getSize());
  int64_t extent = type.getDimSize(axis);
  if (!ShapedType::isDynamic(extent) && end > extent)
    return emitOpError() << "slice [" << getOffset() << ", " << end
                         << ") exceeds the extent " << extent << " of axis "
                         << axis;
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  auto type = cast<RankedTensorType>(getInput().getType());
  auto axis = static_cast<int64_t>(getAxis());
  if (getOffset() == 0 && axis < type.getRank() &&
      static_cast<int64_t>(getSize()) == type.getDimSize(axis) &&
      type == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// LoopOp
//===----------------------------------------------------------------------===//

void LoopOp::build(
    OpBuilder &builder, OperationState &state, int64_t tripCount,
    ValueRange inits,
    function_ref<void(OpBuilder &, Location, Value, ValueRange)> bodyBuilder) {
  state.addOperands(inits);
  state.getOrAddProperties<Properties>().trip_count =
      builder.getI64IntegerAttr(tripCount);
  state.addTypes(inits.getTypes());
  Region *region = state.addRegion();
  auto *body = new Block();
  region->push_back(body);
  body->addArgument(builder.getIndexType(), state.location);
  for (Value init : inits)
    body->addArgument(init.getType(), init.getLoc());
  if (!bodyBuilder)
    return;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(body);
  bodyBuilder(builder, state.location, body->getArgument(0),
              body->getArguments().drop_front());
}

ParseResult LoopOp::parse(OpAsmParser &parser, OperationState &result) {
  int64_t tripCount = 0;
  OpAsmParser::Argument index;
  if (parser.parseInteger(tripCount) || parser.parseKeyword("times") ||
      parser.parseLParen() || parser.parseArgument(index) ||
      parser.parseRParen())
    return failure();
  index.type = parser.getBuilder().getIndexType();

  SmallVector<OpAsmParser::Argument> iterArgs;
  SmallVector<OpAsmParser::UnresolvedOperand> inits;
  SmallVector<Type> types;
  SMLoc initsLoc = parser.getCurrentLocation();
  if (parser.parseKeyword("iter_args") ||
      parser.parseAssignmentList(iterArgs, inits))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("exit"))) {
    StringRef keyword;
    SMLoc ruleLoc = parser.getCurrentLocation();
    double threshold = 0;
    if (parser.parseKeyword(&keyword))
      return failure();
    std::optional<ExitRule> rule = symbolizeExitRule(keyword);
    if (!rule)
      return parser.emitError(ruleLoc)
             << "expected an exit rule (gate or converge), got '" << keyword
             << "'";
    if (parser.parseKeyword("threshold") || parser.parseEqual() ||
        parser.parseFloat(threshold))
      return failure();
    MLIRContext *ctx = parser.getContext();
    result.addAttribute(getExitRuleAttrName(result.name),
                        ExitRuleAttr::get(ctx, *rule));
    result.addAttribute(getExitThresholdAttrName(result.name),
                        parser.getBuilder().getF64FloatAttr(threshold));
  }
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseColonTypeList(types))
    return failure();
  if (types.size() != iterArgs.size())
    return parser.emitError(initsLoc)
           << "expected " << iterArgs.size() << " types, got " << types.size();
  if (parser.resolveOperands(inits, types, initsLoc, result.operands))
    return failure();

  SmallVector<OpAsmParser::Argument> args{index};
  for (auto [arg, type] : llvm::zip_equal(iterArgs, types)) {
    arg.type = type;
    args.push_back(arg);
  }
  result.addTypes(types);
  result.addAttribute(getTripCountAttrName(result.name),
                      parser.getBuilder().getI64IntegerAttr(tripCount));
  return parser.parseRegion(*result.addRegion(), args);
}

void LoopOp::print(OpAsmPrinter &printer) {
  printer << ' ' << getTripCountAttr().getInt() << " times(";
  printer.printOperand(getIterationIndex());
  printer << ") iter_args(";
  llvm::interleaveComma(llvm::zip_equal(getRegionIterArgs(), getInits()),
                        printer, [&](auto pair) {
                          printer << std::get<0>(pair) << " = "
                                  << std::get<1>(pair);
                        });
  printer << ")";
  if (std::optional<ExitRule> rule = getExitRule()) {
    printer << " exit " << stringifyExitRule(*rule) << " threshold = ";
    printer.printFloat(getExitThresholdAttr().getValue());
  }
  printer.printOptionalAttrDict((*this)->getAttrs(),
                                {getTripCountAttrName(), getExitRuleAttrName(),
                                 getExitThresholdAttrName()});
  printer << " : ";
  llvm::interleaveComma(getResultTypes(), printer);
  printer << ' ';
  printer.printRegion(getRegion(), /*printEntryBlockArgs=*/false,
                      /*printBlockTerminators=*/true);
}

LogicalResult LoopOp::verify() {
  int64_t tripCount = getTripCountAttr().getInt();
  if (tripCount <= 0)
    return emitOpError() << "trip_count must be positive, got " << tripCount;
  if (getInits().empty())
    return emitOpError("expects at least one iter_arg");
  if (getNumResults() != getInits().size())
    return emitOpError() << "has " << getInits().size() << " iter_args but "
                         << getNumResults() << " results";
  if (getExitRule().has_value() != getExitThreshold().has_value())
    return emitOpError("an adaptive loop needs both an exit rule and a "
                       "threshold");
  if (std::optional<APFloat> threshold = getExitThreshold()) {
    double value = threshold->convertToDouble();
    if (!(value > 0 && value <= 1))
      return emitOpError() << "exit threshold must be in (0, 1], got " << value;
    if (getInits().size() != 1)
      return emitOpError() << "an adaptive loop carries one value (the "
                              "tokens' rows), got "
                           << getInits().size();
    auto first = dyn_cast<RankedTensorType>(getInits()[0].getType());
    if (!first || first.getRank() != 2 || !first.getElementType().isFloat())
      return emitOpError() << "an adaptive loop's first iter_arg must be a "
                              "[seq, width] activation, got "
                           << getInits()[0].getType();
  }
  Block &body = *getBody();
  if (body.getNumArguments() != getInits().size() + 1)
    return emitOpError() << "body expects " << getInits().size() + 1
                         << " arguments (the index and the iter_args), got "
                         << body.getNumArguments();
  if (!body.getArgument(0).getType().isIndex())
    return emitOpError() << "the first body argument (the iteration index) "
                            "must be index, got "
                         << body.getArgument(0).getType();
  for (auto [i, init] : llvm::enumerate(getInits())) {
    Type argType = body.getArgument(i + 1).getType();
    if (argType != init.getType())
      return emitOpError() << "iter_arg #" << i << " has type " << argType
                           << " but its init has type " << init.getType();
    if (getResult(i).getType() != init.getType())
      return emitOpError() << "result #" << i << " has type "
                           << getResult(i).getType()
                           << " but its init has type " << init.getType();
  }
  return success();
}

LogicalResult LoopOp::verifyRegions() {
  Block &body = *getBody();
  auto yield = body.empty() ? YieldOp() : dyn_cast<YieldOp>(body.back());
  if (!yield)
    return emitOpError("body must end with loom.yield");
  // A gated loop's body yields the exit gate's logits after the iter_args.
  bool gated = getExitRule() == ExitRule::Gate;
  size_t expected = getInits().size() + (gated ? 1 : 0);
  if (yield.getValues().size() != expected)
    return emitOpError() << "body yields " << yield.getValues().size()
                         << " values but the loop has " << getInits().size()
                         << " iter_args"
                         << (gated ? " and an exit gate's logits" : "");
  if (gated) {
    auto logits =
        dyn_cast<RankedTensorType>(yield.getValues().back().getType());
    auto first = cast<RankedTensorType>(getInits()[0].getType());
    if (!logits || logits.getRank() != 2 || logits.getDimSize(1) != 1 ||
        logits.getElementType() != first.getElementType() ||
        logits.getDimSize(0) != first.getDimSize(0))
      return emitOpError() << "the exit gate's logits must be [seq, 1] of "
                              "the first iter_arg's rows and type, got "
                           << yield.getValues().back().getType();
  }
  for (auto [i, pair] : llvm::enumerate(llvm::zip_equal(
           yield.getValues().take_front(getInits().size()), getInits()))) {
    auto [yielded, init] = pair;
    if (yielded.getType() != init.getType())
      return emitOpError() << "yielded value #" << i << " has type "
                           << yielded.getType() << " but iter_arg #" << i
                           << " has type " << init.getType();
  }
  return success();
}

namespace {
/// A loop that runs once is its body, with the index replaced by 0.
struct InlineSingleTripLoop : OpRewritePattern<LoopOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LoopOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTripCountAttr().getInt() != 1 || op.isAdaptive())
      return failure();
    Block *body = op.getBodyBlock();
    auto yield = cast<YieldOp>(body->getTerminator());
    SmallVector<Value> args{
        arith::ConstantIndexOp::create(rewriter, op.getLoc(), 0)};
    llvm::append_range(args, op.getInits());
    rewriter.inlineBlockBefore(body, op, args);
    SmallVector<Value> results(yield.getValues());
    rewriter.replaceOp(op, results);
    rewriter.eraseOp(yield);
    return success();
  }
};
} // namespace

void LoopOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<InlineSingleTripLoop>(context);
}
