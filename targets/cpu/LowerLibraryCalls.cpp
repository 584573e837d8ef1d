//===- LowerLibraryCalls.cpp - linalg ops with a library_call to calls ----===//
//
// After bufferization, a linalg op carrying `library_call = "name"` becomes a
// call of `name` on its operands, each cast to a memref with a dynamic shape
// and strided layout, so that one C function (`_mlir_ciface_name`) serves
// every shape. The call passes the model context (the enclosing function's
// `loom.context` argument) first. Ops without the attribute are left to the
// loop lowering.
//
// A product whose output buffer was just zero-filled (and is read by nothing
// in between) calls the kernel's `_overwrite` form instead, which writes C
// without reading it, and the fill (or the copy of a shared fill) goes away.
//
// The products' kernels take an activation as their last argument: an
// epilogue that follows the product on its output buffer (`loom.epilogue`,
// dialects/Loom/Utils/Epilogue.h), with nothing using the buffer in
// between, becomes that argument and goes away.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/Passes.h"

#include "dialects/Loom/Utils/Epilogue.h"
#include "dialects/Loom/Utils/ModelContext.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERLIBRARYCALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;

namespace {

/// `memref<?x...x?xT, strided<[?, ..., ?], offset: ?>>` of `type`'s rank.
MemRefType erasedType(MemRefType type) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  auto layout =
      StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic, strides);
  return MemRefType::get(shape, type.getElementType(), layout,
                         type.getMemorySpace());
}

/// Kernels that have a form writing C without reading it.
std::optional<StringRef> overwritingForm(StringRef name) {
  if (name == LOOM_KERNEL_SGEMM_NT)
    return StringRef(LOOM_KERNEL_SGEMM_NT_OVERWRITE);
  if (name == LOOM_KERNEL_SGEMM_NN)
    return StringRef(LOOM_KERNEL_SGEMM_NN_OVERWRITE);
  return std::nullopt;
}

/// The operations that use `buffer` before `before` in `before`'s block, if
/// `buffer` is a fresh allocation whose every use is either one of those or
/// after `before` (possibly nested in a later operation); none otherwise.
std::optional<SmallVector<Operation *>> usesBefore(Value buffer,
                                                   Operation *before) {
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  SmallVector<Operation *> uses;
  for (Operation *user : buffer.getUsers()) {
    Operation *ancestor = before->getBlock()->findAncestorOpInBlock(*user);
    if (!ancestor)
      return std::nullopt;
    if (ancestor == before || !ancestor->isBeforeInBlock(before))
      continue;
    if (ancestor != user)
      return std::nullopt;
    uses.push_back(user);
  }
  return uses;
}

/// The one operation that uses `buffer` before `before`, as `usesBefore`
/// finds them; null if there are none or several.
Operation *onlyUseBefore(Value buffer, Operation *before) {
  std::optional<SmallVector<Operation *>> uses = usesBefore(buffer, before);
  return uses && uses->size() == 1 ? uses->front() : nullptr;
}

/// True if `fill` writes zeros into `buffer`.
bool isZeroFillOf(Operation *op, Value buffer) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op);
  return fill && fill.getOutputs()[0] == buffer &&
         matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

/// The operation that zeroes `op`'s single output buffer just for `op`, if
/// any: the buffer is a fresh allocation, and its only use before `op` is a
/// zero fill, or a copy of a fresh allocation whose only earlier use is a
/// zero fill (bufferization copies a fill shared by several products).
Operation *findZeroInit(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return nullptr;
  Value out = op.getDpsInits()[0];
  // A product that also reads its output reads the zeros.
  if (llvm::is_contained(op.getDpsInputs(), out))
    return nullptr;
  Operation *init = onlyUseBefore(out, op);
  if (isZeroFillOf(init, out))
    return init;
  auto copy = dyn_cast_or_null<memref::CopyOp>(init);
  if (!copy || copy.getTarget() != out)
    return nullptr;
  // Every use of the source before the copy reads it, but one zero fill.
  Value source = copy.getSource();
  std::optional<SmallVector<Operation *>> uses = usesBefore(source, copy);
  if (!uses)
    return nullptr;
  Operation *fill = nullptr;
  for (Operation *user : *uses) {
    if (isZeroFillOf(user, source) && !fill) {
      fill = user;
      continue;
    }
    auto reader = dyn_cast<memref::CopyOp>(user);
    if (!reader || reader.getSource() != source)
      return nullptr;
  }
  return fill ? copy.getOperation() : nullptr;
}

/// Kernels that apply an activation to their result.
bool takesActivation(StringRef name) {
  return name == LOOM_KERNEL_SGEMM_NT || name == LOOM_KERNEL_SGEMM_NN;
}

