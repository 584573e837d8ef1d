//===- Pipeline.h - loomc's compilation pipelines ---------------*- C++ -*-===//

#ifndef LOOM_COMPILER_DRIVER_PIPELINE_H
#define LOOM_COMPILER_DRIVER_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace loom {

/// `loom` IR from MLIRGen → linalg on tensors bound to the runtime's calling
/// convention: inline blocks, bind the runtime (weights table, KV cache,
/// positions), lower every layer.
mlir::LogicalResult buildLoomToLinalgPipeline(mlir::OpPassManager &pm);

/// Links `objectPath` with the runtime into the executable `outputPath`.
/// `runtimeDir` holds libLoomRuntime.a and libLoomRuntimeMain.a.
mlir::LogicalResult linkExecutable(llvm::StringRef objectPath,
                                   llvm::StringRef outputPath,
                                   llvm::StringRef runtimeDir,
                                   llvm::StringRef linker);

} // namespace loom

#endif // LOOM_COMPILER_DRIVER_PIPELINE_H
