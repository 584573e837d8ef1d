//===- QuantizeWeights.cpp - Block-quantize the weights of products -------===//
//
// Implements --loom-quantize-weights. A selected `loom.linear` reads its
// weight through `loom.quantize` and carries the format, so the runtime's
// integer kernels read the quantized bytes; `--loom-derive-weights` then
// computes each quantization once at load.
//
// Products are selected by kind and by the checkpoint names of the weights
// they read (ProductSelection.h). A block is one function called once per
// layer, so a product inside it is quantized in every layer or in none: the
// names it reads in each call must lead to the same choice.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/IR/QuantFormat.h"
#include "dialects/Loom/Transforms/Passes.h"
#include "dialects/Loom/Transforms/ProductSelection.h"
#include "dialects/Loom/Transforms/SpecializeBlocks.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"

namespace loom {
#define GEN_PASS_DEF_LOOMQUANTIZEWEIGHTS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// How a product is quantized: its weights' format and how its inputs are
/// rounded.
struct ProductQuantization {
  QuantFormat format;
  QuantInputs inputs;
  bool operator==(const ProductQuantization &other) const {
    return format == other.format && inputs == other.inputs;
  }
};

/// `--loom-quantize-weights`'s `overrides`: products whose weights' names
/// match `pattern` are quantized in `format` instead, their inputs rounded
/// as `inputs` says where the override says (`PATTERN=FORMAT:bf16`), else as
/// the build's are.
struct FormatOverride {
  llvm::Regex pattern;
  std::string text;
  QuantFormat format;
  std::optional<QuantInputs> inputs;
};

class WeightQuantizer {
public:
  WeightQuantizer(ModuleOp module, ProductSelection selection,
                  QuantFormat format, ArrayRef<FormatOverride> overrides,
                  bool useImportance, bool useCovariance, QuantInputs inputs)
      : module(module), selection(std::move(selection)), format(format),
        useImportance(useImportance), useCovariance(useCovariance),
        inputs(inputs), overrides(overrides),
        overrideMatched(overrides.size(), false) {}

  LogicalResult run();

private:
  /// The quantization of `op`, which reads the names of `calls` (one list
  /// per call of its block), recording the overrides that chose it; an
  /// error at `op` if the calls would be quantized differently.
  FailureOr<ProductQuantization>
  agreedQuantization(Operation *op, ArrayRef<SmallVector<std::string>> calls);
  /// The bytes of `matrix` (static f32 [rows, k], read by `op` under
  /// `names`) in `format`; Q4_K becomes Q4_1 where the rows are not whole
  /// super-blocks (counted for the remark). An error at `op` naming `what`
  /// (and the rows' `unit`) if it cannot be quantized.
  FailureOr<RankedTensorType> bytesTypeFor(Operation *op, Value matrix,
                                           QuantFormat &format,
                                           ArrayRef<std::string> names,
                                           StringRef what, StringRef unit);
  /// Quantizes the selected token embedding tables (rounded to nearest: the
  /// calibration has no statistics of a table's rows).
  LogicalResult quantizeEmbeddings();
  /// Gives a block whose calls would quantize its products differently
  /// (patterns or overrides that pick some layers) a copy per way.
  void specializeBlocks();
  /// Rewrites the layers that hide products (attention, MLPs) into
  /// `loom.linear`s; a gated MLP that cannot be stays (with a warning).
  void exposeProducts();
  /// The quantization of a selected product reading `names`: the first
  /// override that matches one of them, else `format` and `inputs`.
  ProductQuantization quantizationFor(ArrayRef<std::string> names, bool record);

  ModuleOp module;
  ProductSelection selection;
  QuantFormat format;
  bool useImportance;
  /// Whether to round with error feedback from NAME.covariance (GPTQ).
  bool useCovariance;
  /// The `inputs` of the quantized products no override sets (int8 is
  /// left unwritten).
  QuantInputs inputs;
  ArrayRef<FormatOverride> overrides;
  /// Which overrides chose the format of a quantized weight.
  SmallVector<bool> overrideMatched;
  /// Matrices (products' weights and embedding tables) quantized in q4_1
  /// because their rows do not fit q4_k, and the first one's name and row
  /// length.
  int64_t fallbacks = 0;
  std::pair<std::string, int64_t> firstFallback;
};

} // namespace

