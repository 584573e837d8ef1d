//===- Manifest.h - The checkpoint tensors a model reads --------*- C++ -*-===//
//
// A model's manifest lists every checkpoint tensor the compiled program will
// load: its name, shape and dtype, as JSON:
//
//   {"model": "Llama", "tensors": [{"name": "lm_head.weight",
//                                   "shape": [32000, 768], "dtype": "F32"}]}
//
// `scripts/make_checkpoint.py` turns a manifest into a random checkpoint.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_DRIVER_MANIFEST_H
#define LOOM_COMPILER_DRIVER_MANIFEST_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace loom {

/// Writes the manifest of `module` (every `loom.param` read from the
/// checkpoint) to `os`.
mlir::LogicalResult writeManifest(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace loom

#endif // LOOM_COMPILER_DRIVER_MANIFEST_H
