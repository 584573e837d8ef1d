//===- InferShapes.cpp - Refine result types from operand types -----------===//
//
// Implements --loom-infer-shapes: after a pass changed a weight (or when the
// producer declared imprecise types), recompute result types from operand
// types and propagate them through loops, calls and function signatures until
// nothing changes.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace loom {
#define GEN_PASS_DEF_LOOMINFERSHAPES
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

/// Upper bound on sweeps over the module; each sweep that changes something
/// makes a type more precise or follows a changed weight, so real modules
/// converge in a few.
static constexpr int kMaxSweeps = 64;

/// `inferred`, keeping static extents of `declared` where `inferred` leaves
/// them dynamic and the two are compatible.
static Type refine(Type declared, Type inferred) {
  if (declared == inferred)
    return declared;
  auto declaredType = dyn_cast<RankedTensorType>(declared);
  auto inferredType = dyn_cast<RankedTensorType>(inferred);
  if (!declaredType || !inferredType ||
      declaredType.getElementType() != inferredType.getElementType() ||
      failed(verifyCompatibleShape(declaredType, inferredType)))
    return inferred;
  SmallVector<int64_t> shape(inferredType.getShape());
  for (auto [i, extent] : llvm::enumerate(declaredType.getShape()))
    if (ShapedType::isDynamic(shape[i]))
      shape[i] = extent;
  return RankedTensorType::get(shape, inferredType.getElementType(),
                               inferredType.getEncoding());
}

namespace {
/// One run of shape refinement over a module.
class ShapeRefiner {
public:
  explicit ShapeRefiner(ModuleOp module) : module(module), symbols(module) {}

  /// Sweeps the module until no type changes.
  LogicalResult run();

private:
  /// Sets the type of `value`, recording whether anything changed.
  void setType(Value value, Type type) {
    if (value.getType() == type)
      return;
    value.setType(type);
    changed = true;
  }

  void refineRegion(Region &region);
  void refineOp(Operation *op);
  void refineParam(ParamOp param);
  LogicalResult refineSignature(func::FuncOp func);

  ModuleOp module;
  SymbolTable symbols;
  bool changed = false;
};
} // namespace

void ShapeRefiner::refineRegion(Region &region) {
  for (Block &block : region)
    for (Operation &op : block)
      refineOp(&op);
}

void ShapeRefiner::refineOp(Operation *op) {
  if (auto weight = dyn_cast<WeightOp>(op)) {
    if (auto param = symbols.lookup<ParamOp>(weight.getParam()))
      setType(weight.getResult(), param.getType());
    return;
  }
  if (auto loop = dyn_cast<LoopOp>(op)) {
    for (auto [arg, init] :
         llvm::zip_equal(loop.getRegionIterArgs(), loop.getInits()))
      setType(arg, init.getType());
    refineRegion(loop.getRegion());
    for (auto [result, init] :
         llvm::zip_equal(loop.getResults(), loop.getInits()))
      setType(result, init.getType());
    return;
  }
  if (auto call = dyn_cast<func::CallOp>(op)) {
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (!callee || callee.getNumResults() != call.getNumResults())
      return;
    for (auto [result, type] :
         llvm::zip_equal(call.getResults(), callee.getResultTypes()))
      setType(result, type);
    return;
  }
  for (Region &region : op->getRegions())
    refineRegion(region);
  auto inferable = dyn_cast<InferTypeOpInterface>(op);
  if (!inferable)
    return;
  SmallVector<Type> inferred;
  if (failed(inferable.inferReturnTypes(
          op->getContext(), op->getLoc(), op->getOperands(),
          op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
          op->getRegions(), inferred)) ||
      inferred.size() != op->getNumResults())
    return;
  for (auto [result, type] : llvm::zip_equal(op->getResults(), inferred))
    setType(result, refine(result.getType(), type));
}

void ShapeRefiner::refineParam(ParamOp param) {
  if (!param.isDerived())
    return;
  refineRegion(param.getInit());
  auto yield = dyn_cast<YieldOp>(param.getInit().front().getTerminator());
  if (!yield || yield.getValues().size() != 1)
    return;
  auto type = dyn_cast<RankedTensorType>(yield.getValues().front().getType());
  if (!type || type == param.getType())
    return;
  param.setType(type);
  changed = true;
}

LogicalResult ShapeRefiner::refineSignature(func::FuncOp func) {
  if (func.isExternal())
    return success();
  SmallVector<Type> inputs(func.getArgumentTypes());
  SmallVector<Type> results(func.getResultTypes());

  // Results follow the (first) return.
  func.walk([&](func::ReturnOp ret) {
    if (ret->getParentOp() == func.getOperation() &&
        ret.getNumOperands() == results.size())
      results.assign(ret.getOperandTypes().begin(),
                     ret.getOperandTypes().end());
    return WalkResult::interrupt();
  });

  // Arguments of private functions follow their call sites, if they agree.
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(func, module);
  bool onlyCalls = func.isPrivate() && uses && !uses->empty();
  SmallVector<func::CallOp> calls;
  if (onlyCalls) {
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto call = dyn_cast<func::CallOp>(use.getUser());
      if (!call || call.getNumOperands() != inputs.size()) {
        onlyCalls = false;
        break;
      }
      calls.push_back(call);
    }
  }
  if (onlyCalls) {
    for (unsigned i = 0, e = inputs.size(); i < e; ++i) {
      Type first = calls.front().getOperand(i).getType();
      for (func::CallOp call : calls) {
        Type type = call.getOperand(i).getType();
        if (type == first)
          continue;
        return call.emitError()
               << "call sites of @" << func.getSymName()
               << " disagree on the type of argument #" << i << " (" << first
               << " vs " << type << "); specialize the function first";
      }
      inputs[i] = first;
    }
  }

  FunctionType type = FunctionType::get(func.getContext(), inputs, results);
  if (type == func.getFunctionType())
    return success();
  for (auto [arg, input] : llvm::zip_equal(func.getArguments(), inputs))
    arg.setType(input);
  func.setFunctionType(type);
  changed = true;
  return success();
}

LogicalResult ShapeRefiner::run() {
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    changed = false;
    for (Operation &op : module.getBody()->getOperations()) {
      if (auto param = dyn_cast<ParamOp>(op))
        refineParam(param);
      else if (auto func = dyn_cast<func::FuncOp>(op))
        refineRegion(func.getBody());
    }
    for (auto func : module.getOps<func::FuncOp>())
      if (failed(refineSignature(func)))
        return failure();
    if (!changed)
      return success();
  }
  return module.emitError("loom-infer-shapes did not converge after ")
         << kMaxSweeps << " sweeps";
}

LogicalResult loom::inferShapes(ModuleOp module) {
  return ShapeRefiner(module).run();
}

namespace {
struct LoomInferShapesPass
    : loom::impl::LoomInferShapesBase<LoomInferShapesPass> {
  void runOnOperation() override {
    if (failed(inferShapes(getOperation())))
      signalPassFailure();
  }
};
} // namespace
