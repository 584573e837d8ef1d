//===- LowerLibraryCalls.cpp - linalg ops with a library_call to calls ----===//
//
// After bufferization, a linalg op carrying `library_call = "name"` becomes a
// call of `name` on its operands, each cast to a memref with a dynamic shape
// and strided layout, so that one C function (`_mlir_ciface_name`) serves
// every shape. Ops without the attribute are left to the loop lowering.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/CpuTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"

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

struct LowerLibraryCallsPass
    : PassWrapper<LowerLibraryCallsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerLibraryCallsPass)

  StringRef getArgument() const final { return "loom-lower-library-calls"; }
  StringRef getDescription() const final {
    return "Turn linalg ops with a library_call into calls of C kernels";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<func::FuncDialect, memref::MemRefDialect>();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    WalkResult result = module.walk([&](linalg::GenericOp op) {
      StringAttr name = op.getLibraryCallAttr();
      if (!name)
        return WalkResult::advance();
      if (!op.hasPureBufferSemantics()) {
        op.emitError("library calls need buffers: bufferize first");
        return WalkResult::interrupt();
      }
      OpBuilder builder(op);
      Location loc = op.getLoc();
      SmallVector<Value> operands;
      for (Value operand : op->getOperands()) {
        auto type = erasedType(cast<MemRefType>(operand.getType()));
        operands.push_back(memref::CastOp::create(builder, loc, type, operand));
      }
      auto callee = symbols.lookup<func::FuncOp>(name.getValue());
      FunctionType type =
          builder.getFunctionType(ValueRange(operands).getTypes(), {});
      if (!callee) {
        OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
        callee =
            func::FuncOp::create(moduleBuilder, loc, name.getValue(), type);
        callee.setPrivate();
        callee->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
        symbols.insert(callee);
      } else if (callee.getFunctionType() != type) {
        op.emitError("library call '")
            << name.getValue() << "' used with another signature";
        return WalkResult::interrupt();
      }
      func::CallOp::create(builder, loc, callee, operands);
      op.erase();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> loom::cpu::createLowerLibraryCallsPass() {
  return std::make_unique<LowerLibraryCallsPass>();
}
