//===- Locations.h - .loom source positions as MLIR locations ---*- C++ -*-===//

#ifndef LOOM_COMPILER_MLIRGEN_LOCATIONS_H
#define LOOM_COMPILER_MLIRGEN_LOCATIONS_H

#include "mlir/IR/Location.h"
#include "llvm/Support/SMLoc.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace loom {

/// Returns the `file:line:col` location of `loc` in `srcMgr`, or an unknown
/// location when `loc` is invalid or belongs to no buffer.
mlir::Location toLocation(mlir::MLIRContext *ctx, const llvm::SourceMgr &srcMgr,
                          llvm::SMLoc loc);

} // namespace loom

#endif // LOOM_COMPILER_MLIRGEN_LOCATIONS_H
