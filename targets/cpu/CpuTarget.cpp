//===- CpuTarget.cpp - Lower LLVM-ready modules to host objects -----------===//

#include "targets/cpu/CpuTarget.h"

#include "targets/Target.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

/// linalg on tensors → LLVM dialect. Loops are plain (not yet tiled or
/// vectorized); buffers get freed by the ownership-based deallocation.
static constexpr const char *kBufferize =
    "eliminate-empty-tensors,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map "
    "allow-return-allocs-from-loops},"
    "canonicalize,"
    "buffer-deallocation-pipeline,"
    "convert-bufferization-to-memref";

/// After bufferization, with copies as linalg.copy: loops (their parallel
/// dimensions as scf.parallel) ...
static constexpr const char *kToLoops = "convert-linalg-to-parallel-loops";

/// ... then LLVM.
static constexpr const char *kLoopsToLLVM =
    "lower-affine,"
    "convert-scf-to-cf,"
    "canonicalize,cse,"
    "convert-math-to-llvm,"
    "convert-math-to-libm,"
    "expand-strided-metadata,"
    "lower-affine,"
    "finalize-memref-to-llvm{use-generic-functions},"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "convert-ub-to-llvm,"
    "convert-cf-to-llvm,"
    "convert-func-to-llvm,"
    "reconcile-unrealized-casts";

LogicalResult loom::cpu::addBufferization(OpPassManager &pm) {
  return parsePassPipeline(kBufferize, pm, llvm::errs());
}

LogicalResult
loom::cpu::buildLinalgToLLVMPipeline(OpPassManager &pm,
                                     const CpuPipelineOptions &options) {
  if (failed(addBufferization(pm)))
    return failure();
  if (options.useRuntimeKernels)
    pm.addPass(createLoomLowerLibraryCalls());
  pm.addPass(createLoomLowerMemRefCopy());
  pm.addPass(createLoomApproximateMath());
  if (failed(parsePassPipeline(kToLoops, pm, llvm::errs())))
    return failure();
  if (options.parallelLoops)
    pm.addPass(createLoomOutlineParallelLoops());
  if (failed(parsePassPipeline(kLoopsToLLVM, pm, llvm::errs())))
    return failure();
  if (options.parallelLoops)
    pm.addPass(createLoomLowerParallelCalls());
  pm.addPass(createLoomExportModel(options.exportModel));
  return success();
}

void loom::cpu::registerCpuTargetPasses() { registerLoomCpuPasses(); }

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
loom::cpu::createTargetMachine(const CpuTargetOptions &options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError(error);

  std::string cpu = options.cpu;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures featureSet;
    for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
      featureSet.AddFeature(feature, enabled);
    features = featureSet.getString();
  } else if (!target->createMCSubtargetInfo(triple, cpu, "")
                  ->isCPUStringValid(cpu)) {
    return llvm::createStringError("unknown CPU '" + cpu + "' for target " +
                                   triple.str());
  }

  llvm::TargetOptions targetOptions;
  auto level = static_cast<llvm::CodeGenOptLevel>(options.optLevel);
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(triple, cpu, features, targetOptions,
                                  llvm::Reloc::PIC_, std::nullopt, level));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for " +
                                   triple.str());
  return machine;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
loom::cpu::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                             llvm::TargetMachine &machine, unsigned optLevel) {
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return llvm::createStringError("translation to LLVM IR failed");
  llvmModule->setDataLayout(machine.createDataLayout());
  llvmModule->setTargetTriple(machine.getTargetTriple());
  auto optimize =
      makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, &machine);
  if (llvm::Error error = optimize(llvmModule.get()))
    return std::move(error);
  return llvmModule;
}

llvm::Error loom::cpu::emitObject(llvm::Module &module,
                                  llvm::TargetMachine &machine,
                                  llvm::raw_pwrite_stream &os) {
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  passes.run(module);
  return llvm::Error::success();
}

namespace {

/// Machine code for the host (or a given) CPU, in process.
class CpuCodeGenerator : public loom::CodeGenerator {
public:
  CpuCodeGenerator(std::unique_ptr<llvm::TargetMachine> machine,
                   unsigned optLevel)
      : machine(std::move(machine)), optLevel(optLevel) {}

  llvm::Expected<std::unique_ptr<llvm::Module>>
  translate(ModuleOp module, llvm::LLVMContext &context) override {
    return loom::cpu::translateToLLVMIR(module, context, *machine, optLevel);
  }
  llvm::Error emitObject(llvm::Module &module,
                         llvm::raw_pwrite_stream &os) override {
    return loom::cpu::emitObject(module, *machine, os);
  }

private:
  std::unique_ptr<llvm::TargetMachine> machine;
  unsigned optLevel;
};

/// The CPU: products and attention through the runtime's kernels, generated
/// loops for the rest, on the runtime's threads.
class CpuTarget : public loom::Target {
public:
  StringRef getName() const override { return "cpu"; }
  StringRef getDescription() const override {
    return "the host CPU (LLVM), with the runtime's threaded kernels";
  }
  void buildLoomLowering(OpPassManager &pm,
                         const loom::TargetOptions &options) const override {
    if (!options.runtimeKernels) {
      pm.addPass(loom::cpu::createLoomExpandExitLoops());
      return;
    }
    pm.addPass(loom::cpu::createLoomLowerAttentionCalls());
    pm.addPass(loom::cpu::createLoomLowerEmbeddingCalls());
    pm.addPass(loom::cpu::createLoomLowerQuantizedCalls());
    pm.addPass(loom::cpu::createLoomLowerPruneCalls());
    pm.addPass(loom::cpu::createLoomLowerLowRankCalls());
    pm.addPass(loom::cpu::createLoomLowerSmoothCalls());
    pm.addPass(loom::cpu::createLoomLowerObserveCalls());
    pm.addPass(loom::cpu::createLoomLowerMoECalls());
    pm.addPass(loom::cpu::createLoomLowerExitLoops());
  }
  LogicalResult
  buildLinalgLowering(OpPassManager &pm,
                      const loom::TargetOptions &options) const override {
    loom::cpu::CpuPipelineOptions cpuOptions;
    cpuOptions.useRuntimeKernels = options.runtimeKernels;
    cpuOptions.parallelLoops = options.parallelLoops;
    cpuOptions.exportModel.symbol = options.modelSymbol;
    cpuOptions.exportModel.program = options.program;
    cpuOptions.exportModel.device = options.deviceModelSymbol;
    return loom::cpu::buildLinalgToLLVMPipeline(pm, cpuOptions);
  }
  llvm::Expected<std::unique_ptr<loom::CodeGenerator>>
  createCodeGenerator(const loom::CodegenOptions &options) const override {
    auto machine =
        loom::cpu::createTargetMachine({options.cpu, options.optLevel});
    if (!machine)
      return machine.takeError();
    return std::make_unique<CpuCodeGenerator>(std::move(*machine),
                                              options.optLevel);
  }
};

} // namespace

void loom::cpu::registerCpuTarget() {
  registerTarget(std::make_unique<CpuTarget>());
}
