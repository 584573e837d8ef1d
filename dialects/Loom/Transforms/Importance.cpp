//===- Importance.cpp - Calibrated importance of a weight's channels ------===//
//
// A calibration run (`./program --calibrate stats.safetensors`) records, for
// each product, the mean square of each of its input channels over the
// calibration data, as a checkpoint tensor `NAME.importance` (NAME the
// product's weight as the unquantized build names it), and on request the
// inputs' covariance, `NAME.covariance`. Passes that weigh their decisions
// by them (importance-weighted quantization and error feedback,
// activation-aware pruning) read them here: as a `loom.weight` of a param of
// that name, or, in a block called once per layer, as a new argument each
// call passes.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace loom;

/// The param `name` of `type`, a `statistic` of `k` channels, declared if
/// need be.
static FailureOr<ParamOp> statisticParam(Operation *user, StringRef statistic,
                                         StringRef name, RankedTensorType type,
                                         int64_t k, ModuleOp module,
                                         SymbolTable &symbols) {
  if (auto param = symbols.lookup<ParamOp>(name)) {
    if (param.getTensorType() != type)
      return user->emitError("the ")
             << statistic << " '" << name << "' is declared as "
             << param.getTensorType() << " but this product has " << k
             << " input channels";
    return param;
  }
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  // Params come before the functions.
  if (auto first = module.getOps<func::FuncOp>(); !first.empty())
    builder.setInsertionPoint(*first.begin());
  auto param = ParamOp::create(builder, user->getLoc(), name, type);
  symbols.insert(param);
  return param;
}

FailureOr<Value> loom::importanceFor(Operation *user, Value source, int64_t k,
                                     ModuleOp module, SymbolTable &symbols) {
  return calibrationFor(user, source, "importance", k, module, symbols);
}

FailureOr<Value> loom::calibrationFor(Operation *user, Value source,
                                      StringRef statistic, int64_t k,
                                      ModuleOp module, SymbolTable &symbols) {
  auto type = RankedTensorType::get(statistic == "covariance"
                                        ? SmallVector<int64_t>{k, k}
                                        : SmallVector<int64_t>{k},
                                    Float32Type::get(module.getContext()));
  std::string suffix = ("." + statistic).str();
  // The matrix the unquantized build's product reads: views are read in
  // place, so their source's name is the product's.
  while (Operation *def = source.getDefiningOp()) {
    if (!isa<TransposeOp, SplitOp, SliceOp>(def))
      break;
    source = def->getOperand(0);
  }
  // Importance is read by name: the weight must be computed from params.
  std::function<bool(Value, const IRMapping &)> fromParams =
      [&](Value value, const IRMapping &mapping) {
        if (Value mapped = mapping.lookupOrNull(value))
          return fromParams(mapped, IRMapping());
        Operation *def = value.getDefiningOp();
        if (!def)
          return false;
        if (isa<WeightOp>(def))
          return true;
        return def->getNumOperands() > 0 &&
               llvm::all_of(def->getOperands(), [&](Value operand) {
                 return fromParams(operand, mapping);
               });
      };
  auto notFromParams = [&] {
    return user->emitError()
           << statistic
           << " is read by the name of the weight, but this weight does not "
              "come from the model's params";
  };
  auto func = user->getParentOfType<func::FuncOp>();
  if (!func || !func.isPrivate()) {
    if (!fromParams(source, IRMapping()))
      return notFromParams();
    std::string name = describeWeight(source, IRMapping(), symbols);
    FailureOr<ParamOp> param = statisticParam(user, statistic, name + suffix,
                                              type, k, module, symbols);
    if (failed(param))
      return failure();
    OpBuilder builder(user);
    return WeightOp::create(builder, user->getLoc(), *param).getResult();
  }
  // A block: each call passes its layer's importance.
  SmallVector<func::CallOp> calls;
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(func, module);
  for (const SymbolTable::SymbolUse &use :
       uses ? *uses : SymbolTable::UseRange({})) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      return user->emitError()
             << statistic
             << " for a block used other than by calls is not supported";
    auto caller = call->getParentOfType<func::FuncOp>();
    if (caller && caller.isPrivate())
      return user->emitError()
             << statistic
             << " for a weight in a block called from another block is not "
                "supported yet";
    calls.push_back(call);
  }
  unsigned index = func.getNumArguments();
  for (func::CallOp call : calls) {
    IRMapping mapping;
    for (auto [argument, operand] :
         llvm::zip_equal(func.getArguments(), call.getOperands()))
      mapping.map(argument, operand);
    if (!fromParams(source, mapping))
      return notFromParams();
    std::string name = describeWeight(source, mapping, symbols);
    FailureOr<ParamOp> param = statisticParam(user, statistic, name + suffix,
                                              type, k, module, symbols);
    if (failed(param))
      return failure();
    OpBuilder builder(call);
    Value value = WeightOp::create(builder, call.getLoc(), *param);
    call.getOperandsMutable().append(value);
  }
  if (failed(
          func.insertArgument(index, type, DictionaryAttr(), user->getLoc())))
    return failure();
  return func.getArgument(index);
}
