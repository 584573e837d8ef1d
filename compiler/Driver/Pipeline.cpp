//===- Pipeline.cpp - loomc's compilation pipelines -----------------------===//

#include "compiler/Driver/Pipeline.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

static constexpr const char *kLoomToLinalg = "inline,symbol-dce,canonicalize,"
                                             "loom-bind-runtime,"
                                             "convert-loom-to-linalg,"
                                             "canonicalize,cse";

LogicalResult loom::buildLoomToLinalgPipeline(OpPassManager &pm) {
  return parsePassPipeline(kLoomToLinalg, pm, llvm::errs());
}

LogicalResult loom::linkExecutable(llvm::StringRef objectPath,
                                   llvm::StringRef outputPath,
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
  for (llvm::StringRef library : {"libLoomRuntimeMain.a", "libLoomRuntime.a"}) {
    llvm::SmallString<256> path(runtimeDir);
    llvm::sys::path::append(path, library);
    if (!llvm::sys::fs::exists(path)) {
      error() << "runtime library '" << path << "' not found\n";
      return failure();
    }
  }
  std::string mainLib = (runtimeDir + "/libLoomRuntimeMain.a").str();
  std::string runtimeLib = (runtimeDir + "/libLoomRuntime.a").str();
  llvm::SmallVector<llvm::StringRef> args = {
      program, objectPath,  mainLib, runtimeLib,
      "-lm",   "-lpthread", "-o",    outputPath};
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
