//===- Locations.cpp - .loom source positions as MLIR locations -----------===//

#include "compiler/MLIRGen/Locations.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

Location loom::toLocation(MLIRContext *ctx, const llvm::SourceMgr &srcMgr,
                          llvm::SMLoc loc) {
  if (!loc.isValid())
    return UnknownLoc::get(ctx);
  unsigned bufferId = srcMgr.FindBufferContainingLoc(loc);
  if (bufferId == 0)
    return UnknownLoc::get(ctx);
  auto [line, col] = srcMgr.getLineAndColumn(loc, bufferId);
  llvm::StringRef file =
      srcMgr.getMemoryBuffer(bufferId)->getBufferIdentifier();
  return FileLineColLoc::get(ctx, file, line, col);
}