void WeightQuantizer::exposeProducts() {
  SmallVector<Operation *> layers;
  module.walk([&](Operation *op) {
    if (isa<AttentionOp, MLPOp, GatedMLPOp>(op))
      layers.push_back(op);
  });
  for (Operation *op : layers) {
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      decomposeAttention(attention);
      continue;
    }
    if (auto gated = dyn_cast<GatedMLPOp>(op)) {
      if (!fuseGateUp(gated))
        gated.emitWarning("this gated MLP's products are not quantized: "
                          "they could not be rewritten as linear layers");
      continue;
    }
    splitMLP(cast<MLPOp>(op));
  }
}

ProductQuantization
WeightQuantizer::quantizationFor(ArrayRef<std::string> names, bool record) {
  for (auto [index, override] : llvm::enumerate(overrides))
    for (const std::string &name : names)
      if (override.pattern.match(name)) {
        if (record)
          overrideMatched[index] = true;
        return {override.format, override.inputs.value_or(inputs)};
      }
  return {format, inputs};
}

/// `q8_0`, or `q8_0 with bf16 inputs`.
static std::string describe(ProductQuantization quantization) {
  std::string text = stringifyQuantFormat(quantization.format).str();
  if (quantization.inputs != QuantInputs::Int8)
    text += (" with " + stringifyQuantInputs(quantization.inputs) + " inputs")
                .str();
  return text;
}

