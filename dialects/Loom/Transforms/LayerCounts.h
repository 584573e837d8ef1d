//===- LayerCounts.h - Per-layer sizes for the pruning passes ---*- C++ -*-===//
//
// Global (cross-layer) pruning gives each layer its own count of what to
// keep (`keep=NAME=N`, NAME a checkpoint weight the layer reads). A block's
// body is shared by its layers, so a block whose calls want different
// counts gets a copy per call first. Shared by --loom-prune-ffn and
// --loom-prune-heads.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_TRANSFORMS_LAYERCOUNTS_H
#define LOOM_DIALECT_LOOM_TRANSFORMS_LAYERCOUNTS_H

#include "dialects/Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace loom {

/// Counts by checkpoint name, from a pass's `NAME=N` entries.
struct LayerCounts {
  llvm::StringMap<int64_t> counts;
  /// The names some op looked up.
  llvm::StringSet<> used;

  /// Parses `entries`; an error at `module` (naming `pass`) for a malformed
  /// entry, a count below 1 or a name given twice.
  static mlir::FailureOr<LayerCounts> parse(llvm::ArrayRef<std::string> entries,
                                            llvm::StringRef pass,
                                            mlir::ModuleOp module);

  /// The count for `name`, if given (and marks it used).
  std::optional<int64_t> lookup(llvm::StringRef name);

  /// An error at `module` for the first entry no op looked up: "PASS: no
  /// WHAT 'NAME'".
  mlir::LogicalResult checkAllUsed(llvm::StringRef pass, llvm::StringRef what,
                                   mlir::ModuleOp module) const;
};

/// The checkpoint names of the param `weight` (a value of `op`'s function)
/// reads, one per way the function runs: a single name outside blocks, one
/// per call of a block from an entry point. None if `weight` does not read
/// a param that way (a computed weight, a block called from another block):
/// no per-layer count can name it.
std::optional<llvm::SmallVector<std::string>>
weightNamesPerCall(mlir::Operation *op, mlir::Value weight,
                   mlir::SymbolTable &symbols);

/// Gives each call of the block enclosing `op` but the first its own copy
/// of the block (`NAME_1`, `NAME_2`, ...), so that each can be rewritten
/// for its layer alone. False if `op` is not in a block called more than
/// once.
bool copyBlockPerCall(mlir::Operation *op, mlir::SymbolTable &symbols);

/// Copies blocks (`copyBlockPerCall`) until none of the ops `collect`
/// finds sits in a block whose calls ask for different counts
/// (`distinctCounts(op)` above 1).
void separateLayerCounts(
    llvm::function_ref<llvm::SmallVector<mlir::Operation *>()> collect,
    llvm::function_ref<size_t(mlir::Operation *)> distinctCounts,
    mlir::SymbolTable &symbols);

/// True if `module` has a model entry point (a function marked
/// `loom.entry`): a whole model, not a fragment of one.
bool hasEntryPoint(mlir::ModuleOp module);

} // namespace loom

#endif // LOOM_DIALECT_LOOM_TRANSFORMS_LAYERCOUNTS_H
