//===- Pipeline.cpp - loomc's compilation pipelines -----------------------===//

#include "compiler/Driver/Pipeline.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

LogicalResult loom::buildLoomToLinalgPipeline(OpPassManager &pm,
                                              bool useKernels) {
  std::string kernels = useKernels ? "true" : "false";
  std::string pipeline =
      "symbol-dce,canonicalize,loom-bind-runtime{pack-weights=" + kernels +
      "},convert-loom-to-linalg{use-kernels=" + kernels + "},canonicalize,cse";
  return parsePassPipeline(pipeline, pm, llvm::errs());
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
