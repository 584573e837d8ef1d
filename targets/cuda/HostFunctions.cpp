//===- HostFunctions.cpp - Which code runs where on the CUDA target -------===//

#include "targets/cuda/HostFunctions.h"

#include "runtime/include/loom/loom_abi.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SmallVector.h"

using namespace mlir;

/// The functions reachable from `roots` through direct calls.
static llvm::DenseSet<func::FuncOp> reachable(SymbolTable &symbols,
                                              ArrayRef<func::FuncOp> roots) {
  llvm::DenseSet<func::FuncOp> seen;
  SmallVector<func::FuncOp> work;
  for (func::FuncOp root : roots)
    if (root && seen.insert(root).second)
      work.push_back(root);
  while (!work.empty()) {
    func::FuncOp function = work.pop_back_val();
    function.walk([&](func::CallOp call) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (callee && seen.insert(callee).second)
        work.push_back(callee);
    });
  }
  return seen;
}

/// True if every buffer `function` takes is host bookkeeping.
static bool readsOnlyBookkeeping(func::FuncOp function) {
  return llvm::all_of(function.getArgumentTypes(), [](Type type) {
    return !isa<BaseMemRefType>(type) || loom::cuda::isHostBookkeeping(type);
  });
}

FailureOr<llvm::DenseSet<func::FuncOp>>
loom::cuda::findHostFunctions(ModuleOp module) {
  SymbolTable symbols(module);
  auto prepare = symbols.lookup<func::FuncOp>(LOOM_ENTRY_PREPARE);
  llvm::DenseSet<func::FuncOp> host = reachable(symbols, {prepare});
  llvm::DenseSet<func::FuncOp> device = reachable(
      symbols, {symbols.lookup<func::FuncOp>(LOOM_ENTRY_FORWARD),
                symbols.lookup<func::FuncOp>(LOOM_ENTRY_FORWARD_LAST)});
  for (func::FuncOp function : host) {
    // Helpers on the host's bookkeeping alone (the deallocation's) serve
    // both.
    if (!device.contains(function) || function.isExternal() ||
        readsOnlyBookkeeping(function))
      continue;
    function.emitError("'")
        << function.getSymName()
        << "' is called both by prepare, which runs on the host, and by the "
           "forward entry points, which run on the GPU";
    return failure();
  }
  return host;
}

bool loom::cuda::isHostBookkeeping(Type memrefType) {
  auto type = dyn_cast<BaseMemRefType>(memrefType);
  if (!type)
    return false;
  Type element = type.getElementType();
  return element.isIndex() || element.isInteger(1);
}

Value loom::cuda::viewedBuffer(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  return memref;
}
