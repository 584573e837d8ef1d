//===- EmulateGpu.cpp - GPU launches as host loops ------------------------===//
//
// `loom-emulate-gpu`: a test mode of the CUDA target. Each `gpu.launch`
// becomes six nested loops (blocks z, y, x, then threads z, y, x) around a
// copy of its body, with the launch's ids and sizes replaced by the loops'
// induction variables and bounds; the threads of a block run one after
// another, which is what the kernels the mapping makes allow (no barriers,
// no shared memory). Device memory becomes host memory.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMEMULATEGPU
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

namespace {

struct EmulateGpuPass : loom::cuda::impl::LoomEmulateGpuBase<EmulateGpuPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk(
        [&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(launch)))
        return signalPassFailure();
    SmallVector<Operation *> memoryOps;
    getOperation().walk([&](Operation *op) {
      if (isa<gpu::AllocOp, gpu::DeallocOp, gpu::MemcpyOp>(op))
        memoryOps.push_back(op);
    });
    for (Operation *op : memoryOps)
      if (failed(toHostMemory(op)))
        return signalPassFailure();
  }

  LogicalResult emulate(gpu::LaunchOp launch) {
    Region &body = launch.getBody();
    if (!body.hasOneBlock())
      return launch.emitError("cannot emulate a launch whose body has more "
                              "than one block");
    if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty())
      return launch.emitError("cannot emulate an asynchronous launch");
    WalkResult barriers = body.walk([](Operation *op) {
      if (isa<gpu::BarrierOp>(op)) {
        op->emitError("cannot emulate a launch whose threads synchronize");
        return WalkResult::interrupt();
      }
      if (isa_and_nonnull<nvgpu::NVGPUDialect>(op->getDialect())) {
        op->emitError("cannot emulate a warp-level operation (the tensor "
                      "cores' products: build without them)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (barriers.wasInterrupted())
      return failure();

    OpBuilder builder(launch);
    Location loc = launch.getLoc();
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value one = arith::ConstantIndexOp::create(builder, loc, 1);
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    Value bounds[6] = {grid.z, grid.y, grid.x, block.z, block.y, block.x};
    Value ivs[6];
    for (int d = 0; d < 6; ++d) {
      auto loop = scf::ForOp::create(builder, loc, zero, bounds[d], one);
      ivs[d] = loop.getInductionVar();
      builder.setInsertionPoint(loop.getBody()->getTerminator());
    }
    IRMapping mapping;
    gpu::KernelDim3 blockIds = launch.getBlockIds();
    gpu::KernelDim3 threadIds = launch.getThreadIds();
    gpu::KernelDim3 gridSizes = launch.getGridSize();
    gpu::KernelDim3 blockSizes = launch.getBlockSize();
    mapping.map(blockIds.z, ivs[0]);
    mapping.map(blockIds.y, ivs[1]);
    mapping.map(blockIds.x, ivs[2]);
    mapping.map(threadIds.z, ivs[3]);
    mapping.map(threadIds.y, ivs[4]);
    mapping.map(threadIds.x, ivs[5]);
    mapping.map(gridSizes.z, grid.z);
    mapping.map(gridSizes.y, grid.y);
    mapping.map(gridSizes.x, grid.x);
    mapping.map(blockSizes.z, block.z);
    mapping.map(blockSizes.y, block.y);
    mapping.map(blockSizes.x, block.x);
    for (Operation &op : body.front().without_terminator())
      builder.clone(op, mapping);
    launch.erase();
    return success();
  }

  LogicalResult toHostMemory(Operation *op) {
    OpBuilder builder(op);
    if (op->getNumResults() > 1 ||
        (isa<gpu::AsyncOpInterface>(op) &&
         !cast<gpu::AsyncOpInterface>(op).getAsyncDependencies().empty()))
      return op->emitError("cannot emulate asynchronous device memory");
    if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
      auto host = memref::AllocOp::create(
          builder, alloc.getLoc(), alloc.getType(), alloc.getDynamicSizes(),
          alloc.getSymbolOperands());
      alloc.getMemref().replaceAllUsesWith(host.getResult());
    } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
      memref::DeallocOp::create(builder, dealloc.getLoc(), dealloc.getMemref());
    } else if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
      memref::CopyOp::create(builder, copy.getLoc(), copy.getSrc(),
                             copy.getDst());
    }
    op->erase();
    return success();
  }
};

} // namespace
