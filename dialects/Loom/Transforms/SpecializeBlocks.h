//===- SpecializeBlocks.h - A copy of a block per way of calling it -*- C++
//-*-===//
//
// A block (a private function called once per layer) is one piece of code
// for every layer. A weight rewrite that treats its layers differently
// (more bits for some layers' products) gives each distinct treatment its
// own copy of the block, and redirects the calls that want it.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TRANSFORMS_SPECIALIZEBLOCKS_H
#define LOOM_TRANSFORMS_SPECIALIZEBLOCKS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>

namespace loom {

/// What a call of a block asks of it: calls with equal signatures share a
/// copy of the block; none when the calls cannot be told apart (the block
/// is then left alone).
using CallSignature = llvm::function_ref<std::optional<std::string>(
    mlir::func::FuncOp block, mlir::func::CallOp call)>;

/// Gives the calls of each private function of `module` (called directly
/// at least twice) one copy of it per signature: the calls with the first
/// call's signature keep the function, those with each other signature
/// call a clone inserted into `symbols` after it (`NAME_1`, `NAME_2`, ...,
/// renamed where taken). Returns the clones made, by original.
llvm::SmallVector<std::pair<mlir::func::FuncOp, int64_t>>
specializeBlocks(mlir::ModuleOp module, mlir::SymbolTable &symbols,
                 CallSignature signature);

} // namespace loom

#endif // LOOM_TRANSFORMS_SPECIALIZEBLOCKS_H
