//===- CudaTarget.cpp - NVIDIA GPU code generation ------------------------===//

#include "targets/cuda/CudaTarget.h"

#include "targets/Target.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/cpu/Passes.h"
#include "targets/cuda/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdlib>

using namespace mlir;

/// The toolkit `gpu-module-to-binary` runs ptxas and fatbinary from.
static std::string toolkitPath(StringRef option) {
  if (!option.empty())
    return option.str();
  const char *home = std::getenv("CUDA_HOME");
  return home && *home ? home : "/usr/local/cuda";
}

/// True if `chip` (sm_NN, sm_NNa) has TF32 tensor cores: sm_80 and later.
static bool hasTf32TensorCores(StringRef chip) {
  unsigned number = 0;
  return chip.consume_front("sm_") &&
         !chip.take_while(llvm::isDigit).getAsInteger(10, number) &&
         number >= 80;
}

/// Outlines the mapped kernels and compiles them: NVVM, PTX for the chip,
/// and the binary the toolkit's ptxas (and fatbinary) make of it, embedded
/// in the host module; host code (the launches, and `prepare`'s loops)
/// becomes LLVM.
static LogicalResult
addKernelLowering(OpPassManager &pm,
                  const loom::cuda::KernelPipelineOptions &options,
                  function_ref<LogicalResult(const Twine &)> errorHandler) {
  if (!llvm::is_contained({"isa", "bin", "fatbin"}, StringRef(options.format)))
    return errorHandler("format must be isa, bin or fatbin, got '" +
                        Twine(std::string(options.format)) + "'");
  if (!StringRef(options.chip).starts_with("sm_"))
    return errorHandler("the GPU architecture must be sm_NN (sm_80, sm_90a, "
                        "...), got '" +
                        Twine(std::string(options.chip)) + "'");
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline("gpu-kernel-outlining", pm, os)))
    return errorHandler(error);
  pm.addPass(loom::cuda::createLoomMergeGpuModules());
  std::string kernels =
      llvm::formatv("lower-affine,convert-scf-to-cf,canonicalize,cse,"
                    "nvvm-attach-target{{chip={0} features={1} O=3},"
                    "gpu.module(convert-nvgpu-to-nvvm,convert-gpu-to-nvvm),"
                    "func.func(gpu-async-region)",
                    std::string(options.chip), std::string(options.features));
  if (failed(parsePassPipeline(kernels, pm, os)))
    return errorHandler(error);
  if (options.elideHostWaits)
    pm.addNestedPass<func::FuncOp>(loom::cuda::createLoomElideHostWaits());
  // The host's conversions to bf16 (weights converted at load, in
  // `prepare`) as integer arithmetic: x86 has no instruction for them
  // everywhere, and the C runtime no function for them.
  std::string host = llvm::formatv(
      "func.func(arith-expand{{include-bf16=true}),"
      "convert-math-to-llvm,convert-math-to-libm,expand-strided-metadata,"
      "lower-affine,gpu-to-llvm,"
      "finalize-memref-to-llvm{{use-generic-functions},convert-to-llvm,"
      "reconcile-unrealized-casts,"
      "gpu-module-to-binary{{format={0} toolkit={1}}",
      std::string(options.format), toolkitPath(options.toolkit));
  if (failed(parsePassPipeline(host, pm, os)))
    return errorHandler(error);
  return success();
}

LogicalResult loom::cuda::buildKernelPipeline(
    OpPassManager &pm, const KernelPipelineOptions &options,
    function_ref<LogicalResult(const Twine &)> errorHandler) {
  if (options.blockSize < 1 || options.blockSize > 1024)
    return errorHandler("block-size must be in [1, 1024], got " +
                        Twine(int64_t(options.blockSize)));
  LoomMapToGpuOptions map;
  map.blockSize = options.blockSize;
  pm.addPass(createLoomMapToGpu(map));
  return addKernelLowering(pm, options, errorHandler);
}

namespace {

/// The host side of the kernels: the CPU target's code generator, with the
/// translations of the kernels' binaries and launches (embedded, loaded by a
/// constructor) registered.
class CudaCodeGenerator : public loom::CodeGenerator {
public:
  explicit CudaCodeGenerator(std::unique_ptr<loom::CodeGenerator> host)
      : host(std::move(host)) {}

