//===- DeriveWeights.cpp - Computations on weights become derived params --===//
//
// Implements --loom-derive-weights. A computation on weights alone (the
// concatenation `--loom-fuse-qkv` writes, a scale folded into a matrix, ...)
// written inside the model's functions would run on every forward call.
// Each becomes a derived `loom.param` whose `init` region holds it, so the
// runtime computes it once at load (and `loomc --emit=weights` ahead of
// time). Views that the kernels read in place (transpose, split, slice) stay
// where they are, unless a computation that becomes derived reads them.
//
// Blocks are functions that take their weights as arguments, called once per
// layer: a computation on a block's weight arguments becomes one derived
// param per call site, passed to the block as a new argument. Weight
// arguments nothing reads any more are removed.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace loom {
#define GEN_PASS_DEF_LOOMDERIVEWEIGHTS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// Ops that compute a new weight from weights: materialized at load.
bool isComputation(Operation *op) {
  return isa<ConcatOp, ConvertOp, MulOp, AddOp, ScaleOp, QuantizeOp,
             PruneNeuronsOp, PruneHeadsOp, LowRankOp, SmoothScalesOp>(op);
}

/// Ops that only view weights: the kernels read them in place.
bool isView(Operation *op) { return isa<TransposeOp, SplitOp, SliceOp>(op); }

} // namespace

std::string loom::bracedName(ArrayRef<std::string> names) {
  StringRef first = names.front();
  size_t prefix = first.size(), suffix = first.size();
  for (StringRef name : names.drop_front()) {
    size_t p = 0;
    while (p < prefix && p < name.size() && name[p] == first[p])
      ++p;
    prefix = p;
    size_t s = 0;
    while (s < suffix && s < name.size() &&
           name[name.size() - 1 - s] == first[first.size() - 1 - s])
      ++s;
    suffix = s;
  }
  // Cut at dots, so that whole name components are shared.
  while (prefix > 0 && first[prefix - 1] != '.')
    --prefix;
  while (suffix > 0 && first[first.size() - suffix] != '.')
    --suffix;
  if (prefix == 0 && suffix == 0)
    return "";
  SmallVector<std::string> middles;
  for (StringRef name : names) {
    if (prefix + suffix >= name.size())
      return "";
    middles.push_back(name.substr(prefix, name.size() - prefix - suffix).str());
  }
  return (first.take_front(prefix) + "{" + llvm::join(middles, ",") + "}" +
          first.take_back(suffix))
      .str();
}

namespace {

class WeightDeriver {
public:
  explicit WeightDeriver(ModuleOp module) : module(module), symbols(module) {}

  void run();

private:
  /// True if `value` is computed from weights alone in its function: every
  /// leaf is a `loom.weight`, or, when `arguments` is given, an argument of
  /// a private function (collected there).
  bool isWeightValue(Value value, llvm::SetVector<BlockArgument> *arguments);
  /// True if some computation reads `op`'s results (through views) and is
  /// computed from weights alone, so `op` belongs to a larger computation.
  bool feedsComputation(Operation *op);
  /// True if `op` is a computation of its own: no larger computation reads
  /// it, or something else reads it too (a derived weight that another is
  /// computed from, as a loop's shared weight and the differences from it).
  bool isRoot(Operation *op);
  /// Clones the computation of `value` at the builder's insertion point,
  /// with `mapping` providing the values of block arguments.
  Value cloneTree(OpBuilder &builder, Value value, IRMapping &mapping);
  /// A derived param `root` computes, with `arguments` mapped to values at
  /// a call site (or empty); reuses an identical one.
  ParamOp createDerivedParam(Operation *root, ArrayRef<Value> argumentValues,
                             ArrayRef<BlockArgument> arguments);
  /// Turns the computation `root` into derived params.
  void derive(Operation *root);
  /// Removes unused weight arguments of private functions, and the
  /// operands their call sites pass.
  void dropUnusedArguments();

  ModuleOp module;
  SymbolTable symbols;
  /// Functions whose arguments may have lost their last use.
  llvm::SetVector<func::FuncOp> touched;
};

} // namespace

