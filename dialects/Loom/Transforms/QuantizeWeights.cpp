//===- QuantizeWeights.cpp - Block-quantize the weights of products -------===//
//
// Implements --loom-quantize-weights. A selected `loom.linear` reads its
// weight through `loom.quantize` and carries the format, so the runtime's
// integer kernels read the quantized bytes; `--loom-derive-weights` then
// computes each quantization once at load.
//
// Products are selected by kind (found from the graph, not from names: a
// product that feeds attention or reads its output is an attention
// projection, one that feeds or reads an activation is a feed-forward one, a
// product the entry point returns is the head) and by the checkpoint names
// of the weights they read. A block is one function called once per layer,
// so a product inside it is quantized in every layer or in none: the names
// it reads in each call must lead to the same choice.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/IR/QuantFormat.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"

#include <functional>

namespace loom {
#define GEN_PASS_DEF_LOOMQUANTIZEWEIGHTS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// What a product computes in the model.
enum class ProductKind { Attention, Ffn, Head, Other };

/// The kinds' option spellings.
constexpr StringLiteral kKindNames[] = {"attention", "ffn", "head", "other"};

/// Views a value passes through on its way to attention or an activation.
bool isPassThrough(Operation *op) {
  return isa<SplitOp, SliceOp, RopeOp, TransposeOp>(op);
}

/// True if `value` reaches an op satisfying `isTarget` through views only.
bool reaches(Value value, function_ref<bool(Operation *)> isTarget) {
  SmallVector<Value> work = {value};
  llvm::SmallPtrSet<Operation *, 8> seen;
  while (!work.empty()) {
    Value next = work.pop_back_val();
    for (Operation *user : next.getUsers()) {
      if (isTarget(user))
        return true;
      if (isPassThrough(user) && seen.insert(user).second)
        llvm::append_range(work, user->getResults());
    }
  }
  return false;
}

bool isAttentionCore(Operation *op) {
  return isa<AttendOp, CachedAttentionOp>(op);
}

bool isActivation(Operation *op) { return isa<ActivationOp, GluOp>(op); }

ProductKind classify(LinearOp linear) {
  Value result = linear.getResult();
  for (Operation *user : result.getUsers()) {
    auto func = user->getParentOfType<func::FuncOp>();
    if (isa<func::ReturnOp>(user) && func && !func.isPrivate())
      return ProductKind::Head;
  }
  Operation *input = linear.getX().getDefiningOp();
  if (reaches(result, isAttentionCore) || (input && isAttentionCore(input)))
    return ProductKind::Attention;
  // An unfused gated MLP's down projection reads activation(gate) * up.
  if (reaches(result, isActivation) ||
      (input && (isActivation(input) ||
                 (isa<MulOp>(input) &&
                  llvm::any_of(input->getOperands(), [](Value operand) {
                    Operation *def = operand.getDefiningOp();
                    return def && isActivation(def);
                  })))))
    return ProductKind::Ffn;
  return ProductKind::Other;
}

/// `--loom-quantize-weights`'s `overrides`: products whose weights' names
/// match `pattern` are quantized in `format` instead.
struct FormatOverride {
  llvm::Regex pattern;
  std::string text;
  QuantFormat format;
};

class WeightQuantizer {
public:
  WeightQuantizer(ModuleOp module, QuantFormat format,
                  llvm::SmallBitVector kinds, ArrayRef<llvm::Regex> include,
                  ArrayRef<std::string> includeTexts,
                  ArrayRef<llvm::Regex> exclude,
                  ArrayRef<FormatOverride> overrides, bool useImportance)
      : module(module), symbols(module), format(format),
        useImportance(useImportance), kinds(std::move(kinds)), include(include),
        includeTexts(includeTexts), exclude(exclude), overrides(overrides),
        overrideMatched(overrides.size(), false),
        includeMatched(include.size(), false) {}

  LogicalResult run();

private:
  /// Rewrites the layers that hide products (attention, MLPs) into
  /// `loom.linear`s; a gated MLP that cannot be stays (with a warning).
  void exposeProducts();
  /// The checkpoint names `value` is computed from, once per way of calling
  /// its function (a block called per layer gives one list per layer).
  SmallVector<SmallVector<std::string>> namesPerCall(Value value);
  /// Whether the names of one call select the product.
  bool selects(ArrayRef<std::string> names, bool record);
  /// The format of a selected product reading `names`: the first override
  /// that matches one of them, else `format`.
  QuantFormat formatFor(ArrayRef<std::string> names, bool record);

