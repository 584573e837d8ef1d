//===- CudaTarget.h - NVIDIA GPU code generation ----------------*- C++ -*-===//
//
// The CUDA target: bufferized linalg becomes GPU kernels (one thread an
// element, blocks of `block-size`; `--loom-map-to-gpu`) over device memory
// (`--loom-place-on-device`), lowered to NVVM, compiled to PTX for `chip`
// and assembled by the toolkit's ptxas and fatbinary into the host module
// (`gpu.binary`), with `gpu.launch_func` calls that MLIR's host lowering
// turns into the runtime's `mgpu*` entry points (runtime/lib/GpuRuntime.cpp).
// `loomc --target=cuda` links the model built this way with the same model
// built for the CPU, whose definition points to it (loom_abi.h).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_CUDA_CUDATARGET_H
#define LOOM_TARGETS_CUDA_CUDATARGET_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace loom::cuda {

/// The architecture kernels are compiled for by default: its PTX (in the
/// fatbin) also runs on later GPUs, which the driver compiles it for.
inline constexpr const char *kDefaultChip = "sm_80";

/// Options of `--loom-cuda-kernels`.
struct KernelPipelineOptions
    : mlir::PassPipelineOptions<KernelPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("the GPU architecture (sm_80, "
                                          "sm_90a, ...)"),
                           llvm::cl::init("sm_90a")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (sm_90a needs PTX 8.0: +ptx80)"),
      llvm::cl::init("+ptx80")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("what the host module embeds: isa (PTX text), bin "
                     "(a cubin from ptxas) or fatbin"),
      llvm::cl::init("fatbin")};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("the CUDA toolkit (ptxas, fatbinary, libdevice); "
                     "default $CUDA_HOME, else /usr/local/cuda"),
      llvm::cl::init("")};
  Option<bool> elideHostWaits{
      *this, "elide-host-waits",
      llvm::cl::desc("let the host queue the next blocks' kernels without "
                     "waiting for the GPU (--loom-elide-host-waits)"),
      llvm::cl::init(false)};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("threads a block"),
                            llvm::cl::init(256)};
};

/// Adds the kernel pipeline to `pm` (on a module): `--loom-map-to-gpu`, then
/// the kernels outlined into one GPU module and compiled for `chip`, and the
/// host code lowered to LLVM; a bad option is reported through
/// `errorHandler`.
mlir::LogicalResult buildKernelPipeline(
    mlir::OpPassManager &pm, const KernelPipelineOptions &options,
    llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)> errorHandler);

/// Registers `--loom-cuda-kernels` with the pass registry.
void registerCudaPipelines();

/// Registers the CUDA target's passes (for loom-opt).
void registerCudaTargetPasses();

/// Registers the CUDA target (`--target=cuda`) with the target registry.
void registerCudaTarget();

} // namespace loom::cuda

#endif // LOOM_TARGETS_CUDA_CUDATARGET_H
