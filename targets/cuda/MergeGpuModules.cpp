//===- MergeGpuModules.cpp - Every kernel in one GPU module ---------------===//
//
// `loom-merge-gpu-modules`: `gpu-kernel-outlining` makes a module per
// kernel, and `gpu-module-to-binary` runs ptxas and fatbinary once per
// module: a model's hundred kernels took a hundred of each. One module
// compiles at once and loads once.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMMERGEGPUMODULES
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

namespace {

struct MergeGpuModulesPass
    : loom::cuda::impl::LoomMergeGpuModulesBase<MergeGpuModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto modules = llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
    if (modules.size() < 2)
      return;
    gpu::GPUModuleOp target = modules.front();
    SymbolTable targetSymbols(target);
    // Where each moved symbol lives now.
    DenseMap<SymbolRefAttr, SymbolRefAttr> moved;
    for (gpu::GPUModuleOp source : llvm::drop_begin(modules)) {
      if (source.getTargetsAttr() != target.getTargetsAttr()) {
        source.emitError("cannot merge GPU modules with different targets");
        return signalPassFailure();
      }
      for (Operation &op :
           llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol) {
          op.emitError("cannot move this op out of its GPU module");
          return signalPassFailure();
        }
        StringAttr oldName = symbol.getNameAttr();
        op.remove();
        // Renamed if the name is taken.
        StringAttr newName = targetSymbols.insert(&op);
        moved[SymbolRefAttr::get(source.getNameAttr(),
                                 {FlatSymbolRefAttr::get(oldName)})] =
            SymbolRefAttr::get(target.getNameAttr(),
                               {FlatSymbolRefAttr::get(newName)});
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = moved.find(launch.getKernel());
      if (it != moved.end())
        launch.setKernelAttr(it->second);
    });
    for (gpu::GPUModuleOp source : llvm::drop_begin(modules))
      source.erase();
  }
};

} // namespace
