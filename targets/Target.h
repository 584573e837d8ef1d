//===- Target.h - The interface every code generation target implements --===//
//
// A target turns `loom` IR bound to the runtime (--loom-bind-runtime) into
// machine code: a few passes on the bound `loom` IR (runtime kernel calls,
// say), the lowering from linalg on tensors to the LLVM dialect, and code
// generation. `loomc --target=NAME` and the registered pipelines find
// targets here by name; each lives in a library of its own under targets/
// (cpu/ today, cuda/ next) and registers itself.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_TARGET_H
#define LOOM_TARGETS_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class raw_pwrite_stream;
} // namespace llvm

namespace loom {

/// What the driver asks of a target's passes.
struct TargetOptions {
  /// Call the runtime's kernels where it has them (products, attention);
  /// otherwise everything is generated code.
  bool runtimeKernels = true;
  /// Run generated loops on the runtime's threads.
  bool parallelLoops = true;
  /// Name of the exported model definition (empty: `loom_model_<Name>`).
  std::string modelSymbol;
  /// Also define `loom_program_model` (executables).
  bool program = false;
  /// The exported definition of the model's build for a device, which the
  /// host build's definition points to (empty: none).
  std::string deviceModelSymbol;
  /// Device targets: the architecture to compile kernels for (empty: the
  /// target's default).
  std::string chip;
  /// Device targets: run the kernels as host loops on host memory (testing
  /// without the device).
  bool emulateDevice = false;
  /// Device targets: compute the products of many rows on the tensor cores
  /// (in TF32 for f32 weights).
  bool tensorCores = true;
  /// Device targets: let the host queue the next blocks' kernels without
  /// waiting for the device where it reads nothing the device computed.
  bool elideHostWaits = false;
  /// Device targets: embed the kernels' assembly (PTX for CUDA) instead of
  /// their binary (`loomc --emit=ptx`).
  bool deviceAssembly = false;
};

/// What the driver asks of a target's code generator.
struct CodegenOptions {
  /// The processor (LLVM's name for it); empty or "native": the host's.
  std::string cpu;
  /// LLVM optimization level, 0-3.
  unsigned optLevel = 3;
};

/// Machine code for LLVM-dialect modules.
class CodeGenerator {
public:
  virtual ~CodeGenerator();
  /// The optimized LLVM IR of `module`.
  virtual llvm::Expected<std::unique_ptr<llvm::Module>>
  translate(mlir::ModuleOp module, llvm::LLVMContext &context) = 0;
  /// Writes `module` as a relocatable object to `os`.
  virtual llvm::Error emitObject(llvm::Module &module,
                                 llvm::raw_pwrite_stream &os) = 0;
};

/// A code generation target.
class Target {
public:
  virtual ~Target();
  /// Its name for `--target`.
  virtual llvm::StringRef getName() const = 0;
  /// One line for `--help`.
  virtual llvm::StringRef getDescription() const = 0;
  /// Passes on bound `loom` IR, before the generic lowering to linalg.
  virtual void buildLoomLowering(mlir::OpPassManager &pm,
                                 const TargetOptions &options) const = 0;
  /// Linalg on tensors (bound to the runtime) to the LLVM dialect.
  virtual mlir::LogicalResult
  buildLinalgLowering(mlir::OpPassManager &pm,
                      const TargetOptions &options) const = 0;
  /// A code generator for `options`.
  virtual llvm::Expected<std::unique_ptr<CodeGenerator>>
  createCodeGenerator(const CodegenOptions &options) const = 0;
  /// A device target's programs also hold the model built for the host
  /// target of this name (which they run with `--device=cpu`, and whose
  /// definition points to the device build's); empty for host targets.
  virtual llvm::StringRef getHostTargetName() const { return ""; }
};

/// Makes `target` available by its name.
void registerTarget(std::unique_ptr<Target> target);

/// The target called `name`, or null.
const Target *lookupTarget(llvm::StringRef name);

/// The names of the registered targets.
llvm::SmallVector<llvm::StringRef> getTargetNames();

} // namespace loom

#endif // LOOM_TARGETS_TARGET_H
