//===- loom-opt.cpp - The loom optimizer driver ---------------------------===//
//
// MlirOptMain with the loom dialect, its passes and conversions, the CPU
// target's passes, the CUDA target's kernel pipeline, and every upstream
// dialect and pass (a Loom pipeline
// goes all the way to LLVM).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/Passes.h"
#include "compiler/Driver/Pipeline.h"
#include "dialects/Loom/IR/LoomDialect.h"
#include "dialects/Loom/Transforms/Passes.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/cuda/CudaTarget.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<loom::LoomDialect>();
  mlir::registerAllDialects(registry);
  // Interface implementations promised by upstream dialects (the func
  // inliner and bufferization interfaces among them).
  mlir::registerAllExtensions(registry);
  // Serializing GPU modules (the CUDA target) translates them to LLVM IR.
  mlir::registerAllToLLVMIRTranslations(registry);

  mlir::registerAllPasses();
  loom::registerLoomPasses();
  loom::registerLoomConversionPasses();
  loom::cpu::registerCpuTargetPasses();
  loom::cpu::registerCpuTarget();
  loom::cuda::registerCudaPipelines();
  loom::cuda::registerCudaTargetPasses();
  loom::cuda::registerCudaTarget();
  loom::registerLoomPipelines();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Loom optimizer driver\n", registry));
}
