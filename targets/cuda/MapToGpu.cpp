//===- MapToGpu.cpp - The entry points' loops as GPU kernels --------------===//
//
// `loom-map-to-gpu`: linalg ops of the functions the forward entry points
// reach become parallel loops; adjacent loops over the same space are fused
// where each reads what the other wrote only where it wrote it (a
// reduction's initial fill, the attention mask into the scores;
// LoopFusion.h), so they are one launch; then they are tiled into
// blocks and mapped to the grid by
// MLIR's own passes (`scf-parallel-loop-tiling`, `gpu-map-parallel-loops`,
// `convert-parallel-loops-to-gpu`); what those leave on the host, a loop
// nest with no parallel loop, runs as a launch of one thread. `prepare`
// (derived weights, computed on the host at load) gets plain loops.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "targets/cuda/HostFunctions.h"
#include "targets/cuda/LoopFusion.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <numeric>

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMMAPTOGPU
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

/// True if `op` reads or writes a buffer that is not host bookkeeping.
static bool touchesDeviceMemory(Operation *op) {
  bool touches = false;
  op->walk([&](Operation *inner) {
    if (auto load = dyn_cast<memref::LoadOp>(inner))
      touches |= !loom::cuda::isHostBookkeeping(load.getMemRefType());
    else if (auto store = dyn_cast<memref::StoreOp>(inner))
      touches |= !loom::cuda::isHostBookkeeping(store.getMemRefType());
    return touches ? WalkResult::interrupt() : WalkResult::advance();
  });
  return touches;
}

/// Moves `op` (a loop nest without results) into a launch of one thread.
static void wrapInSerialLaunch(Operation *op) {
  OpBuilder builder(op);
  Location loc = op->getLoc();
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  auto launch =
      gpu::LaunchOp::create(builder, loc, one, one, one, one, one, one);
  builder.setInsertionPointToEnd(&launch.getBody().front());
  auto terminator = gpu::TerminatorOp::create(builder, loc);
  op->moveBefore(terminator);
}

/// Makes each outermost parallel loop nest of `function` one-dimensional,
/// its innermost dimension varying fastest: consecutive threads then touch
/// consecutive elements, and the grid's one dimension (up to 2^31 - 1
/// blocks) holds any size (its y and z hold only 65535).
static void collapseParallelLoops(func::FuncOp function) {
  SmallVector<scf::ParallelOp> loops;
  function.walk([&](scf::ParallelOp loop) {
    if (loop.getNumLoops() > 1 && !loop->getParentOfType<scf::ParallelOp>())
      loops.push_back(loop);
  });
  IRRewriter rewriter(function.getContext());
  for (scf::ParallelOp loop : loops) {
    std::vector<unsigned> all(loop.getNumLoops());
    std::iota(all.begin(), all.end(), 0u);
    rewriter.setInsertionPoint(loop);
    mlir::collapseParallelLoops(rewriter, loop, {all});
  }
}

namespace {

struct MapToGpuPass : loom::cuda::impl::LoomMapToGpuBase<MapToGpuPass> {
  using LoomMapToGpuBase::LoomMapToGpuBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (blockSize < 1 || blockSize > 1024) {
      module.emitError("block-size must be in [1, 1024], got ")
          << int64_t(blockSize);
      return signalPassFailure();
    }
    FailureOr<llvm::DenseSet<func::FuncOp>> host =
        loom::cuda::findHostFunctions(module);
    if (failed(host))
      return signalPassFailure();

    // Loops (parallel ones as scf.parallel; `cse` first, so that loops
    // bounded by equal sizes see the same values), fused, made
    // one-dimensional, tiled
    // into blocks of threads (constant inner bounds, a guard at the edge),
    // mapped to the grid and turned into launches.
    OpPassManager hostLoops(func::FuncOp::getOperationName());
    OpPassManager parallelLoops(func::FuncOp::getOperationName());
    OpPassManager kernels(func::FuncOp::getOperationName());
    std::string kernelText =
        llvm::formatv("scf-parallel-loop-tiling{{parallel-loop-tile-sizes={0} "
                      "no-min-max-bounds=true},gpu-map-parallel-loops,"
                      "convert-parallel-loops-to-gpu,lower-affine",
                      int64_t(blockSize));
    if (failed(parsePassPipeline("convert-linalg-to-loops,lower-affine",
                                 hostLoops)) ||
        failed(parsePassPipeline("convert-linalg-to-parallel-loops,cse",
                                 parallelLoops)) ||
        failed(parsePassPipeline(kernelText, kernels)))
      return signalPassFailure();

    for (auto function : module.getOps<func::FuncOp>()) {
      if (function.isExternal())
        continue;
      if (host->contains(function)) {
        if (failed(runPipeline(hostLoops, function)))
          return signalPassFailure();
        continue;
      }
      if (failed(runPipeline(parallelLoops, function)))
        return signalPassFailure();
      loom::cuda::fuseParallelLoops(function);
      collapseParallelLoops(function);
      if (failed(runPipeline(kernels, function)) ||
          failed(serializeLeftovers(function)))
        return signalPassFailure();
    }
  }

  /// Launches the loop nests the mapping left on the host that touch device
  /// memory, one thread each.
  LogicalResult serializeLeftovers(func::FuncOp function) {
    SmallVector<Operation *> leftovers;
    bool failedAny = false;
    function.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (!isa<scf::ForOp, scf::ParallelOp, scf::WhileOp>(op))
        return WalkResult::advance();
      // A loop that launches kernels or calls functions (the layers' loop)
      // stays on the host; its body is looked at.
      bool hostLoop = false;
      op->walk([&](Operation *inner) {
        hostLoop |= isa<gpu::LaunchOp, func::CallOp>(inner);
      });
      if (hostLoop || !touchesDeviceMemory(op))
        return WalkResult::advance();
      if (op->getNumResults() != 0) {
        op->emitError("this loop would compute its results on the host from "
                      "GPU memory; the CUDA target cannot compile it");
        failedAny = true;
        return WalkResult::skip();
      }
      leftovers.push_back(op);
      return WalkResult::skip();
    });
    if (failedAny)
      return failure();
    for (Operation *op : leftovers)
      wrapInSerialLaunch(op);
    return success();
  }
};

} // namespace