bool WeightDeriver::isWeightValue(Value value,
                                  llvm::SetVector<BlockArgument> *arguments) {
  if (auto argument = dyn_cast<BlockArgument>(value)) {
    auto func = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
    if (!arguments || !func || !func.isPrivate() ||
        argument.getOwner() != &func.front())
      return false;
    arguments->insert(argument);
    return true;
  }
  Operation *def = value.getDefiningOp();
  if (isa<WeightOp>(def))
    return true;
  if (!isView(def) && !isComputation(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value operand) {
    return isWeightValue(operand, arguments);
  });
}

bool WeightDeriver::feedsComputation(Operation *op) {
  for (Operation *user : op->getUsers()) {
    if (isView(user) && feedsComputation(user))
      return true;
    llvm::SetVector<BlockArgument> ignored;
    if (isComputation(user) &&
        llvm::all_of(user->getOperands(), [&](Value operand) {
          return isWeightValue(operand, &ignored);
        }))
      return true;
  }
  return false;
}

/// True if something other than a computation on weights reads `op`'s
/// results, directly or through views.
static bool readOutsideComputations(Operation *op) {
  return llvm::any_of(op->getUsers(), [](Operation *user) {
    if (isComputation(user))
      return false;
    return !isView(user) || readOutsideComputations(user);
  });
}

bool WeightDeriver::isRoot(Operation *op) {
  return !feedsComputation(op) || readOutsideComputations(op);
}

Value WeightDeriver::cloneTree(OpBuilder &builder, Value value,
                               IRMapping &mapping) {
  if (Value mapped = mapping.lookupOrNull(value))
    return mapped;
  Operation *def = value.getDefiningOp();
  for (Value operand : def->getOperands())
    cloneTree(builder, operand, mapping);
  builder.clone(*def, mapping);
  return mapping.lookup(value);
}

std::string loom::describeWeight(Value value, const IRMapping &arguments,
                                 SymbolTable &symbols) {
  if (Value mapped = arguments.lookupOrNull(value))
    return describeWeight(mapped, IRMapping(), symbols);
  Operation *def = value.getDefiningOp();
  // The name the pass that wrote the computation chose.
  if (auto name = def->getAttrOfType<StringAttr>(kDerivedNameAttr))
    return name.str();
  if (auto weight = dyn_cast<WeightOp>(def)) {
    auto param = symbols.lookup<ParamOp>(weight.getParamAttr().getAttr());
    return param.isDerived() ? param.getSymName().str()
                             : param.getCheckpointName().str();
  }
  SmallVector<std::string> operands;
  bool direct = true;
  for (Value operand : def->getOperands()) {
    operands.push_back(describeWeight(operand, arguments, symbols));
    direct &= isa_and_nonnull<WeightOp>(
        arguments.lookupOrDefault(operand).getDefiningOp());
  }
  // Braces around what differs, for params or names as plain as theirs
  // (`a.gate.weight.pruned96`).
  bool plain = llvm::all_of(operands, [](const std::string &name) {
    return name.find_first_of("(){},#") == std::string::npos;
  });
  if (isa<ConcatOp>(def) && (direct || plain) && operands.size() > 1)
    if (std::string braced = bracedName(operands); !braced.empty())
      return braced;
  // `w.q8_0`: a weight in a quantized format, rounded to nearest;
  // `w.q8_0.imatrix` weighted by importance, `w.q8_0.gptq` with error
  // feedback. A file written by one kind of build then never serves
  // another's bytes.
  if (auto quantize = dyn_cast<QuantizeOp>(def))
    return operands.front() + "." +
           stringifyQuantFormat(quantize.getFormat()).str() +
           (quantize.getImportance() ? ".imatrix" : "") +
           (quantize.getCovariance() ? ".gptq" : "");
  // `w.bf16`, `w.f16`: a weight in half precision.
  if (auto convert = dyn_cast<ConvertOp>(def)) {
    std::string type;
    llvm::raw_string_ostream os(type);
    os << getElementTypeOrSelf(convert.getType());
    return operands.front() + "." + type;
  }
  // `w.pruned96`: a weight's 96 most important neurons.
  if (auto prune = dyn_cast<PruneNeuronsOp>(def))
    return operands.front() + ".pruned" + std::to_string(prune.getKeep());
  // `w.heads6`, `w.kv_heads2`: a weight's part of the head groups kept.
  if (auto prune = dyn_cast<PruneHeadsOp>(def)) {
    if (prune.getPart() == "kv")
      return operands.front() + ".kv_heads" + std::to_string(prune.getKeep());
    return operands.front() + ".heads" +
           std::to_string(prune.getKeep() * prune.getHeads() /
                          prune.getKvHeads());
  }
  // `w.smooth`, `w.smooth_inverse`: the smoothing scales of a product's
  // input; `w.smoothed`: a weight (or a norm's scale) multiplied by them.
  if (auto scales = dyn_cast<SmoothScalesOp>(def))
    return operands.front() +
           (scales.getInverse() ? ".smooth_inverse" : ".smooth");
  if (isa<MulOp>(def) && def->getOperand(1).getDefiningOp<SmoothScalesOp>())
    return operands.front() + ".smoothed";
  // `w.rank16.a`, `w.rank16.b`: the factors of a weight's rank-16
  // approximation.
  if (auto lowRank = dyn_cast<LowRankOp>(def))
    return operands.front() + ".rank" + std::to_string(lowRank.getRank()) +
           "." + lowRank.getPart().str();
  std::string name =
      (def->getName().stripDialect() + "(" + llvm::join(operands, ",")).str();
  if (auto split = dyn_cast<SplitOp>(def))
    name += "#" + std::to_string(cast<OpResult>(value).getResultNumber());
  return name + ")";
}

