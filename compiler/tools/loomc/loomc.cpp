//===- loomc.cpp - The Loom compiler driver -------------------------------===//
//
// loomc reads a `.loom` model, checks it, and emits one of the compilation
// stages selected with `--emit`.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/Passes.h"
#include "compiler/Driver/DiagnosticBridge.h"
#include "compiler/Driver/Manifest.h"
#include "compiler/Driver/Pipeline.h"
#include "compiler/MLIRGen/MLIRGen.h"
#include "dialects/Loom/IR/LoomDialect.h"
#include "dialects/Loom/Transforms/Passes.h"
#include "dsl/Diagnostics.h"
#include "dsl/Elab.h"
#include "dsl/Parser.h"
#include "targets/cpu/CpuTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Support/ToolUtilities.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#ifndef LOOM_VERSION
#define LOOM_VERSION "unknown"
#endif

using namespace mlir;
using namespace loom;
namespace cl = llvm::cl;

namespace {

/// The compilation stage `loomc` stops at and prints.
enum class EmitAction {
  AST,         ///< the syntax tree of the main file
  MLIR,        ///< `loom` dialect IR
  Params,      ///< the checkpoint manifest (JSON)
  Linalg,      ///< linalg on tensors, bound to the runtime
  LLVMDialect, ///< the LLVM dialect
  LLVMIR,      ///< optimized LLVM IR
  Object,      ///< a relocatable object
  Exe,         ///< an executable linked with the runtime
  Lib,         ///< a shared library with the loom_model.h C API
};

cl::OptionCategory loomcCategory("loomc options");

cl::opt<std::string> inputFilename(cl::Positional,
                                   cl::desc("<input .loom file>"),
                                   cl::init("-"), cl::cat(loomcCategory));

cl::opt<std::string> outputFilename("o", cl::desc("Output file (default: -)"),
                                    cl::value_desc("file"), cl::init("-"),
                                    cl::cat(loomcCategory));

cl::opt<EmitAction> emitAction(
    "emit", cl::desc("Stage to emit:"), cl::init(EmitAction::Exe),
    cl::values(
        clEnumValN(EmitAction::AST, "ast", "the syntax tree"),
        clEnumValN(EmitAction::MLIR, "mlir", "`loom` dialect IR"),
        clEnumValN(EmitAction::Params, "params",
                   "the checkpoint tensors the model reads (JSON)"),
        clEnumValN(EmitAction::Linalg, "linalg",
                   "linalg on tensors bound to the runtime"),
        clEnumValN(EmitAction::LLVMDialect, "llvm-mlir", "the LLVM dialect"),
        clEnumValN(EmitAction::LLVMIR, "llvm", "optimized LLVM IR"),
        clEnumValN(EmitAction::Object, "obj", "an object file"),
        clEnumValN(EmitAction::Exe, "exe", "an executable that runs the model"),
        clEnumValN(EmitAction::Lib, "lib",
                   "a shared library and its C header, loom_model.h")),
    cl::cat(loomcCategory));

enum class Target { CPU };

cl::opt<Target>
    target("target", cl::desc("Code generation target:"), cl::init(Target::CPU),
           cl::values(clEnumValN(Target::CPU, "cpu", "the host CPU (LLVM)")),
           cl::cat(loomcCategory));

cl::opt<std::string> mcpu("mcpu",
                          cl::desc("CPU to generate code for (default: the "
                                   "host, with all its features)"),
                          cl::value_desc("name"), cl::init("native"),
                          cl::cat(loomcCategory));

cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::Prefix, cl::init(3), cl::cat(loomcCategory));

cl::opt<std::string> linker("linker",
                            cl::desc("C++ compiler driver used to link "
                                     "executables (default: clang++-22)"),
                            cl::value_desc("program"), cl::cat(loomcCategory));

cl::list<std::string> defines("D", cl::Prefix,
                              cl::desc("Override a config entry"),
                              cl::value_desc("name=value"),
                              cl::cat(loomcCategory));

cl::list<std::string>
    includeDirs("I", cl::Prefix, cl::desc("Add a directory searched by import"),
                cl::value_desc("dir"), cl::cat(loomcCategory));

cl::opt<std::string> modelName("model",
                               cl::desc("Model to compile when the file "
                                        "defines several"),
                               cl::value_desc("name"), cl::cat(loomcCategory));

cl::opt<bool> noLocations("no-locations",
                          cl::desc("Do not print .loom source locations in "
                                   "emitted IR"),
                          cl::init(false), cl::cat(loomcCategory));

cl::opt<bool> splitInputFile(
    "split-input-file",
    cl::desc("Compile each '// -----' separated chunk of the input "
             "independently (for tests)"),
    cl::init(false), cl::cat(loomcCategory));

