//===- LayerChains.h - Stacks of layers as block calls ----------*- C++ -*-===//
//
// A stack `Decoder[N]` elaborates to N calls of the block, each reading its
// own weights. The passes that restructure stacks (rolling them into loops,
// sharing their weights) find them as chains: runs of calls of one callee
// in one block where each call's first operand is the previous call's only
// use, its result has the type of that operand (the carried value), and
// every other operand is either the same value in every call (a shared
// argument) or a `loom.weight` in every call (a per-layer weight).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TRANSFORMS_LAYERCHAINS_H
#define LOOM_TRANSFORMS_LAYERCHAINS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"

namespace loom {

/// How an argument position (after the carried value) varies along a chain.
enum class ChainArgument { Shared, Weight };

/// A chain of at least two calls, in order.
struct LayerChain {
  llvm::SmallVector<mlir::func::CallOp> calls;
  /// One per operand after the first.
  llvm::SmallVector<ChainArgument> kinds;
};

/// The longest chains that start in `block` (a call that breaks a chain may
/// start the next one), of at least `minLayers` calls.
llvm::SmallVector<LayerChain> findLayerChains(mlir::Block &block,
                                              int64_t minLayers);

} // namespace loom

#endif // LOOM_TRANSFORMS_LAYERCHAINS_H