ParamOp WeightDeriver::createDerivedParam(Operation *root,
                                          ArrayRef<Value> argumentValues,
                                          ArrayRef<BlockArgument> arguments) {
  Value result = root->getResult(0);
  auto type = cast<RankedTensorType>(result.getType());
  IRMapping argumentMap;
  for (auto [argument, value] : llvm::zip_equal(arguments, argumentValues))
    argumentMap.map(argument, value);

  // Named after what it reads: `a.{q_proj,k_proj,v_proj}.weight` for a
  // concatenation of `a.q_proj.weight`, ..., else `op(a,b,...)`.
  std::string name = describeWeight(result, argumentMap, symbols);

  ParamOp last;
  for (ParamOp param : module.getOps<ParamOp>())
    last = param;
  OpBuilder builder = last ? OpBuilder(module.getContext())
                           : OpBuilder::atBlockBegin(module.getBody());
  if (last)
    builder.setInsertionPointAfter(last);
  auto param = ParamOp::create(builder, root->getLoc(), name, type);
  symbols.insert(param); // renames it if the name is taken
  Block *init = builder.createBlock(&param.getInit());
  builder.setInsertionPointToStart(init);
  // The call site's values of the block's arguments, then the computation.
  IRMapping mapping;
  for (auto [argument, value] : llvm::zip_equal(arguments, argumentValues))
    mapping.map(argument, cloneTree(builder, value, mapping));
  Value computed = cloneTree(builder, result, mapping);
  YieldOp::create(builder, root->getLoc(), ValueRange{computed});

  // The same computation of the same weights (a block called twice with
  // one layer's weights) is one param.
  for (ParamOp other : module.getOps<ParamOp>()) {
    if (other == param || !other.isDerived() || other.getType() != type ||
        !OperationEquivalence::isRegionEquivalentTo(
            &other.getInit(), &param.getInit(),
            OperationEquivalence::IgnoreLocations))
      continue;
    symbols.erase(param);
    return other;
  }
  return param;
}

