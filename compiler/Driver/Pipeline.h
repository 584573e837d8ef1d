//===- Pipeline.h - loomc's compilation pipelines ---------------*- C++ -*-===//

#ifndef LOOM_COMPILER_DRIVER_PIPELINE_H
#define LOOM_COMPILER_DRIVER_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace loom {

/// `loom` IR from MLIRGen → linalg on tensors bound to the runtime's calling
/// convention: bind the runtime (weights table, KV cache, positions), lower
/// every layer. Blocks stay functions, so their code is emitted once. With
/// `useKernels`, ops the runtime has kernels for call them.
mlir::LogicalResult buildLoomToLinalgPipeline(mlir::OpPassManager &pm,
                                              bool useKernels);

/// What `linkModel` produces.
enum class LinkKind {
  Executable,    ///< a program with the runtime's `main`
  SharedLibrary, ///< a library exporting the loom_model.h C API
};

/// Links `objectPath` with the runtime libraries found in `runtimeDir` into
/// `outputPath`, using the C++ compiler driver `linker` (empty: the first of
/// clang++-22, clang++, g++ on PATH).
mlir::LogicalResult linkModel(llvm::StringRef objectPath,
                              llvm::StringRef outputPath, LinkKind kind,
                              llvm::StringRef runtimeDir,
                              llvm::StringRef linker);

} // namespace loom

#endif // LOOM_COMPILER_DRIVER_PIPELINE_H
