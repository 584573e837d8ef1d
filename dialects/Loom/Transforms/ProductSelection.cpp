//===- ProductSelection.cpp - Which products a weight rewrite applies to -===//

#include "dialects/Loom/Transforms/ProductSelection.h"

#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace loom;

namespace {

/// The kinds' option spellings, in `ProductKind`'s order.
constexpr StringLiteral kKindNames[] = {"attention", "ffn", "head", "other",
                                        "embedding"};

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

bool isActivation(Operation *op) {
  if (auto linear = dyn_cast<LinearOp>(op))
    return bool(linear.getActivation());
  return isa<ActivationOp, GluOp>(op);
}

} // namespace

std::string loom::checkpointNameOf(WeightOp weight, SymbolTable &symbols) {
  auto param =
      symbols.lookupNearestSymbolFrom<ParamOp>(weight, weight.getParamAttr());
  return param ? param.getCheckpointName().str() : weight.getParam().str();
}

ProductKind loom::classifyProduct(LinearOp linear) {
  Value result = linear.getResult();
  for (Operation *user : result.getUsers()) {
    auto func = user->getParentOfType<func::FuncOp>();
    if (isa<func::ReturnOp>(user) && func && !func.isPrivate())
      return ProductKind::Head;
  }
  Operation *input = linear.getX().getDefiningOp();
  if (reaches(result, isAttentionCore) || (input && isAttentionCore(input)))
    return ProductKind::Attention;
  // A product with an activation epilogue, one whose result is activated,
  // and an unfused gated MLP's up and down projections, which a product
  // activation(gate) * up reads and is read by.
  auto isGating = [](Operation *op) {
    return isa<MulOp>(op) && llvm::any_of(op->getOperands(), [](Value operand) {
             Operation *def = operand.getDefiningOp();
             return def && isActivation(def);
           });
  };
  if (linear.getActivation() || reaches(result, isActivation) ||
      reaches(result, isGating) ||
      (input && (isActivation(input) || isGating(input))))
    return ProductKind::Ffn;
  return ProductKind::Other;
}

SmallVector<SmallVector<std::string>>
loom::namesPerCall(Value value, ModuleOp module, SymbolTable &symbols) {
  if (auto weight = value.getDefiningOp<WeightOp>())
    return {{checkpointNameOf(weight, symbols)}};
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
      llvm::append_range(calls,
                         namesPerCall(call.getOperand(argument.getArgNumber()),
                                      module, symbols));
    }
    if (calls.empty())
      calls.push_back({});
    return calls;
  }
  Operation *op = value.getDefiningOp();
  if (!op)
    return {{}};
  // A computation on weights: the names of each operand, call by call (the
  // operands of one op come from the same calls); an operand read alike in
  // every call (a weight of the block's own) counts in each.
  SmallVector<SmallVector<std::string>> merged;
  for (Value operand : op->getOperands()) {
    SmallVector<SmallVector<std::string>> names =
        namesPerCall(operand, module, symbols);
    if (merged.empty()) {
      merged = std::move(names);
      continue;
    }
    if (merged.size() == 1 && names.size() > 1) {
      SmallVector<std::string> alike = merged.front();
      merged.assign(names.size(), alike);
    }
    for (size_t i = 0; i < merged.size(); ++i)
      if (names.size() == 1 || i < names.size())
        llvm::append_range(merged[i], names[names.size() == 1 ? 0 : i]);
  }
  if (merged.empty())
    merged.push_back({});
  return merged;
}

std::optional<SmallVector<std::string>>
loom::namesInCall(Value value, func::CallOp call, ModuleOp module,
                  SymbolTable &symbols) {
  if (auto weight = value.getDefiningOp<WeightOp>())
    return SmallVector<std::string>{checkpointNameOf(weight, symbols)};
  if (auto argument = dyn_cast<BlockArgument>(value)) {
    // What the call passes for an argument of the function it calls.
    if (!isa<func::FuncOp>(argument.getOwner()->getParentOp()) ||
        argument.getArgNumber() >= call.getNumOperands())
      return SmallVector<std::string>{};
    SmallVector<SmallVector<std::string>> names =
        namesPerCall(call.getOperand(argument.getArgNumber()), module, symbols);
    if (names.size() != 1)
      return std::nullopt;
    return names.front();
  }
  SmallVector<std::string> merged;
  Operation *op = value.getDefiningOp();
  for (Value operand : op ? op->getOperands() : ValueRange()) {
    std::optional<SmallVector<std::string>> names =
        namesInCall(operand, call, module, symbols);
    if (!names)
      return std::nullopt;
    llvm::append_range(merged, *names);
  }
  return merged;
}

FailureOr<ProductSelection>
ProductSelection::parse(ModuleOp module, StringRef pass, StringRef verb,
                        StringRef participle, ArrayRef<std::string> layers,
                        ArrayRef<std::string> include,
                        ArrayRef<std::string> exclude, bool embeddings) {
  ProductSelection selection(module, pass, verb, participle);
  // Every product kind is the default; embedding tables are quantized only
  // when asked for.
  ArrayRef<StringLiteral> names(kKindNames);
  if (!embeddings)
    names = names.drop_back();
  selection.kinds = llvm::SmallBitVector(std::size(kKindNames), false);
  if (layers.empty())
    selection.kinds.set(0, unsigned(ProductKind::Embedding));
  for (const std::string &layer : layers) {
    auto found = llvm::find(names, StringRef(layer));
    if (found == names.end())
      return module.emitError("--")
             << pass << ": unknown layer kind '" << layer << "'; the kinds are "
             << llvm::join(SmallVector<StringRef>(names.begin(), names.end()),
                           ", ");
    selection.kinds.set(unsigned(found - names.begin()));
  }
  for (auto [texts, patterns] : {std::pair{include, &selection.include},
                                 std::pair{exclude, &selection.exclude}}) {
    for (const std::string &text : texts) {
      llvm::Regex pattern(text);
      std::string why;
      if (!pattern.isValid(why))
        return module.emitError("--")
               << pass << ": bad pattern '" << text << "': " << why;
      patterns->push_back(std::move(pattern));
    }
  }
  selection.includeTexts.assign(include.begin(), include.end());
  selection.includeMatched.assign(include.size(), false);
  return selection;
}

bool ProductSelection::matches(ArrayRef<std::string> names, bool record) {
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

FailureOr<bool> ProductSelection::selects(Operation *op, ProductKind kind,
                                          Value weight) {
  if (!kinds.test(unsigned(kind)))
    return false;
  SmallVector<SmallVector<std::string>> calls =
      namesPerCall(weight, module, symbols);
  bool first = matches(calls.front(), /*record=*/false);
  for (ArrayRef<std::string> names : ArrayRef(calls).drop_front()) {
    if (matches(names, /*record=*/false) == first)
      continue;
    ArrayRef<std::string> in = first ? calls.front() : names;
    ArrayRef<std::string> out = first ? names : calls.front();
    return op->emitError("the name patterns ")
           << verb << " this product when it reads '" << llvm::join(in, "', '")
           << "' but not when it reads '" << llvm::join(out, "', '")
           << "'; a block's products are " << participle
           << " alike in every call";
  }
  if (first)
    for (ArrayRef<std::string> names : calls)
      matches(names, /*record=*/true);
  return first;
}

void ProductSelection::warnUnmatched() {
  for (auto [index, matched] : llvm::enumerate(includeMatched))
    if (!matched)
      module.emitWarning("--")
          << pass << ": the include pattern '" << includeTexts[index]
          << "' matches no weight it " << verb << "s";
}