/// The epilogue that applies an activation in place to the output buffer of
/// `op` (one output) right after it: a marked elementwise op on that buffer
/// alone, in `op`'s block, with no use of the buffer in between; null if
/// there is none.
linalg::GenericOp findEpilogue(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return nullptr;
  Value out = op.getDpsInits()[0];
  // The first use of the buffer after the product (or an op that holds
  // one).
  Block *block = op->getBlock();
  Operation *first = nullptr;
  for (Operation *user : out.getUsers()) {
    Operation *ancestor = block->findAncestorOpInBlock(*user);
    if (!ancestor)
      return nullptr;
    if (ancestor == op || ancestor->isBeforeInBlock(op))
      continue;
    if (!first || ancestor->isBeforeInBlock(first))
      first = ancestor;
  }
  auto epilogue = dyn_cast_or_null<linalg::GenericOp>(first);
  if (!epilogue ||
      !epilogue->hasAttrOfType<loom::ActivationKindAttr>(loom::kEpilogueAttr))
    return nullptr;
  if (epilogue.getNumDpsInputs() != 0 || epilogue.getNumDpsInits() != 1 ||
      epilogue.getDpsInits()[0] != out ||
      !epilogue.getIndexingMapsArray().front().isIdentity() ||
      epilogue.getNumReductionLoops() != 0)
    return nullptr;
  return epilogue;
}

/// Erases allocations that are only filled and freed.
void eraseUnreadAllocations(ModuleOp module) {
  SmallVector<memref::AllocOp> allocations;
  module.walk([&](memref::AllocOp alloc) { allocations.push_back(alloc); });
  for (memref::AllocOp alloc : allocations) {
    Value buffer = alloc.getResult();
    if (!llvm::all_of(buffer.getUsers(), [&](Operation *user) {
          return isZeroFillOf(user, buffer) || isa<memref::DeallocOp>(user);
        }))
      continue;
    for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
      user->erase();
    alloc.erase();
  }
}

struct LowerLibraryCallsPass
    : loom::cpu::impl::LoomLowerLibraryCallsBase<LowerLibraryCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<linalg::GenericOp> calls;
    module.walk([&](linalg::GenericOp op) {
      if (op.getLibraryCallAttr())
        calls.push_back(op);
    });
    for (linalg::GenericOp op : calls) {
      StringAttr name = op.getLibraryCallAttr();
      if (!op.hasPureBufferSemantics()) {
        op.emitError("library calls need buffers: bufferize first");
        return signalPassFailure();
      }
      // The runtime's products are f32 (weights of other types are widened
      // by the kernels as they read their packed copies): anything else has
      // no kernel, and must not reach one as if it were f32.
      for (Value operand : op->getOperands())
        if (auto type = dyn_cast<MemRefType>(operand.getType());
            !type || !type.getElementType().isF32()) {
          op.emitError("the runtime has no '")
              << name.getValue() << "' kernel for " << operand.getType()
              << "; its products take f32 activations";
          return signalPassFailure();
        }
      Value context = loom::getModelContext(op);
      if (!context) {
        op.emitError("library calls pass the model context, but the "
                     "enclosing function has no 'loom.context' argument");
        return signalPassFailure();
      }
      OpBuilder builder(op);
      Location loc = op.getLoc();
      std::string calleeName = name.getValue().str();
      if (std::optional<StringRef> overwriting =
              overwritingForm(name.getValue())) {
        if (Operation *init = findZeroInit(op)) {
          init->erase();
          calleeName = overwriting->str();
        }
      }
      SmallVector<Value> operands = {context};
      for (Value operand : op->getOperands()) {
        auto type = erasedType(cast<MemRefType>(operand.getType()));
        operands.push_back(memref::CastOp::create(builder, loc, type, operand));
      }
      linalg::GenericOp epilogue;
      if (takesActivation(name.getValue())) {
        int64_t activation = LOOM_ACTIVATION_NONE;
        if ((epilogue = findEpilogue(op)))
          activation = loom::getActivationKernelId(
              epilogue
                  ->getAttrOfType<loom::ActivationKindAttr>(loom::kEpilogueAttr)
                  .getValue());
        operands.push_back(
            arith::ConstantIntOp::create(builder, loc, activation, 64));
      }
      auto callee = symbols.lookup<func::FuncOp>(calleeName);
      FunctionType type =
          builder.getFunctionType(ValueRange(operands).getTypes(), {});
      if (!callee) {
        OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
        callee = func::FuncOp::create(moduleBuilder, loc, calleeName, type);
        callee.setPrivate();
        callee->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
        symbols.insert(callee);
      } else if (callee.getFunctionType() != type) {
        op.emitError("library call '")
            << calleeName << "' used with another signature";
        return signalPassFailure();
      }
      func::CallOp::create(builder, loc, callee, operands);
      op.erase();
      if (epilogue)
        epilogue.erase();
    }
    eraseUnreadAllocations(module);
  }
};

} // namespace