  llvm::Expected<std::unique_ptr<llvm::Module>>
  translate(ModuleOp module, llvm::LLVMContext &context) override {
    DialectRegistry registry;
    registerGPUDialectTranslation(registry);
    registerNVVMDialectTranslation(registry);
    gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
    module.getContext()->appendDialectRegistry(registry);
    return host->translate(module, context);
  }
  llvm::Error emitObject(llvm::Module &module,
                         llvm::raw_pwrite_stream &os) override {
    return host->emitObject(module, os);
  }

private:
  std::unique_ptr<loom::CodeGenerator> host;
};

/// NVIDIA GPUs: every op a generated kernel on device memory; programs also
/// hold the CPU build.
class CudaTarget : public loom::Target {
public:
  StringRef getName() const override { return "cuda"; }
  StringRef getDescription() const override {
    return "NVIDIA GPUs (NVVM, PTX, ptxas), with the CPU build beside it";
  }
  StringRef getHostTargetName() const override { return "cpu"; }
  void buildLoomLowering(OpPassManager &pm,
                         const loom::TargetOptions &) const override {
    pm.addPass(loom::cpu::createLoomExpandExitLoops());
    // A prompt's attention without storing its scores.
    pm.addPass(loom::cuda::createLoomStreamAttention());
  }
  LogicalResult
  buildLinalgLowering(OpPassManager &pm,
                      const loom::TargetOptions &options) const override {
    // Decode's products as partial sums over more threads, on tensors.
    pm.addPass(loom::cuda::createLoomSplitProducts());
    pm.addPass(loom::cuda::createLoomSplitReductions());
    if (failed(loom::cpu::addBufferization(pm)))
      return failure();
    pm.addPass(loom::cpu::createLoomLowerMemRefCopy());
    // The emulation runs threads one at a time: no warp-level products;
    // GPUs before sm_80 have no TF32 tensor cores.
    std::string chip =
        options.chip.empty() ? loom::cuda::kDefaultChip : options.chip;
    if (options.tensorCores && !options.emulateDevice &&
        hasTf32TensorCores(chip))
      pm.addPass(loom::cuda::createLoomUseTensorCores());
    pm.addPass(loom::cuda::createLoomMapToGpu());
    pm.addPass(loom::cuda::createLoomPlaceOnDevice());
    if (options.emulateDevice) {
      // The kernels run on the host, on host memory (tests without a GPU).
      pm.addPass(loom::cuda::createLoomEmulateGpu());
      if (failed(parsePassPipeline(
              "func.func(arith-expand{include-bf16=true}),"
              "lower-affine,convert-scf-to-cf,canonicalize,cse,"
              "convert-math-to-llvm,convert-math-to-libm,"
              "expand-strided-metadata,lower-affine,"
              "finalize-memref-to-llvm{use-generic-functions},"
              "convert-to-llvm,reconcile-unrealized-casts",
              pm, llvm::errs())))
        return failure();
    } else {
      loom::cuda::KernelPipelineOptions kernels;
      kernels.chip = chip;
      if (options.deviceAssembly)
        kernels.format = "isa";
      kernels.elideHostWaits = options.elideHostWaits;
      auto report = [](const Twine &message) {
        llvm::errs() << "error: " << message << "\n";
        return failure();
      };
      if (failed(addKernelLowering(pm, kernels, report)))
        return failure();
    }
    loom::cpu::LoomExportModelOptions exportModel;
    exportModel.symbol = options.modelSymbol;
    pm.addPass(loom::cpu::createLoomExportModel(exportModel));
    return success();
  }
  llvm::Expected<std::unique_ptr<loom::CodeGenerator>>
  createCodeGenerator(const loom::CodegenOptions &options) const override {
    const loom::Target *cpu = loom::lookupTarget(getHostTargetName());
    if (!cpu)
      return llvm::createStringError("the CPU target is not registered");
    auto host = cpu->createCodeGenerator(options);
    if (!host)
      return host.takeError();
    return std::make_unique<CudaCodeGenerator>(std::move(*host));
  }
};

} // namespace

void loom::cuda::registerCudaTargetPasses() { registerLoomCudaPasses(); }

void loom::cuda::registerCudaTarget() {
  loom::registerTarget(std::make_unique<CudaTarget>());
}

void loom::cuda::registerCudaPipelines() {
  registerPassPipeline(
      "loom-cuda-kernels",
      "Bufferized linalg to GPU kernels for NVIDIA GPUs: parallel loops "
      "mapped to blocks and threads, NVVM, PTX, and the binary ptxas makes "
      "of it embedded in the host module",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        KernelPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        return buildKernelPipeline(pm, options, errorHandler);
      },
      [](function_ref<void(const detail::PassOptions &)> handler) {
        handler(KernelPipelineOptions());
      });
}
