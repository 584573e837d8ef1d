//===- Pipeline.cpp - loomc's compilation pipelines -----------------------===//

#include "compiler/Driver/Pipeline.h"

#include "compiler/Conversion/Passes.h"
#include "dialects/Loom/Transforms/Passes.h"
#include "targets/cpu/CpuTarget.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

void loom::buildLoomOptimizationPipeline(OpPassManager &pm,
                                         const LoomPipelineOptions &options) {
  // Attention as separate projections, so that the fusions (and later
  // pruning) see them; the runtime binding decomposes it anyway.
  pm.addPass(createLoomDecomposeAttention());
  if (options.fuseQKV)
    pm.addPass(createLoomFuseQKV());
  if (options.fuseGateUp)
    pm.addPass(createLoomFuseGateUp());
  // Folds concatenations of a split's pieces (GPT-2's c_attn back to one
  // tensor) before what is left becomes derived weights.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLoomDeriveWeights());
  pm.addPass(createSymbolDCEPass());
}

LogicalResult
loom::buildLoomToLinalgPipeline(OpPassManager &pm,
                                const LoomPipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  LoomBindRuntimeOptions bind;
  bind.packWeights = options.runtimeKernels;
  bind.weightType = options.weightType;
  pm.addPass(createLoomBindRuntime(bind));
  ConvertLoomToLinalgOptions lower;
  lower.useKernels = options.runtimeKernels;
  pm.addPass(createConvertLoomToLinalg(lower));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return success();
}

LogicalResult loom::buildCpuPipeline(OpPassManager &pm,
                                     const LoomPipelineOptions &options) {
  buildLoomOptimizationPipeline(pm, options);
  if (failed(buildLoomToLinalgPipeline(pm, options)))
    return failure();
  cpu::CpuPipelineOptions cpuOptions;
  cpuOptions.useRuntimeKernels = options.runtimeKernels;
  cpuOptions.parallelLoops = options.parallelLoops;
  cpuOptions.exportModel.symbol = options.modelSymbol;
  cpuOptions.exportModel.program = options.program;
  return cpu::buildLinalgToLLVMPipeline(pm, cpuOptions);
}

void loom::registerLoomPipelines() {
  PassPipelineRegistration<LoomPipelineOptions>(
      "loom-optimize-pipeline",
      "loom → loom: decompose attention, fuse projections, derive weights",
      buildLoomOptimizationPipeline);
  PassPipelineRegistration<LoomPipelineOptions>(
      "loom-to-linalg-pipeline",
      "loom → linalg on tensors bound to the runtime",
      [](OpPassManager &pm, const LoomPipelineOptions &options) {
        (void)buildLoomToLinalgPipeline(pm, options);
      });
  PassPipelineRegistration<LoomPipelineOptions>(
      "loom-cpu-pipeline",
      "loom → LLVM dialect for the CPU: what loomc runs",
      [](OpPassManager &pm, const LoomPipelineOptions &options) {
        (void)buildCpuPipeline(pm, options);
      });
}

LogicalResult loom::linkModel(llvm::StringRef objectPath,
                              llvm::StringRef outputPath, LinkKind kind,
                              llvm::StringRef runtimeDir,
                              llvm::StringRef linker) {
  auto error = []() -> llvm::raw_ostream & {
    return llvm::WithColor::error(llvm::errs(), "loomc");
  };
  std::string program;
  if (!linker.empty()) {
    llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName(linker);
    if (!found) {
      error() << "linker '" << linker << "' not found\n";
      return failure();
    }
    program = *found;
  } else {
    for (llvm::StringRef candidate : {"clang++-22", "clang++", "g++"}) {
      if (llvm::ErrorOr<std::string> found =
              llvm::sys::findProgramByName(candidate)) {
        program = *found;
        break;
      }
    }
    if (program.empty()) {
      error() << "no C++ linker driver found (tried clang++-22, clang++, "
                 "g++); pass --linker\n";
      return failure();
    }
  }

  auto library = [&](llvm::StringRef name) {
    llvm::SmallString<256> path(runtimeDir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  std::string mainLib = library("libLoomRuntimeMain.a");
  std::string modelLib = library("libLoomRuntimeModel.a");
  std::string runtimeLib = library("libLoomRuntime.a");
  for (const std::string &path : {mainLib, modelLib, runtimeLib}) {
    if (kind == LinkKind::SharedLibrary && path == mainLib)
      continue;
    if (!llvm::sys::fs::exists(path)) {
      error() << "runtime library '" << path << "' not found\n";
      return failure();
    }
  }

  llvm::SmallVector<llvm::StringRef> args = {program, objectPath};
  if (kind == LinkKind::Executable) {
    args.append({mainLib, modelLib, runtimeLib});
  } else {
    // Export the whole embedding API, not just what the model refers to.
    args.append({"-shared", "-Wl,--whole-archive", modelLib,
                 "-Wl,--no-whole-archive", runtimeLib});
  }
  args.append({"-lm", "-lpthread", "-o", outputPath});
  std::string message;
  int status = llvm::sys::ExecuteAndWait(program, args, /*Env=*/std::nullopt,
                                         /*Redirects=*/{}, 0, 0, &message);
  if (status != 0) {
    error() << "linking '" << outputPath << "' failed"
            << (message.empty() ? "" : ": " + message) << "\n";
    return failure();
  }
  return success();
}