cl::opt<bool> verifyDiagnostics(
    "verify-diagnostics",
    cl::desc("Check diagnostics against expected-* comments (for tests)"),
    cl::init(false), cl::cat(loomcCategory));

/// Parses the `-D name=value` flags. Reports malformed ones and fails.
LogicalResult parseDefines(dsl::ElabOptions &options) {
  for (const std::string &define : defines) {
    auto [name, value] = llvm::StringRef(define).split('=');
    name = name.trim();
    if (name.empty() || !llvm::StringRef(define).contains('=')) {
      llvm::WithColor::error(llvm::errs(), "loomc")
          << "-D expects name=value, got '" << define << "'\n";
      return failure();
    }
    options.overrides.emplace_back(name.str(), value.trim().str());
  }
  return success();
}

/// Prints `module` with the user's printing flags.
void printModule(ModuleOp module, llvm::raw_ostream &os) {
  OpPrintingFlags flags;
  if (!noLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module->print(os, flags);
  os << "\n";
}

/// The output file of the current invocation (binary stages write to it).
llvm::ToolOutputFile *outputFile = nullptr;

/// `<prefix>/<name>` where loomc is `<prefix>/bin/loomc`: the runtime
/// libraries are in `lib`, the embedding header in `include/loom`.
std::string installDir(llvm::StringRef name) {
  std::string self = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&installDir));
  llvm::SmallString<256> dir(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(dir, name);
  return std::string(dir);
}

/// Writes the embedding header next to the library at `libraryPath`.
LogicalResult writeModelHeader(llvm::StringRef libraryPath) {
  llvm::SmallString<256> source(installDir("include"));
  llvm::sys::path::append(source, "loom", "loom_model.h");
  llvm::SmallString<256> target(llvm::sys::path::parent_path(libraryPath));
  llvm::sys::path::append(target, "loom_model.h");
  if (std::error_code ec = llvm::sys::fs::copy_file(source, target)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "cannot write '" << target << "' from '" << source
        << "': " << ec.message() << "\n";
    return failure();
  }
  return success();
}

/// Lowers `module` (loom IR) as far as `--emit` asks and writes the result.
LogicalResult emitLowered(ModuleOp module, llvm::raw_ostream &os) {
  if (emitAction == EmitAction::MLIR) {
    printModule(module, os);
    return success();
  }
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)) ||
      failed(buildLoomToLinalgPipeline(pm)))
    return failure();
  if (emitAction != EmitAction::Linalg &&
      failed(cpu::buildLinalgToLLVMPipeline(pm)))
    return failure();
  if (failed(pm.run(module)))
    return failure();
  if (emitAction == EmitAction::Linalg ||
      emitAction == EmitAction::LLVMDialect) {
    printModule(module, os);
    return success();
  }

  auto reportError = [](llvm::Error error) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << llvm::toString(std::move(error)) << "\n";
    return failure();
  };
  auto machine = cpu::createTargetMachine({mcpu, optLevel});
  if (!machine)
    return reportError(machine.takeError());
  llvm::LLVMContext llvmContext;
  auto llvmModule =
      cpu::translateToLLVMIR(module, llvmContext, **machine, optLevel);
  if (!llvmModule)
    return reportError(llvmModule.takeError());
  if (emitAction == EmitAction::LLVMIR) {
    (*llvmModule)->print(os, nullptr);
    return success();
  }
  if (emitAction == EmitAction::Object) {
    if (llvm::Error error =
            cpu::emitObject(**llvmModule, **machine, outputFile->os()))
      return reportError(std::move(error));
    return success();
  }

  // An executable or a library: a temporary object linked with the runtime.
  llvm::SmallString<128> objectPath;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("loom", "o", fd, objectPath)) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "cannot create a temporary object file: " << ec.message() << "\n";
    return failure();
  }
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream objectStream(fd, /*shouldClose=*/true);
    if (llvm::Error error =
            cpu::emitObject(**llvmModule, **machine, objectStream))
      return reportError(std::move(error));
  }
  if (emitAction == EmitAction::Exe)
    return linkModel(objectPath, outputFilename, LinkKind::Executable,
                     installDir("lib"), linker);
  if (failed(linkModel(objectPath, outputFilename, LinkKind::SharedLibrary,
                       installDir("lib"), linker)))
    return failure();
  return writeModelHeader(outputFilename);
}

