//===- CpuTarget.h - Lower LLVM-ready modules to host objects ---*- C++ -*-===//
//
// The CPU target: the MLIR pass pipeline from linalg-on-tensors to the LLVM
// dialect, and LLVM IR to a relocatable object for the host (or a given)
// CPU, in process with LLVM's TargetMachine.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_CPU_CPUTARGET_H
#define LOOM_TARGETS_CPU_CPUTARGET_H

#include "targets/cpu/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace loom::cpu {

/// Code generation options of the CPU target.
struct CpuTargetOptions {
  /// LLVM CPU name (`znver4`, `x86-64-v3`, ...); empty or "native" for the
  /// host CPU and all of its features.
  std::string cpu;
  /// LLVM optimization level, 0-3.
  unsigned optLevel = 3;
};

/// Options of the linalg → LLVM pipeline.
struct CpuPipelineOptions {
  /// Call the runtime's kernels for ops that name one (`library_call`);
  /// otherwise every op becomes generated loops.
  bool useRuntimeKernels = true;
  /// Run the outer dimension of generated parallel loops on the runtime's
  /// thread pool.
  bool parallelLoops = true;
  /// The exported model definition (`loom-export-model`, last).
  LoomExportModelOptions exportModel;
};

/// Adds the passes that take linalg on tensors (with scf, arith, math) to
/// the LLVM dialect: bufferization, deallocation, loops, and LLVM lowering.
mlir::LogicalResult
buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                          const CpuPipelineOptions &options = {});

/// Adds bufferization (linalg on tensors to linalg on buffers) and the
/// ownership-based deallocation, as the CPU pipeline runs them; the CUDA
/// target's host code shares them.
mlir::LogicalResult addBufferization(mlir::OpPassManager &pm);

/// Registers the CPU target (`--target=cpu`) with the target registry.
void registerCpuTarget();

/// Registers the CPU target's passes (for loom-opt).
void registerCpuTargetPasses();

/// Creates the target machine for `options`.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CpuTargetOptions &options);

/// Translates an LLVM-dialect module to LLVM IR optimized for `machine`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                  llvm::TargetMachine &machine, unsigned optLevel);

/// Writes `module` as a relocatable object to `os`.
llvm::Error emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                       llvm::raw_pwrite_stream &os);

} // namespace loom::cpu

#endif // LOOM_TARGETS_CPU_CPUTARGET_H
