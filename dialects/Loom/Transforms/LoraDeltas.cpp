//===- LoraDeltas.cpp - LoRA deltas on a block's shared matrices ----------===//

#include "dialects/Loom/Transforms/LoraDeltas.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace loom;

std::string loom::argumentName(func::FuncOp func, unsigned index) {
  if (auto name = func.getArgAttrOfType<StringAttr>(index, "loom.weight"))
    return name.str();
  return "argument #" + std::to_string(index);
}

/// Makes `linear` (`act(x w^T + bias + residual)`) compute
/// `act(x w^T + bias + residual + (x a^T) b^T)`.
static void addDelta(LinearOp linear, Value a, Value b) {
  OpBuilder builder(linear);
  Location loc = linear.getLoc();
  ActivationKindAttr activation = linear.getActivationAttr();
  linear.removeActivationAttr();
  Value thin = LinearOp::create(builder, loc, linear.getX(), a, Value());
  builder.setInsertionPointAfter(linear);
  auto sum = LinearOp::create(builder, loc, linear.getType(), thin, b, Value(),
                              linear.getResult(), QuantFormatAttr(),
                              QuantInputsAttr(), activation);
  linear.getResult().replaceAllUsesExcept(sum, sum);
}

/// Splits the layers of `func` that read an argument in `positions` into
/// products.
static void exposeProducts(func::FuncOp func, ArrayRef<unsigned> positions) {
  auto readsOne = [&](Operation *op) {
    return llvm::any_of(op->getOperands(), [&](Value operand) {
      auto argument = dyn_cast<BlockArgument>(operand);
      return argument && argument.getOwner() == &func.front() &&
             llvm::is_contained(positions, argument.getArgNumber());
    });
  };
  SmallVector<Operation *> layers;
  func.walk([&](Operation *op) {
    if (isa<AttentionOp, MLPOp, GatedMLPOp>(op) && readsOne(op))
      layers.push_back(op);
  });
  for (Operation *op : layers)
    splitIntoProducts(op);
}

FailureOr<func::FuncOp> loom::addLoraDeltas(
    func::FuncOp block, ArrayRef<unsigned> positions, StringRef name,
    function_ref<int64_t(RankedTensorType)> rankOf, StringRef who,
    StringRef hint, SymbolTable &symbols, std::optional<Location> errorAt) {
  auto copy = block.clone();
  copy.setSymName(name);
  symbols.insert(copy, std::next(Block::iterator(block)));
  exposeProducts(copy, positions);
  for (unsigned position : positions) {
    BlockArgument shared = copy.getArgument(position);
    for (OpOperand &use : shared.getUses()) {
      auto linear = dyn_cast<LinearOp>(use.getOwner());
      if (!linear || use.getOperandNumber() != 1 || linear.getFormat()) {
        InFlightDiagnostic diag =
            (errorAt ? mlir::emitError(*errorAt) : use.getOwner()->emitError())
            << who
            << ": a LoRA delta is added to products, "
               "but this reads the shared weight '"
            << argumentName(copy, position) << "' otherwise";
        if (!hint.empty())
          diag << "; " << hint;
        copy.erase();
        return failure();
      }
    }
    auto type = cast<RankedTensorType>(shared.getType());
    Type element = type.getElementType();
    int64_t r = rankOf(type);
    unsigned index = copy.getNumArguments();
    Location loc = copy.getLoc();
    if (failed(copy.insertArgument(
            index, RankedTensorType::get({r, type.getDimSize(1)}, element),
            DictionaryAttr(), loc)) ||
        failed(copy.insertArgument(
            index + 1, RankedTensorType::get({type.getDimSize(0), r}, element),
            DictionaryAttr(), loc)))
      return copy.emitError() << who << ": cannot add the delta's arguments";
    Value a = copy.getArgument(index), b = copy.getArgument(index + 1);
    for (Operation *user : llvm::to_vector(shared.getUsers()))
      addDelta(cast<LinearOp>(user), a, b);
  }
  return copy;
}