/// Compiles one input buffer and prints the selected stage to `os`.
LogicalResult compileBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                            const dsl::ElabOptions &options,
                            llvm::raw_ostream &os) {
  llvm::SourceMgr srcMgr;
  srcMgr.setIncludeDirs(options.includeDirs);
  unsigned bufferId =
      srcMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<LoomDialect>();
  MLIRContext ctx(registry);
  ctx.loadDialect<LoomDialect, func::FuncDialect>();

  std::unique_ptr<SourceMgrDiagnosticHandler> handler;
  SourceMgrDiagnosticVerifierHandler *verifier = nullptr;
  if (verifyDiagnostics) {
    auto verifierHandler =
        std::make_unique<SourceMgrDiagnosticVerifierHandler>(srcMgr, &ctx);
    verifier = verifierHandler.get();
    handler = std::move(verifierHandler);
  } else {
    handler = std::make_unique<SourceMgrDiagnosticHandler>(srcMgr, &ctx);
  }

  LogicalResult result = [&]() -> LogicalResult {
    dsl::DiagnosticEngine diags(srcMgr);
    DiagnosticBridge bridge(&ctx, diags);

    if (emitAction == EmitAction::AST) {
      std::unique_ptr<dsl::File> file = dsl::parseFile(srcMgr, bufferId, diags);
      bridge.flush();
      if (!file)
        return failure();
      dsl::printAST(*file, os);
      return success();
    }

    std::unique_ptr<dsl::Model> model =
        dsl::elaborate(srcMgr, bufferId, options, diags);
    bridge.flush();
    if (!model || diags.hadError())
      return failure();

    OwningOpRef<ModuleOp> module = mlirGen(ctx, *model, srcMgr);
    if (!module)
      return failure();

    if (emitAction == EmitAction::Params)
      return writeManifest(*module, os);

    return emitLowered(*module, os);
  }();

  if (verifier)
    return verifier->verify();
  return result;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAllPasses();
  registerLoomPasses();
  loom::registerLoomConversionPasses();
  registerMLIRContextCLOptions();
  registerAsmPrinterCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "loomc " LOOM_VERSION " (MLIR/LLVM " LLVM_VERSION_STRING ")\n";
  });
  // LLVM and MLIR register hundreds of options; show loomc's own. The MLIR
  // debugging options stay usable (and are listed by --help-hidden).
  cl::HideUnrelatedOptions(loomcCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "loomc: compile a Loom (.loom) transformer model\n\n"
      "  loomc model.loom -D layers=2 -o model   compile to an executable\n"
      "  loomc model.loom --emit=mlir             print the loom IR\n\n"
      "MLIR's debugging flags (--mlir-print-ir-after-all, --mlir-timing, ...)\n"
      "are accepted too; --help-hidden lists them.\n");

  dsl::ElabOptions options;
  options.modelName = modelName;
  options.includeDirs.assign(includeDirs.begin(), includeDirs.end());
  if (failed(parseDefines(options)))
    return 1;

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFilename, &errorMessage);
  if (!input) {
    llvm::WithColor::error(llvm::errs(), "loomc") << errorMessage << "\n";
    return 1;
  }
  bool linked = emitAction == EmitAction::Exe || emitAction == EmitAction::Lib;
  bool binary = emitAction == EmitAction::Object || linked;
  if (binary && splitInputFile) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "--split-input-file cannot be used with --emit=obj, exe or lib\n";
    return 1;
  }
  if (linked && outputFilename == "-") {
    // Like a C compiler: `model.loom` gives `./model` or `./libmodel.so`.
    llvm::StringRef stem = llvm::sys::path::stem(inputFilename);
    std::string base =
        stem.empty() || inputFilename == "-" ? std::string("a") : stem.str();
    outputFilename = emitAction == EmitAction::Exe
                         ? (base == "a" ? std::string("a.out") : base)
                         : "lib" + base + ".so";
  }
  if (optLevel > 3) {
    llvm::WithColor::error(llvm::errs(), "loomc")
        << "-O" << optLevel << " is not an optimization level (0-3)\n";
    return 1;
  }
  // Linked outputs are written by the linker, not through this stream.
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(
      linked ? std::string("-") : std::string(outputFilename), &errorMessage);
  outputFile = output.get();
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "loomc") << errorMessage << "\n";
    return 1;
  }

  auto process = [&](std::unique_ptr<llvm::MemoryBuffer> chunk,
                     llvm::raw_ostream &os) {
    return compileBuffer(std::move(chunk), options, os);
  };
  LogicalResult result =
      splitInputFile
          ? splitAndProcessBuffer(std::move(input), process, output->os(),
                                  kDefaultSplitMarker, kDefaultSplitMarker)
          : process(std::move(input), output->os());
  if (failed(result))
    return 1;
  output->keep();
  return 0;
}