void WeightDeriver::derive(Operation *root) {
  Value result = root->getResult(0);
  llvm::SetVector<BlockArgument> argumentSet;
  isWeightValue(result, &argumentSet);
  SmallVector<BlockArgument> arguments(argumentSet.begin(), argumentSet.end());
  auto func = root->getParentOfType<func::FuncOp>();

  if (arguments.empty()) {
    ParamOp param = createDerivedParam(root, {}, {});
    OpBuilder builder(root);
    result.replaceAllUsesWith(WeightOp::create(builder, root->getLoc(), param));
    return;
  }

  // Every call site must pass weights (computed from `loom.weight`s alone
  // in the caller) for the arguments the computation reads.
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(func, module);
  if (!uses)
    return;
  SmallVector<func::CallOp> calls;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      return;
    for (BlockArgument argument : arguments)
      if (!isWeightValue(call.getOperand(argument.getArgNumber()), nullptr))
        return;
    calls.push_back(call);
  }
  if (calls.empty())
    return;

  unsigned index = func.getNumArguments();
  if (failed(func.insertArgument(index, result.getType(), DictionaryAttr(),
                                 root->getLoc())))
    return;
  result.replaceAllUsesWith(func.getArgument(index));
  for (func::CallOp call : calls) {
    SmallVector<Value> values;
    for (BlockArgument argument : arguments)
      values.push_back(call.getOperand(argument.getArgNumber()));
    ParamOp param = createDerivedParam(root, values, arguments);
    OpBuilder builder(call);
    Value weight = WeightOp::create(builder, call.getLoc(), param);
    call.getOperandsMutable().append(weight);
  }
  touched.insert(func);
}

void WeightDeriver::dropUnusedArguments() {
  for (func::FuncOp func : touched) {
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(func, module);
    SmallVector<func::CallOp> calls;
    bool onlyCalls = uses.has_value();
    if (uses)
      for (const SymbolTable::SymbolUse &use : *uses) {
        auto call = dyn_cast<func::CallOp>(use.getUser());
        onlyCalls &= bool(call);
        if (call)
          calls.push_back(call);
      }
    if (!onlyCalls)
      continue;
    llvm::BitVector unused(func.getNumArguments());
    for (BlockArgument argument : func.getArguments())
      if (argument.use_empty() && llvm::all_of(calls, [&](func::CallOp call) {
            return isWeightValue(call.getOperand(argument.getArgNumber()),
                                 nullptr);
          }))
        unused.set(argument.getArgNumber());
    if (unused.none())
      continue;
    for (func::CallOp call : calls)
      call->eraseOperands(unused);
    (void)func.eraseArguments(unused);
  }
}

void WeightDeriver::run() {
  // The outermost computations on weights, found before any is rewritten.
  SmallVector<Operation *> roots;
  module.walk([&](Operation *op) {
    // Only this module's functions: a nested module has params of its own.
    if (!isComputation(op) || op->getNumResults() != 1 ||
        op->getParentOfType<ParamOp>() ||
        !op->getParentOfType<func::FuncOp>() ||
        op->getParentOfType<ModuleOp>() != module)
      return;
    llvm::SetVector<BlockArgument> arguments;
    if (!isWeightValue(op->getResult(0), &arguments) || !isRoot(op))
      return;
    roots.push_back(op);
  });
  for (Operation *root : roots)
    derive(root);

  // What the computations read inside the functions is dead now.
  SmallVector<Operation *> dead;
  module.walk<WalkOrder::PostOrder>([&](Operation *op) {
    if (!op->getParentOfType<ParamOp>() &&
        (isView(op) || isComputation(op) || isa<WeightOp>(op)))
      dead.push_back(op);
  });
  for (Operation *op : llvm::reverse(dead))
    if (op->use_empty())
      op->erase();
  dropUnusedArguments();
  // Weights the call sites passed to removed arguments.
  module.walk([&](WeightOp weight) {
    if (weight.use_empty() && !weight->getParentOfType<ParamOp>())
      weight.erase();
  });
}

namespace {
struct LoomDeriveWeightsPass
    : loom::impl::LoomDeriveWeightsBase<LoomDeriveWeightsPass> {
  void runOnOperation() override { WeightDeriver(getOperation()).run(); }
};
} // namespace
