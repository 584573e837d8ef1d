//===- LoopFusion.cpp - Adjacent parallel loops fused, safely -------------===//
//
// MLIR's fusion of parallel loops fuses each loop into the next in a chain
// of loops with nothing between them that touches memory. Where a loop
// stores to a buffer that an earlier loop of its chain also stores to, at
// other indices (or through another view), a store to a scratch buffer is
// put before it for the duration: the chain breaks there, and the store
// goes again once the loops are fused.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/LoopFusion.h"

#include "targets/cuda/HostFunctions.h"
#include "targets/cuda/Passes.h"

#include "mlir/Analysis/AliasAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMFUSEPARALLELLOOPS
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

/// True if `buffer` is an allocation of its own, which no other buffer
/// aliases.
static bool isFreshAllocation(Value buffer) {
  return buffer.getDefiningOp<memref::AllocOp>() ||
         buffer.getDefiningOp<memref::AllocaOp>() ||
         buffer.getDefiningOp<gpu::AllocOp>();
}

/// True if `a` (in `first`) and `b` (in `second`) store to the same element
/// in every iteration they share: the same view at the same indices, each
/// induction variable of one matched by the other's in its place.
static bool sameElement(memref::StoreOp a, scf::ParallelOp first,
                        memref::StoreOp b, scf::ParallelOp second) {
  if (a.getMemRef() != b.getMemRef())
    return false;
  SmallVector<Value> ivsA = first.getInductionVars();
  SmallVector<Value> ivsB = second.getInductionVars();
  for (auto [x, y] : llvm::zip_equal(a.getIndices(), b.getIndices())) {
    // One value (defined before both loops), or the same induction
    // variable of each.
    if (x == y)
      continue;
    auto *ivA = llvm::find(ivsA, x);
    auto *ivB = llvm::find(ivsB, y);
    if (ivA == ivsA.end() || ivB == ivsB.end() ||
        ivA - ivsA.begin() != ivB - ivsB.begin())
      return false;
  }
  return true;
}

/// True if `first` and `second` may store to one element in different
/// iterations: the same buffer at other indices, or buffers that may alias.
static bool storesConflict(scf::ParallelOp first, scf::ParallelOp second) {
  SmallVector<memref::StoreOp> earlier, later;
  first.walk([&](memref::StoreOp store) { earlier.push_back(store); });
  second.walk([&](memref::StoreOp store) { later.push_back(store); });
  for (memref::StoreOp a : earlier)
    for (memref::StoreOp b : later) {
      Value rootA = loom::cuda::viewedBuffer(a.getMemRef()),
            rootB = loom::cuda::viewedBuffer(b.getMemRef());
      if (rootA != rootB) {
        if (isFreshAllocation(rootA) || isFreshAllocation(rootB))
          continue;

        return true; // two arguments, say: they may be one buffer
      }
      if (!sameElement(a, first, b, second))
        return true;
    }
  return false;
}

/// Puts a store to `scratch` before each loop that must not be fused with
/// an earlier loop of its chain (as `naivelyFuseParallelOps` forms chains),
/// and returns the stores.
static SmallVector<Operation *>
breakConflictingChains(Region &region, Value scratch, Value value) {
  SmallVector<Operation *> barriers;
  for (Block &block : region) {
    SmallVector<scf::ParallelOp> chain;
    for (Operation &op : llvm::make_early_inc_range(block)) {
      auto loop = dyn_cast<scf::ParallelOp>(op);
      if (!loop) {
        if (!isMemoryEffectFree(&op) || op.getNumRegions() != 0)
          chain.clear();
        continue;
      }
      if (llvm::any_of(chain, [&](scf::ParallelOp earlier) {
            return storesConflict(earlier, loop);
          })) {
        OpBuilder builder(loop);
        barriers.push_back(
            memref::StoreOp::create(builder, loop.getLoc(), value, scratch));
        chain.clear();
      }
      chain.push_back(loop);
    }
  }
  return barriers;
}

void loom::cuda::fuseParallelLoops(func::FuncOp function) {
  Region &body = function.getBody();
  if (body.empty())
    return;
  // The scratch buffer and its value, at the start (before any loop).
  OpBuilder builder(&body.front(), body.front().begin());
  Location loc = function.getLoc();
  auto scratch = memref::AllocaOp::create(
      builder, loc, MemRefType::get({}, builder.getI1Type()));
  auto value =
      arith::ConstantOp::create(builder, loc, builder.getBoolAttr(true));
  SmallVector<Operation *> barriers;
  function.walk([&](Operation *op) {
    for (Region &region : op->getRegions())
      llvm::append_range(barriers,
                         breakConflictingChains(region, scratch, value));
  });
  AliasAnalysis analysis(function);
  auto mayAlias = [&](Value a, Value b) {
    return !analysis.alias(a, b).isNo();
  };
  function.walk([&](Operation *op) {
    for (Region &region : op->getRegions())
      scf::naivelyFuseParallelOps(region, mayAlias);
  });
  for (Operation *barrier : barriers)
    barrier->erase();
  value->erase();
  scratch->erase();
}

namespace {
struct FuseParallelLoopsPass
    : loom::cuda::impl::LoomFuseParallelLoopsBase<FuseParallelLoopsPass> {
  void runOnOperation() override {
    loom::cuda::fuseParallelLoops(getOperation());
  }
};
} // namespace
