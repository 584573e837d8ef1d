//===- CudaTarget.cpp - NVIDIA GPU code generation ------------------------===//

#include "targets/cuda/CudaTarget.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdlib>

using namespace mlir;

std::string loom::cuda::kernelPipeline(const KernelPipelineOptions &options) {
  std::string toolkit = options.toolkit;
  if (toolkit.empty()) {
    const char *home = std::getenv("CUDA_HOME");
    toolkit = home && *home ? home : "/usr/local/cuda";
  }
  // Elementwise and reduction loops become parallel loops, tiled into
  // blocks of threads (constant inner bounds, a guard at the edge), mapped
  // to the grid and outlined as kernels; then NVVM, PTX and the binary.
  return llvm::formatv(
             "func.func(convert-linalg-to-parallel-loops,"
             "scf-parallel-loop-tiling{{parallel-loop-tile-sizes={0} "
             "no-min-max-bounds=true},gpu-map-parallel-loops,"
             "convert-parallel-loops-to-gpu,lower-affine),"
             "gpu-kernel-outlining,convert-scf-to-cf,"
             "nvvm-attach-target{{chip={1} features={2} O=3},"
             "gpu.module(convert-gpu-to-nvvm),func.func(gpu-async-region),"
             "gpu-to-llvm,"
             "convert-to-llvm,reconcile-unrealized-casts,"
             "gpu-module-to-binary{{format={3} toolkit={4}}",
             int64_t(options.blockSize), std::string(options.chip),
             std::string(options.features), std::string(options.format),
             toolkit)
      .str();
}

LogicalResult loom::cuda::buildKernelPipeline(
    OpPassManager &pm, const KernelPipelineOptions &options,
    function_ref<LogicalResult(const Twine &)> errorHandler) {
  if (options.blockSize < 1 || options.blockSize > 1024)
    return errorHandler("block-size must be in [1, 1024], got " +
                        Twine(int64_t(options.blockSize)));
  if (!llvm::is_contained({"isa", "bin", "fatbin"}, StringRef(options.format)))
    return errorHandler("format must be isa, bin or fatbin, got '" +
                        Twine(std::string(options.format)) + "'");
  if (!StringRef(options.chip).starts_with("sm_"))
    return errorHandler("chip must name an NVIDIA architecture (sm_80, "
                        "sm_90a, ...), got '" +
                        Twine(std::string(options.chip)) + "'");
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(kernelPipeline(options), pm, os)))
    return errorHandler(error);
  return success();
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
