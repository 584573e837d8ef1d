//===- PlaceOnDevice.cpp - The entry points' buffers in GPU memory --------===//
//
// `loom-place-on-device`: after `loom-map-to-gpu`, the functions the forward
// entry points reach compute only in kernels, so their buffers live in
// device memory: allocations and deallocations become `gpu.alloc` and
// `gpu.dealloc` (MLIR's host lowering calls the runtime's mgpuMemAlloc and
// mgpuMemFree), and a constant global (a table of RoPE frequencies, say) is
// copied to a device buffer at the start of each call. What the
// deallocation pipeline allocates for its own bookkeeping (index and i1
// buffers, read by host code) stays on the host. Anything else that would
// read or write device memory on the host is an error, except a runtime
// function's buffer arguments and a number the host reads (from a buffer
// of at most 16 elements), which are copied to the host.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "targets/cuda/HostFunctions.h"

#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/StringMap.h"

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMPLACEONDEVICE
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

static bool inKernel(Operation *op) {
  return op->getParentOfType<gpu::LaunchOp>();
}

/// True if `memref`'s layout is the identity (a dense buffer).
static bool hasIdentityLayout(Value memref) {
  return cast<MemRefType>(memref.getType()).getLayout().isIdentity();
}

/// The largest device buffer a host load copies back whole.
static constexpr int64_t kMaxStagedElements = 16;

