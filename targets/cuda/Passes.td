//===- Passes.td - The CUDA target's passes ----------------*- tablegen -*-===//

#ifndef LOOM_TARGETS_CUDA_PASSES_TD
#define LOOM_TARGETS_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomMapToGpu : Pass<"loom-map-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Run the entry points' loops as GPU kernels";
  let description = [{
    On bufferized linalg, for the CUDA target. In the functions the forward
    entry points reach, each linalg op's parallel loops are tiled into
    blocks of `block-size` threads and mapped to the grid (`gpu.launch`, one
    thread an output element, a guard at the edge); a loop nest with no
    parallel loop (a reduction to one value) becomes a launch of one thread.
    `prepare` and what only it calls stay host loops: the runtime computes
    the derived weights on the host, then copies them to the GPU. A
    function that both reach, or a host loop that yields a value read from
    memory, is an error.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads a block, in [1, 1024]">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def LoomFuseParallelLoops
    : Pass<"loom-fuse-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Fuse adjacent parallel loops over the same space";
  let description = [{
    On parallel loops over buffers (`scf.parallel`), for the CUDA target,
    where each loop becomes a kernel launch: adjacent loops with the same
    bounds are fused into one when each reads what the other wrote only
    where it wrote it (MLIR's `naivelyFuseParallelOps`, with MLIR's alias
    analysis), such as a reduction's initial fill and the reduction.
    Loops that store to one buffer at different indices (or through other
    views of it), or to two buffers that may be one (two arguments), are
    left apart: MLIR's check compares one loop's stores with the other's
    loads only, and fusing them could reorder two writes of an element.
    `--loom-map-to-gpu` runs the same fusion before it maps the loops.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def LoomSplitProducts : Pass<"loom-split-products", "::mlir::ModuleOp"> {
  let summary = "Spread the reduction of products of few rows over threads";
  let description = [{
    On linalg on tensors, for the CUDA target: a product `x w^T` (a
    `linalg.generic` summing `x[m, k] * w[n, k]` over k into `out[m, n]`)
    whose input has at most `rows` rows (decode: one) is computed in two
    steps: `ways` partial sums per output, partial[m, n, l] = sum over j of
    x[m, j * ways + l] * w[n, j * ways + l], then their sum into `out`.
    Mapped to threads with the lane l varying fastest, a warp then reads 32
    consecutive weights at once (coalesced) instead of 32 rows k apart, and
    a decode step has `ways` times as many threads to stream the weights
    with. Products of more rows keep one thread an output (an `scf.if` on
    the row count); a reduction whose length `ways` does not divide is left
    alone.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"16",
           "Products of at most this many rows are split">,
    Option<"ways", "ways", "int64_t", /*default=*/"32",
           "Partial sums per output (a power of two, at most 1024)">
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"
  ];
}

def LoomUseTensorCores : Pass<"loom-use-tensor-cores", "::mlir::ModuleOp"> {
  let summary = "Compute the products of many rows on tensor cores";
  let description = [{
    On bufferized linalg, for the CUDA target, before `--loom-map-to-gpu`:
    in the functions the forward entry points reach, each f32 product
    `out[m, n] += x[m, k] * w[n, k]` (a prompt's projections; decode's are
    split by `--loom-split-products` first) becomes a kernel of warp-level
    matrix products (`nvgpu.mma.sync`, m16n8k8, TF32 inputs rounded to
    nearest, f32 sums): a block of `warps-m` x `warps-n` warps computes a
    tile of the output, each warp `tile-m` x `tile-n` of it in registers,
    reading 16 values of k a step (a lane's 4 consecutive ones in one
    16-byte load where the buffer's layout allows), then adds it to `out`.
    The edges of m, n and k are guarded. TF32 keeps 10 bits of each
    input's mantissa: products differ from f32's by about 1e-3 relative.
    A kernel of warp-level operations cannot be emulated on the host
    (`--loom-emulate-gpu` refuses it).
  }];
  let options = [
    Option<"warpsM", "warps-m", "int64_t", /*default=*/"2",
           "Warps a block along m (rows)">,
    Option<"warpsN", "warps-n", "int64_t", /*default=*/"2",
           "Warps a block along n (columns); warps-m x warps-n at most 32">,
    Option<"tileM", "tile-m", "int64_t", /*default=*/"32",
           "Rows a warp computes: 16, 32, 48 or 64">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32",
           "Columns a warp computes: a multiple of 8, at most 64">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::vector::VectorDialect",
    "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def LoomSplitReductions
    : Pass<"loom-split-reductions", "::mlir::ModuleOp"> {
  let summary = "Spread the row sums of few rows (norms) over threads";
  let description = [{
    On linalg on tensors, for the CUDA target: a row sum (a
    `linalg.generic` adding f(in[r, k], ..., row[r], ...) over k into
    out[r], each input indexed by (r, k) or by r: a norm's sum of squares,
    mean or variance) of at most `rows` rows (decode: one) and a static
    length that `ways` divides (at least twice) is computed in two steps:
    `ways` partial sums a row, partial[r, l] = sum over j of the terms at
    k = j * ways + l, then their sum into `out`. Mapped with the lane l
    varying fastest, a warp reads consecutive values, and a decode step's
    norm has `ways` threads rather than one. Rows of more rows keep one
    thread a row (an `scf.if` on the row count).
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"16",
           "Sums of at most this many rows are split">,
    Option<"ways", "ways", "int64_t", /*default=*/"32",
           "Partial sums per row (a power of two, at most 1024)">
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"
  ];
}

def LoomStreamAttention
    : Pass<"loom-stream-attention", "::mlir::ModuleOp"> {
  let summary = "Attend without storing the scores (flash attention)";
  let description = [{
    `loom.cached_attention` lowers to a scores tensor `[heads, seq, length]`
    and a softmax over it: for a prompt of thousands of tokens, gigabytes,
    and in decode one thread a head runs the softmax's sums over the whole
    cache. Here a thread a query row and head (and up to 32 of the head's
    outputs) runs over keys with a running maximum, sum and output (the
    online softmax of flash attention), reading the keys and values from
    the cache as they were just written. A chunk of more than `rows` rows
    (a prompt) runs over all the keys a row sees in one pass; a shorter
    one (decode) splits them into runs of 32, a thread each, and a second
    kernel merges the runs (flash decoding). The scores are never stored.
    A head is kept in registers (its query and a key's row): heads of more
    than 64 values keep the generic lowering, as do caches whose rows are not
    contiguous. Runs on `loom` ops, before
    their lowering to linalg.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"16",
           "Chunks of more rows than this attend in one pass, shorter ones "
           "in runs of keys, whose partial outputs take rows x runs x "
           "heads x hd floats (0: every chunk in one pass)">
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def LoomPlaceOnDevice : Pass<"loom-place-on-device", "::mlir::ModuleOp"> {
  let summary = "Put the entry points' buffers in GPU memory";
  let description = [{
    After `--loom-map-to-gpu`: in the functions the forward entry points
    reach, buffers (`memref.alloc`) become device memory (`gpu.alloc`),
    their deallocations `gpu.dealloc`, and a constant global read by a
    kernel is copied to device memory once a call. Index and i1 buffers are
    the deallocation pipeline's bookkeeping and stay on the host. Any load
    or store left on the host of a buffer that is device memory is an
    error naming its place.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::memref::MemRefDialect"
  ];
}

def LoomMergeGpuModules : Pass<"loom-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Put every outlined kernel in one GPU module";
  let description = [{
    After `--gpu-kernel-outlining`, which gives each kernel a `gpu.module`
    of its own: the kernels move into the first module and the launches
    name them there. The toolkit then compiles one PTX file (one ptxas and
    one fatbinary run, not one per kernel) and the program loads one
    binary at start.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def LoomElideHostWaits
    : Pass<"loom-elide-host-waits", "::mlir::func::FuncOp"> {
  let summary = "Let the host run ahead of the GPU between blocks";
  let description = [{
    After `gpu-async-region`, which ends each basic block that launches
    kernels (and precedes each call and host memory operation that follows
    GPU work) with a synchronous `gpu.wait`: the waits after which the host
    needs nothing the GPU computed are removed, so that the host queues the
    next block's kernels while the GPU runs these. The runtime gives each
    host thread one stream (`mgpuStreamCreate`), so the GPU still runs a
    thread's work in the order the host queued it. A wait stays when the
    work it waits for copies to or from host memory (a number the host
    reads, a runtime function's staged buffers; a copy from a constant
    global is not such a copy), when that work includes anything other
    than launches, allocations, deallocations, fills and device copies.
    An entry point (`loom.entry`) whose waits were removed waits for its
    thread's stream before it returns, so that a call's results are
    complete (and its kernels' faults reported) when it returns.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def LoomEmulateGpu : Pass<"loom-emulate-gpu", "::mlir::ModuleOp"> {
  let summary = "Run GPU launches as host loops (testing without a GPU)";
  let description = [{
    Instead of outlining kernels for NVVM: each `gpu.launch` becomes loops
    over its blocks and threads that run its body on the host, and device
    memory (`gpu.alloc`, `gpu.dealloc`, `gpu.memcpy`) becomes host memory.
    What `--loom-map-to-gpu` and `--loom-place-on-device` made of a model
    then runs on a machine without a GPU, with a driver whose device memory
    is host memory (the tests' stand-in), so that the mapping, the
    placement and the runtime's device session are checked by numbers. A
    launch that synchronizes its threads (`gpu.barrier`), has more than one
    block, or holds a warp-level operation (`nvgpu`: the tensor cores'
    products) is an error.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect"
  ];
}

#endif // LOOM_TARGETS_CUDA_PASSES_TD
