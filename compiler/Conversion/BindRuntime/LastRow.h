//===- LastRow.h - An entry point that computes only the last row -*- C++
//-*-===//

#ifndef LOOM_COMPILER_CONVERSION_BINDRUNTIME_LASTROW_H
#define LOOM_COMPILER_CONVERSION_BINDRUNTIME_LASTROW_H

#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace loom {

/// Name of the decoder entry point that returns the last position's row.
inline constexpr const char *kLastRowEntryName = LOOM_ENTRY_FORWARD_LAST;

/// Clones `entry` as `name`, returning only the last row of its result, and
/// moves that row selection up through every row-wise op (linear layers,
/// norms, MLPs, elementwise ops) so that they run on one row instead of the
/// whole sequence; ops that mix rows (attention, blocks, loops) stay whole.
mlir::func::FuncOp createLastRowEntry(mlir::func::FuncOp entry,
                                      llvm::StringRef name);

} // namespace loom

#endif // LOOM_COMPILER_CONVERSION_BINDRUNTIME_LASTROW_H