void WeightQuantizer::specializeBlocks() {
  ModuleOp root = module;
  SymbolTable &symbols = selection.getSymbols();
  auto signature = [&](func::FuncOp block,
                       func::CallOp call) -> std::optional<std::string> {
    std::string key;
    WalkResult walked = block.walk([&](LinearOp linear) {
      if (linear.getFormat() || linear->getParentOfType<ParamOp>())
        return WalkResult::advance();
      std::optional<SmallVector<std::string>> names =
          namesInCall(linear.getW(), call, root, symbols);
      if (!names)
        return WalkResult::interrupt();
      key += selection.selectsNames(classifyProduct(linear), *names)
                 ? describe(quantizationFor(*names, /*record=*/false))
                 : "-";
      key += ";";
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      return std::nullopt;
    return key;
  };
  for (auto [block, clones] :
       loom::specializeBlocks(module, symbols, signature))
    emitRemark(block.getLoc(), "--loom-quantize-weights: this block's calls "
                               "quantize its products ")
        << clones + 1 << " ways: one copy of the block each";
}

LogicalResult WeightQuantizer::run() {
  exposeProducts();
  specializeBlocks();
  SmallVector<LinearOp> linears;
  module.walk([&](LinearOp linear) {
    if (!linear.getFormat() && !linear->getParentOfType<ParamOp>())
      linears.push_back(linear);
  });
  for (LinearOp linear : linears) {
    FailureOr<bool> selected = selection.selects(linear);
    if (failed(selected))
      return failure();
    if (!*selected)
      continue;
    SmallVector<SmallVector<std::string>> calls =
        namesPerCall(linear.getW(), module, selection.getSymbols());
    FailureOr<ProductQuantization> agreed = agreedQuantization(linear, calls);
    if (failed(agreed))
      return failure();
    ProductQuantization chosen = *agreed;
    QuantFormat format = chosen.format;
    FailureOr<RankedTensorType> bytesType =
        bytesTypeFor(linear, linear.getW(), format, calls.front(),
                     "product's weight", "weights");
    if (failed(bytesType))
      return failure();
    int64_t k = cast<RankedTensorType>(linear.getW().getType()).getDimSize(1);
    OpBuilder builder(linear);
    // A smoothed weight's statistics are its source's, of the input before
    // smoothing: the smoothed input x / s has mean squares importance / s^2
    // and covariance diag(1/s) H diag(1/s).
    SmoothScalesOp smoothing = getSmoothing(linear.getW());
    Value source = smoothing ? linear.getW().getDefiningOp()->getOperand(0)
                             : linear.getW();
    Value inverse;
    if (smoothing && (useImportance || useCovariance))
      inverse = SmoothScalesOp::create(
          builder, linear.getLoc(), smoothing.getW(), smoothing.getImportance(),
          smoothing.getAlpha().convertToDouble(), /*inverse=*/true);
    Value importance;
    if (useImportance) {
      FailureOr<Value> found =
          importanceFor(linear, source, k, module, selection.getSymbols());
      if (failed(found))
        return failure();
      importance = *found;
      builder.setInsertionPoint(linear);
      if (inverse)
        for (int i = 0; i < 2; ++i)
          importance =
              MulOp::create(builder, linear.getLoc(), importance, inverse);
    }
    Value covariance;
    if (useCovariance) {
      FailureOr<Value> found = calibrationFor(linear, source, "covariance", k,
                                              module, selection.getSymbols());
      if (failed(found))
        return failure();
      covariance = *found;
      builder.setInsertionPoint(linear);
      if (inverse) {
        // Scales H's columns, then (transposed: H is symmetric) its rows.
        Location loc = linear.getLoc();
        Value columns = MulOp::create(builder, loc, covariance, inverse);
        Value transposed = TransposeOp::create(builder, loc, columns);
        covariance = MulOp::create(builder, loc, transposed, inverse);
      }
    }
    Value quantized = QuantizeOp::create(
        builder, linear.getLoc(), *bytesType, linear.getW(), importance,
        covariance, QuantFormatAttr::get(module.getContext(), format));
    linear.getWMutable().assign(quantized);
    linear.setFormatAttr(QuantFormatAttr::get(module.getContext(), format));
    if (chosen.inputs != QuantInputs::Int8)
      linear.setInputsAttr(
          QuantInputsAttr::get(module.getContext(), chosen.inputs));
  }
  if (failed(quantizeEmbeddings()))
    return failure();
  if (fallbacks) {
    InFlightDiagnostic remark =
        module.emitRemark("--loom-quantize-weights: ")
        << fallbacks << (fallbacks == 1 ? " matrix" : " matrices")
        << " whose rows are not whole 256-weight q4_k super-blocks "
        << (fallbacks == 1 ? "is" : "are") << " quantized in q4_1 instead (";
    if (!firstFallback.first.empty())
      remark << "the first: '" << firstFallback.first << "', ";
    remark << "rows of " << firstFallback.second << ")";
  }
  selection.warnUnmatched();
  for (auto [index, matched] : llvm::enumerate(overrideMatched))
    if (!matched)
      module.emitWarning("--loom-quantize-weights: the override '")
          << overrides[index].text << "' matches no weight it quantizes";
  return success();
}

FailureOr<ProductQuantization>
WeightQuantizer::agreedQuantization(Operation *op,
                                    ArrayRef<SmallVector<std::string>> calls) {
  ProductQuantization chosen = quantizationFor(calls.front(), /*record=*/false);
  for (ArrayRef<std::string> names : calls.drop_front()) {
    ProductQuantization other = quantizationFor(names, /*record=*/false);
    if (other == chosen)
      continue;
    return op->emitError("the overrides quantize this product in ")
           << describe(chosen) << " when it reads '"
           << llvm::join(calls.front(), "', '") << "' but in "
           << describe(other) << " when it reads '" << llvm::join(names, "', '")
           << "'; a block called from another block quantizes its products "
              "alike in every call";
  }
  for (ArrayRef<std::string> names : calls)
    quantizationFor(names, /*record=*/true);
  return chosen;
}

FailureOr<RankedTensorType>
WeightQuantizer::bytesTypeFor(Operation *op, Value matrix, QuantFormat &format,
                              ArrayRef<std::string> names, StringRef what,
                              StringRef unit) {
  auto type = cast<RankedTensorType>(matrix.getType());
  int64_t rows = type.getDimSize(0), k = type.getDimSize(1);
  if (!type.getElementType().isF32() || ShapedType::isDynamic(rows) ||
      ShapedType::isDynamic(k))
    return op->emitError("only static f32 matrices can be quantized, got ")
           << type;
  // Q4_K's super-blocks need rows of 256: shorter or odd rows take the
  // affine 4-bit format of 32-weight blocks instead.
  if (format == QuantFormat::Q4_K && !getQuantRowBytes(format, k) &&
      getQuantRowBytes(QuantFormat::Q4_1, k)) {
    format = QuantFormat::Q4_1;
    if (fallbacks++ == 0)
      firstFallback = {llvm::join(names, "', '"), k};
  }
  std::optional<int64_t> rowBytes = getQuantRowBytes(format, k);
  if (!rowBytes)
    return op->emitError("cannot quantize this ")
           << what << " to " << stringifyQuantFormat(format)
           << ": its rows have " << k << " " << unit
           << ", not a multiple of the group size "
           << getQuantBlockSize(format);
  return RankedTensorType::get({rows, *rowBytes},
                               IntegerType::get(op->getContext(), 8));
}

LogicalResult WeightQuantizer::quantizeEmbeddings() {
  SmallVector<EmbeddingOp> embeddings;
  module.walk([&](EmbeddingOp op) {
    if (!op.getFormat() && !op->getParentOfType<ParamOp>())
      embeddings.push_back(op);
  });
  for (EmbeddingOp op : embeddings) {
    FailureOr<bool> selected =
        selection.selects(op, ProductKind::Embedding, op.getTable());
    if (failed(selected))
      return failure();
    if (!*selected)
      continue;
    SmallVector<SmallVector<std::string>> calls =
        namesPerCall(op.getTable(), module, selection.getSymbols());
    FailureOr<ProductQuantization> agreed = agreedQuantization(op, calls);
    if (failed(agreed))
      return failure();
    QuantFormat format = agreed->format;
    FailureOr<RankedTensorType> bytesType = bytesTypeFor(
        op, op.getTable(), format, calls.front(), "embedding table", "values");
    if (failed(bytesType))
      return failure();
    OpBuilder builder(op);
    Value quantized = QuantizeOp::create(
        builder, op.getLoc(), *bytesType, op.getTable(), Value(), Value(),
        QuantFormatAttr::get(module.getContext(), format));
    op.getTableMutable().assign(quantized);
    op.setFormatAttr(QuantFormatAttr::get(module.getContext(), format));
  }
  return success();
}

namespace {
struct LoomQuantizeWeightsPass
    : loom::impl::LoomQuantizeWeightsBase<LoomQuantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<QuantFormat> parsed = symbolizeQuantFormat(format);
    if (!parsed) {
      module.emitError("--loom-quantize-weights: unknown format '")
          << format << "'; the formats are q8_0, q4_0, q4_1, q4_k and int8";
      return signalPassFailure();
    }
    FailureOr<ProductSelection> selection =
        ProductSelection::parse(module, "loom-quantize-weights", "quantize",
                                "quantized", layers, include, exclude,
                                /*embeddings=*/true);
    if (failed(selection))
      return signalPassFailure();
    SmallVector<FormatOverride> formatOverrides;
    for (const std::string &text : overrides) {
      size_t equals = text.rfind('=');
      StringRef spec = equals == std::string::npos
                           ? StringRef()
                           : StringRef(text).substr(equals + 1);
      auto [formatName, inputsName] = spec.split(':');
      std::optional<QuantFormat> chosen = symbolizeQuantFormat(formatName);
      std::optional<QuantInputs> rounding = symbolizeQuantInputs(inputsName);
      if (!chosen || (spec.contains(':') && !rounding)) {
        module.emitError("--loom-quantize-weights: bad override '")
            << text << "'; write PATTERN=FORMAT with a format of q8_0, q4_0, "
            << "q4_1, q4_k or int8, optionally with :int8, :int8x2 or :bf16 "
            << "for how its inputs are rounded";
        return signalPassFailure();
      }
      llvm::Regex pattern(StringRef(text).take_front(equals));
      std::string why;
      if (!pattern.isValid(why)) {
        module.emitError("--loom-quantize-weights: bad pattern in override '")
            << text << "': " << why;
        return signalPassFailure();
      }
      formatOverrides.push_back({std::move(pattern), text, *chosen, rounding});
    }
    std::optional<QuantInputs> rounding = symbolizeQuantInputs(inputs);
    if (!rounding) {
      module.emitError("--loom-quantize-weights: unknown inputs '")
          << inputs << "'; expected int8, int8x2 or bf16";
      return signalPassFailure();
    }
    if (failed(WeightQuantizer(module, std::move(*selection), *parsed,
                               formatOverrides, importance, covariance,
                               *rounding)
                   .run()))
      return signalPassFailure();
  }
};
} // namespace
