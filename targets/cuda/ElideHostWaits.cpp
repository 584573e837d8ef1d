//===- ElideHostWaits.cpp - The host ahead of the GPU between blocks ------===//
//
// `loom-elide-host-waits`: MLIR's `gpu-async-region` makes the GPU work of
// each basic block one chain of asynchronous operations and ends it with a
// synchronous `gpu.wait` before the block's terminator, a call, or a host
// memory operation. A layer's function has a block for every branch (the
// products' row-count test, the layers' loop), so a decode step waits for
// the GPU dozens of times and the GPU idles while the host queues the
// next kernels. All of a thread's work goes to its one stream (the
// runtime's `mgpuStreamCreate`), which runs it in order: a wait is needed
// only where the host itself touches what the GPU computed.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "targets/cuda/HostFunctions.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMELIDEHOSTWAITS
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

/// True if `memref` may be host memory: a host allocation or global (or
/// what it cannot tell), as opposed to a device allocation or an argument
/// of a device function (whose buffers are device memory, but for the
/// deallocation's host bookkeeping).
static bool mayBeHostMemory(Value memref) {
  memref = loom::cuda::viewedBuffer(memref);
  if (isa<BlockArgument>(memref))
    return loom::cuda::isHostBookkeeping(memref.getType());
  // Memory shared with the host is read there without a copy.
  if (auto alloc = memref.getDefiningOp<gpu::AllocOp>())
    return alloc.getHostShared();
  return true;
}

/// True if `memref` is a constant global: a host source that never
/// changes, whose copy the host need not wait for.
static bool isConstantGlobal(Value memref) {
  auto get = memref.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  return global && global.getConstant();
}

/// True if the work `wait` waits for is device work only: launches,
/// allocations, deallocations, fills, and copies between device buffers
/// (or from a constant global).
static bool waitsForDeviceWorkOnly(gpu::WaitOp wait) {
  SmallVector<Value> tokens(wait.getAsyncDependencies());
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!tokens.empty()) {
    Operation *op = tokens.pop_back_val().getDefiningOp();
    // A token from elsewhere (a block argument): work not seen here.
    if (!op)
      return false;
    if (!seen.insert(op).second)
      continue;
    if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
      if (mayBeHostMemory(copy.getDst()) ||
          (mayBeHostMemory(copy.getSrc()) && !isConstantGlobal(copy.getSrc())))
        return false;
    } else if (!isa<gpu::LaunchFuncOp, gpu::AllocOp, gpu::DeallocOp,
                    gpu::MemsetOp, gpu::WaitOp>(op)) {
      return false;
    }
    auto async = cast<gpu::AsyncOpInterface>(op);
    llvm::append_range(tokens, async.getAsyncDependencies());
  }
  return true;
}

namespace {

struct ElideHostWaitsPass
    : loom::cuda::impl::LoomElideHostWaitsBase<ElideHostWaitsPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    SmallVector<gpu::WaitOp> elided;
    function.walk([&](gpu::WaitOp wait) {
      // An asynchronous wait joins tokens for later work: not a host wait.
      if (!wait.getAsyncToken() && waitsForDeviceWorkOnly(wait))
        elided.push_back(wait);
    });
    if (elided.empty())
      return;
    for (gpu::WaitOp wait : elided)
      wait.erase();
    // An entry point's results are complete when it returns (and a fault
    // of its kernels is reported by its call): it waits for all the work
    // of the thread's stream there.
    if (!function->hasAttr("loom.entry"))
      return;
    function.walk([](func::ReturnOp ret) {
      OpBuilder builder(ret);
      Value stream = gpu::WaitOp::create(builder, ret.getLoc(),
                                         builder.getType<gpu::AsyncTokenType>(),
                                         ValueRange())
                         .getAsyncToken();
      gpu::WaitOp::create(builder, ret.getLoc(), Type(), ValueRange{stream});
    });
  }
};

} // namespace