namespace {

struct PlaceOnDevicePass
    : loom::cuda::impl::LoomPlaceOnDeviceBase<PlaceOnDevicePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<llvm::DenseSet<func::FuncOp>> host =
        loom::cuda::findHostFunctions(module);
    if (failed(host))
      return signalPassFailure();
    for (auto function : module.getOps<func::FuncOp>())
      if (!function.isExternal() && !host->contains(function) &&
          failed(place(function)))
        return signalPassFailure();
  }

  LogicalResult place(func::FuncOp function) {
    SmallVector<Operation *> ops;
    WalkResult walk = function.walk([&](Operation *op) {
      if (!inKernel(op)) {
        ops.push_back(op);
        return WalkResult::advance();
      }
      if (isa<memref::AllocOp, memref::AllocaOp>(op)) {
        op->emitError("a kernel allocates a buffer; the CUDA target "
                      "allocates on the host only");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    OpBuilder builder(function.getContext());
    // Each global's device copy, made once a call.
    llvm::StringMap<Value> globals;
    for (Operation *op : ops) {
      builder.setInsertionPoint(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (loom::cuda::isHostBookkeeping(alloc.getType()))
          continue;
        auto device = gpu::AllocOp::create(
            builder, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
            ValueRange(), alloc.getDynamicSizes(), alloc.getSymbolOperands(),
            /*hostShared=*/false);
        alloc.replaceAllUsesWith(device.getMemref());
        alloc.erase();
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        if (loom::cuda::isHostBookkeeping(dealloc.getMemref().getType()))
          continue;
        gpu::DeallocOp::create(builder, dealloc.getLoc(), /*asyncToken=*/Type(),
                               ValueRange(), dealloc.getMemref());
        dealloc.erase();
      } else if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
        if (failed(copyGlobal(global, function, globals)))
          return failure();
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        // The bookkeeping's copies (one element type on both sides) stay
        // host copies.
        if (loom::cuda::isHostBookkeeping(copy.getSource().getType()))
          continue;
        if (!hasIdentityLayout(copy.getSource()) ||
            !hasIdentityLayout(copy.getTarget()))
          return copy.emitError("a copy between strided buffers on the host "
                                "cannot be a GPU copy; lower it to a linalg "
                                "copy first (--loom-lower-memref-copy)");
        gpu::MemcpyOp::create(builder, copy.getLoc(), /*asyncToken=*/Type(),
                              ValueRange(), copy.getTarget(), copy.getSource());
        copy.erase();
      } else if (auto load = dyn_cast<memref::LoadOp>(op)) {
        stageScalarLoad(load);
      } else if (auto call = dyn_cast<func::CallOp>(op)) {
        if (failed(stageCallBuffers(call)))
          return failure();
      } else if (isa<memref::AllocaOp>(op) &&
                 !loom::cuda::isHostBookkeeping(op->getResult(0).getType())) {
        return op->emitError("a stack buffer on the host cannot hold data "
                             "that kernels read; the CUDA target needs heap "
                             "buffers");
      }
    }
    return verifyPlacement(function);
  }

  /// The host reads a number a kernel computed (how many tokens still run
  /// an adaptive loop): a small dense device buffer, copied to a host one
  /// for the load. Other host loads are left for `verifyPlacement` to
  /// report.
  void stageScalarLoad(memref::LoadOp load) {
    auto type = cast<MemRefType>(load.getMemRef().getType());
    if (!type.hasStaticShape() || type.getNumElements() > kMaxStagedElements ||
        !type.getLayout().isIdentity() || loom::cuda::isHostBookkeeping(type))
      return;
    OpBuilder builder(load);
    Location loc = load.getLoc();
    Value host = memref::AllocOp::create(builder, loc, type);
    gpu::MemcpyOp::create(builder, loc, Type(), ValueRange(), host,
                          load.getMemRef());
    load->setOperand(0, host);
    builder.setInsertionPointAfter(load);
    memref::DeallocOp::create(builder, loc, host);
  }

  /// A runtime function the host calls with a buffer (the tokens' depths
  /// of an adaptive loop) gets a host copy of it, copied back after the
  /// call.
  LogicalResult stageCallBuffers(func::CallOp call) {
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        call, call.getCalleeAttr());
    if (!callee || !callee.isExternal())
      return success();
    OpBuilder builder(call);
    Location loc = call.getLoc();
    for (OpOperand &operand : call->getOpOperands()) {
      Value value = operand.get();
      if (!isa<MemRefType>(value.getType()) ||
          loom::cuda::isHostBookkeeping(value.getType()))
        continue;
      Value buffer = value;
      while (auto castOp = buffer.getDefiningOp<memref::CastOp>())
        buffer = castOp.getSource();
      auto type = cast<MemRefType>(buffer.getType());
      if (!type.getLayout().isIdentity())
        return call.emitError("a runtime function called on the host reads a "
                              "strided GPU buffer, which the CUDA target "
                              "cannot copy to the host");
      SmallVector<Value> sizes;
      for (int64_t dim = 0; dim < type.getRank(); ++dim)
        if (type.isDynamicDim(dim))
          sizes.push_back(memref::DimOp::create(builder, loc, buffer, dim));
      Value host = memref::AllocOp::create(builder, loc, type, sizes);
      gpu::MemcpyOp::create(builder, loc, Type(), ValueRange(), host, buffer);
      operand.set(
          host.getType() == value.getType()
              ? host
              : memref::CastOp::create(builder, loc, value.getType(), host)
                    .getResult());
      OpBuilder after(call->getContext());
      after.setInsertionPointAfter(call);
      gpu::MemcpyOp::create(after, loc, Type(), ValueRange(), buffer, host);
      memref::DeallocOp::create(after, loc, host);
    }
    return success();
  }

  /// Replaces a constant global's uses by a device copy made at the start
  /// of the function (once for all its uses there) and freed at its
  /// returns.
  LogicalResult copyGlobal(memref::GetGlobalOp global, func::FuncOp function,
                           llvm::StringMap<Value> &globals) {
    if (loom::cuda::isHostBookkeeping(global.getType()))
      return success();
    if (!global.getType().hasStaticShape())
      return global.emitError("a global buffer of dynamic shape cannot be "
                              "copied to the GPU");
    if (Value copy = globals.lookup(global.getName())) {
      global.replaceAllUsesWith(copy);
      global.erase();
      return success();
    }
    OpBuilder builder = OpBuilder::atBlockBegin(&function.front());
    Location loc = global.getLoc();
    auto hostCopy = cast<memref::GetGlobalOp>(builder.clone(*global));
    auto device = gpu::AllocOp::create(builder, loc, global.getType(), Type(),
                                       ValueRange(), ValueRange(), ValueRange(),
                                       /*hostShared=*/false);
    gpu::MemcpyOp::create(builder, loc, Type(), ValueRange(),
                          device.getMemref(), hostCopy.getResult());
    function.walk([&](func::ReturnOp ret) {
      OpBuilder atReturn(ret);
      gpu::DeallocOp::create(atReturn, loc, Type(), ValueRange(),
                             device.getMemref());
    });
    globals[global.getName()] = device.getMemref();
    global.replaceAllUsesWith(device.getMemref());
    global.erase();
    return success();
  }

  /// Host code may touch only host bookkeeping; kernels only device memory.
  LogicalResult verifyPlacement(func::FuncOp function) {
    WalkResult result = function.walk([&](Operation *op) -> WalkResult {
      Value memref;
      if (auto load = dyn_cast<memref::LoadOp>(op))
        memref = load.getMemRef();
      else if (auto store = dyn_cast<memref::StoreOp>(op))
        memref = store.getMemRef();
      else
        return WalkResult::advance();
      bool bookkeeping = loom::cuda::isHostBookkeeping(memref.getType());
      // What host allocations remain hold host memory (staged copies).
      bool hostBuffer =
          loom::cuda::viewedBuffer(memref).getDefiningOp<memref::AllocOp>();
      if (!inKernel(op) && !bookkeeping && !hostBuffer) {
        op->emitError("this would read or write GPU memory on the host; the "
                      "CUDA target cannot compile it");
        return WalkResult::interrupt();
      }
      Value buffer = loom::cuda::viewedBuffer(memref);
      if (inKernel(op) && bookkeeping &&
          !op->getParentOfType<gpu::LaunchOp>()->isAncestor(
              buffer.getParentBlock()->getParentOp())) {
        op->emitError("a kernel reads a buffer of index or i1 elements, which "
                      "the CUDA target keeps on the host");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }
};

} // namespace