  ModuleOp module;
  SymbolTable symbols;
  QuantFormat format;
  bool useImportance;
  llvm::SmallBitVector kinds;
  ArrayRef<llvm::Regex> include;
  /// The include patterns as written.
  ArrayRef<std::string> includeTexts;
  ArrayRef<llvm::Regex> exclude;
  ArrayRef<FormatOverride> overrides;
  /// Which overrides chose the format of a quantized weight.
  SmallVector<bool> overrideMatched;
  /// Which include patterns matched a quantized weight.
  SmallVector<bool> includeMatched;
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

SmallVector<SmallVector<std::string>>
WeightQuantizer::namesPerCall(Value value) {
  if (auto weight = value.getDefiningOp<WeightOp>()) {
    auto param =
        symbols.lookupNearestSymbolFrom<ParamOp>(weight, weight.getParamAttr());
    std::string name =
        param ? param.getCheckpointName().str() : weight.getParam().str();
    return {{name}};
  }
  if (auto argument = dyn_cast<BlockArgument>(value)) {
    auto func = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
    if (!func || !func.isPrivate())
      return {{}};
    // One list per call (and per call of each caller).
    SmallVector<SmallVector<std::string>> calls;
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(func, module);
    for (const SymbolTable::SymbolUse &use :
         uses ? *uses : SymbolTable::UseRange({})) {
      auto call = dyn_cast<func::CallOp>(use.getUser());
      if (!call || argument.getArgNumber() >= call.getNumOperands())
        continue;
      llvm::append_range(
          calls, namesPerCall(call.getOperand(argument.getArgNumber())));
    }
    if (calls.empty())
      calls.push_back({});
    return calls;
  }
  Operation *op = value.getDefiningOp();
  if (!op)
    return {{}};
  // A computation on weights: the names of each operand, call by call (the
  // operands of one op come from the same calls).
  SmallVector<SmallVector<std::string>> merged;
  for (Value operand : op->getOperands()) {
    SmallVector<SmallVector<std::string>> names = namesPerCall(operand);
    if (merged.empty()) {
      merged = std::move(names);
      continue;
    }
    for (size_t i = 0; i < merged.size() && i < names.size(); ++i)
      llvm::append_range(merged[i], names[i]);
  }
  if (merged.empty())
    merged.push_back({});
  return merged;
}

bool WeightQuantizer::selects(ArrayRef<std::string> names, bool record) {
  for (const std::string &name : names)
    for (const llvm::Regex &pattern : exclude)
      if (pattern.match(name))
        return false;
  if (include.empty())
    return true;
  bool selected = false;
  for (const std::string &name : names)
    for (auto [index, pattern] : llvm::enumerate(include))
      if (pattern.match(name)) {
        selected = true;
        if (record)
          includeMatched[index] = true;
      }
  return selected;
}

QuantFormat WeightQuantizer::formatFor(ArrayRef<std::string> names,
                                       bool record) {
  for (auto [index, override] : llvm::enumerate(overrides))
    for (const std::string &name : names)
      if (override.pattern.match(name)) {
        if (record)
          overrideMatched[index] = true;
        return override.format;
      }
  return format;
}

LogicalResult WeightQuantizer::run() {
  exposeProducts();
  SmallVector<LinearOp> linears;
  module.walk([&](LinearOp linear) {
    if (!linear.getFormat() && !linear->getParentOfType<ParamOp>())
      linears.push_back(linear);
  });
  for (LinearOp linear : linears) {
    if (!kinds.test(unsigned(classify(linear))))
      continue;
    SmallVector<SmallVector<std::string>> calls = namesPerCall(linear.getW());
    bool first = selects(calls.front(), /*record=*/false);
    for (ArrayRef<std::string> names : ArrayRef(calls).drop_front()) {
      if (selects(names, /*record=*/false) == first)
        continue;
      ArrayRef<std::string> in = first ? calls.front() : names;
      ArrayRef<std::string> out = first ? names : calls.front();
      return linear.emitError("the name patterns quantize this product when "
                              "it reads '")
             << llvm::join(in, "', '") << "' but not when it reads '"
             << llvm::join(out, "', '")
             << "'; a block's products are quantized alike in every call";
    }
    if (!first)
      continue;
    QuantFormat chosen = formatFor(calls.front(), /*record=*/false);
    for (ArrayRef<std::string> names : ArrayRef(calls).drop_front()) {
      QuantFormat other = formatFor(names, /*record=*/false);
      if (other == chosen)
        continue;
      return linear.emitError("the overrides quantize this product in ")
             << stringifyQuantFormat(chosen) << " when it reads '"
             << llvm::join(calls.front(), "', '") << "' but in "
             << stringifyQuantFormat(other) << " when it reads '"
             << llvm::join(names, "', '")
             << "'; a block's products are quantized alike in every call";
    }
    for (ArrayRef<std::string> names : calls) {
      selects(names, /*record=*/true);
      formatFor(names, /*record=*/true);
    }
    QuantFormat format = chosen;

    auto weightType = cast<RankedTensorType>(linear.getW().getType());
    int64_t rows = weightType.getDimSize(0), k = weightType.getDimSize(1);
    if (!weightType.getElementType().isF32() || ShapedType::isDynamic(rows) ||
        ShapedType::isDynamic(k))
      return linear.emitError("only static f32 weights can be quantized, got ")
             << weightType;
    std::optional<int64_t> rowBytes = getQuantRowBytes(format, k);
    if (!rowBytes)
      return linear.emitError("cannot quantize this product's weight to ")
             << stringifyQuantFormat(format) << ": its rows have " << k
             << " weights, not a multiple of the group size "
             << getQuantBlockSize(format);
    OpBuilder builder(linear);
    auto bytesType =
        RankedTensorType::get({rows, *rowBytes}, builder.getI8Type());
    Value importance;
    if (useImportance) {
      FailureOr<Value> found =
          importanceFor(linear, linear.getW(), k, module, symbols);
      if (failed(found))
        return failure();
      importance = *found;
      builder.setInsertionPoint(linear);
    }
    Value quantized = QuantizeOp::create(
        builder, linear.getLoc(), bytesType, linear.getW(), importance,
        QuantFormatAttr::get(module.getContext(), format));
    linear.getWMutable().assign(quantized);
    linear.setFormatAttr(QuantFormatAttr::get(module.getContext(), format));
  }
  for (auto [index, matched] : llvm::enumerate(includeMatched))
    if (!matched)
      module.emitWarning("--loom-quantize-weights: the include pattern '")
          << includeTexts[index] << "' matches no weight it quantizes";
  for (auto [index, matched] : llvm::enumerate(overrideMatched))
    if (!matched)
      module.emitWarning("--loom-quantize-weights: the override '")
          << overrides[index].text << "' matches no weight it quantizes";
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
          << format << "'; the formats are q8_0, q4_0 and q4_1";
      return signalPassFailure();
    }
    llvm::SmallBitVector kinds(std::size(kKindNames), layers.empty());
    for (const std::string &layer : layers) {
      auto found = llvm::find(kKindNames, StringRef(layer));
      if (found == std::end(kKindNames)) {
        module.emitError("--loom-quantize-weights: unknown layer kind '")
            << layer << "'; the kinds are "
            << llvm::join(SmallVector<StringRef>(std::begin(kKindNames),
                                                 std::end(kKindNames)),
                          ", ");
        return signalPassFailure();
      }
      kinds.set(unsigned(found - std::begin(kKindNames)));
    }
    SmallVector<llvm::Regex> includePatterns, excludePatterns;
    for (auto [option, patterns] : {std::pair{&include, &includePatterns},
                                    std::pair{&exclude, &excludePatterns}}) {
      for (const std::string &text : *option) {
        llvm::Regex pattern(text);
        std::string why;
        if (!pattern.isValid(why)) {
          module.emitError("--loom-quantize-weights: bad pattern '")
              << text << "': " << why;
          return signalPassFailure();
        }
        patterns->push_back(std::move(pattern));
      }
    }
    SmallVector<FormatOverride> formatOverrides;
    for (const std::string &text : overrides) {
      size_t equals = text.rfind('=');
      std::optional<QuantFormat> chosen =
          equals == std::string::npos
              ? std::nullopt
              : symbolizeQuantFormat(StringRef(text).substr(equals + 1));
      if (!chosen) {
        module.emitError("--loom-quantize-weights: bad override '")
            << text << "'; write PATTERN=FORMAT with a format of q8_0, q4_0 "
            << "or q4_1";
        return signalPassFailure();
      }
      llvm::Regex pattern(StringRef(text).take_front(equals));
      std::string why;
      if (!pattern.isValid(why)) {
        module.emitError("--loom-quantize-weights: bad pattern in override '")
            << text << "': " << why;
        return signalPassFailure();
      }
      formatOverrides.push_back({std::move(pattern), text, *chosen});
    }
    if (failed(WeightQuantizer(module, *parsed, std::move(kinds),
                               includePatterns, include, excludePatterns,
                               formatOverrides, importance)
                   .run()))
      return signalPassFailure();
  }
};
} // namespace
