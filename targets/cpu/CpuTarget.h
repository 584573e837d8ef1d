//===- CpuTarget.h - Lower LLVM-ready modules to host objects ---*- C++ -*-===//
//
// The CPU target: the MLIR pass pipeline from linalg-on-tensors to the LLVM
// dialect, and LLVM IR to a relocatable object for the host (or a given)
// CPU, in process with LLVM's TargetMachine.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_CPU_CPUTARGET_H
#define LOOM_TARGETS_CPU_CPUTARGET_H

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

/// Options of `loom-export-model`.
struct ExportModelOptions {
  /// Name of the exported `loom_model_def`; empty: `loom_model_<Name>` with
  /// the module's `loom.model` name.
  std::string symbol;
  /// Also define `loom_program_model` (executables).
  bool program = false;
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
  ExportModelOptions exportModel;
};

/// Adds the passes that take linalg on tensors (with scf, arith, math) to
/// the LLVM dialect: bufferization, deallocation, loops, and LLVM lowering.
mlir::LogicalResult
buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                          const CpuPipelineOptions &options = {});

/// Turns linalg ops carrying a `library_call` into calls of that C function
/// with dynamically shaped, strided memrefs (after bufferization).
std::unique_ptr<mlir::Pass> createLowerLibraryCallsPass();

/// Replaces math.exp, math.tanh and math.erf by vectorizable polynomials.
std::unique_ptr<mlir::Pass> createApproximateMathPass();

/// Rewrites `memref.copy` as `linalg.copy` so that copies become loops.
std::unique_ptr<mlir::Pass> createLowerMemRefCopyPass();

/// Moves outermost `scf.parallel` loops with enough work into functions that
/// run a range of their first dimension (`loom-outline-parallel-loops`).
std::unique_ptr<mlir::Pass> createOutlineParallelLoopsPass();

/// Turns calls of those functions, in the LLVM dialect, into
/// `loom_parallel_loop` calls on the runtime's thread pool
/// (`loom-lower-parallel-calls`).
std::unique_ptr<mlir::Pass> createLowerParallelCallsPass();

/// Defines the model's exported `loom_model_def` (loom_abi.h) and makes every
/// other symbol internal (`loom-export-model`, on the LLVM dialect).
std::unique_ptr<mlir::Pass>
createExportModelPass(const ExportModelOptions &options);
std::unique_ptr<mlir::Pass> createExportModelPass();

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
