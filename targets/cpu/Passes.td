//===- Passes.td - The CPU target's passes -----------------*- tablegen -*-===//

#ifndef LOOM_TARGETS_CPU_PASSES_TD
#define LOOM_TARGETS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomLowerAttentionCalls
    : Pass<"loom-lower-attention-calls", "::mlir::ModuleOp"> {
  let summary = "Attention over the KV cache as calls of the runtime's kernel";
  let description = [{
    Each `loom.cached_attention` writes its keys and values into its cache
    slot and calls `loom_attention` (loom_abi.h) with the enclosing
    function's model context: the runtime's kernel walks the cache once per
    query block with an online softmax, on the context's threads. Runs on
    bound `loom` IR, before `--convert-loom-to-linalg` (which lowers what is
    left into generated loops).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def LoomLowerEmbeddingCalls
    : Pass<"loom-lower-embedding-calls", "::mlir::ModuleOp"> {
  let summary = "Token embeddings as calls of the runtime's kernel";
  let description = [{
    Each `loom.embedding` calls `loom_embedding` (loom_abi.h) with the
    enclosing function's model context: the runtime finds the table by its
    address and gathers the tokens' rows from wherever it keeps the table
    (packed with a tied LM head, half precision, or f32). Runs on bound
    `loom` IR, before `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def LoomLowerPruneCalls
    : Pass<"loom-lower-prune-calls", "::mlir::ModuleOp"> {
  let summary = "Neuron selection (loom.prune_neurons) as runtime calls";
  let description = [{
    Each `loom.prune_neurons` (in `prepare`, computing a pruned weight at
    load) calls `loom_prune_neurons` (loom_abi.h) with the enclosing
    function's model context, the target, the gate (an empty buffer if
    none), up and down weights, the importance (empty if none) and a new
    result buffer; a [F] bias goes as a [F, 1] matrix. Runs on bound `loom`
    IR, before `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def LoomLowerSmoothCalls
    : Pass<"loom-lower-smooth-calls", "::mlir::ModuleOp"> {
  let summary = "Smoothing scales (loom.smooth_scales) as runtime calls";
  let description = [{
    Each `loom.smooth_scales` (in `prepare`, computing a product's
    activation-aware input scales at load) calls `loom_smooth_scales`
    (loom_abi.h) with the enclosing function's model context, the weight,
    the importance, a new result buffer, alpha and whether the inverse is
    asked for. Runs on bound `loom` IR, before `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"
  ];
}

def LoomLowerLowRankCalls
    : Pass<"loom-lower-low-rank-calls", "::mlir::ModuleOp"> {
  let summary = "Low-rank factors (loom.low_rank) as runtime calls";
  let description = [{
    Each `loom.low_rank` (in `prepare`, computing a factor at load) calls
    `loom_low_rank` (loom_abi.h) with the enclosing function's model
    context, the weight, a new result buffer, the part (0: `a`, 1: `b`) and
    the rank. Runs on bound `loom` IR, before `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"
  ];
}

def LoomLowerObserveCalls
    : Pass<"loom-lower-observe-calls", "::mlir::ModuleOp"> {
  let summary = "Layer observations (loom.observe) as runtime calls";
  let description = [{
    Each `loom.observe` calls `loom_observe` (loom_abi.h) with the enclosing
    function's model context, the observed hidden state and the side (0:
    the layer's input, 1: its output). The runtime returns at once outside
    a calibration run. Runs on bound `loom` IR, before
    `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"
  ];
}

def LoomLowerExitLoops
    : Pass<"loom-lower-exit-loops", "::mlir::ModuleOp"> {
  let summary = "Adaptive loops (loom.loop ... exit) through the runtime";
  let description = [{
    Each adaptive `loom.loop` becomes a plain loop that also carries the
    number of tokens still running (an i64). An iteration runs the body
    only while some token does; after it, `loom_exit_step` (loom_abi.h)
    keeps the rows of the tokens that had left, applies the exit rule
    (the gate's logits the body yields, or convergence) and returns how
    many still run. `loom_exit_begin` (rows, rule, threshold, trip count,
    the iteration's cache width from `--loom-bind-runtime`) and
    `loom_exit_end` bracket the loop. Runs on bound `loom` IR after
    `--loom-lower-attention-calls` (whose cache writes go through the
    runtime when the module has an adaptive loop), before
    `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def LoomExpandExitLoops
    : Pass<"loom-expand-exit-loops", "::mlir::ModuleOp"> {
  let summary = "Adaptive loops (loom.loop ... exit) as generated code";
  let description = [{
    For builds without the runtime's kernels (`--kernels=generated`, the
    CUDA target's device build): each adaptive `loom.loop` becomes a plain
    loop that also carries, per token, whether it has left (i32), its exit
    gate's cumulative probability and survival (f64) and the iterations it
    ran (i32). After the body, one parallel loop over the tokens applies
    the exit rule (the gate's logits the body yields, or convergence: the
    relative L2 change of the row) and a second keeps the rows of tokens
    that had left. The threshold comes from `loom_exit_threshold`
    (loom_abi.h), which applies the program's `--exit-threshold` and
    `--full-depth`.

    Key and value rows: the functions the body calls that (transitively)
    hold a `loom.cached_attention` are cloned with two more arguments, the
    tokens' left flags and the iterations left including this one. In
    them each attention first writes the rows of running tokens to its
    slot in this iteration and in every later one (the slots are
    `loom.kv_iteration_width` floats a position apart, as
    `--loom-bind-runtime` lays them out), and passes the rows it then
    caches with those of tokens that left replaced by what the slot holds:
    a token that left keeps the rows of its last iteration, which a later
    token reads, as the runtime's kernels do. An iteration runs, for
    every token, only while some token has not left: the host reads that
    count (one number; on a device `--loom-place-on-device` copies it
    back).

    After the loop, `loom_exit_record` adds the tokens' depths to the
    program's statistics (on a device, `--loom-place-on-device` copies
    them to the host for the call). Runs on bound `loom` IR before
    `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def LoomLowerMoECalls
    : Pass<"loom-lower-moe-calls", "::mlir::ModuleOp"> {
  let summary = "Mixtures of experts (loom.moe) as runtime calls";
  let description = [{
    Each `loom.moe` calls `loom_moe` (loom_abi.h) with the enclosing
    function's model context, the activations, the router, the experts'
    stacked gate, up and down matrices, the result buffer, the expert count,
    top_k, whether the chosen probabilities are renormalized and the
    activation id. The kernel reads only the chosen experts' weights, each
    once per call. Runs on bound `loom` IR, before `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"
  ];
}

def LoomLowerQuantizedCalls
    : Pass<"loom-lower-quantized-calls", "::mlir::ModuleOp"> {
  let summary = "Quantized products and quantizations as calls of the runtime";
  let description = [{
    Each `loom.linear` with a quantized weight (`format`) calls
    `loom_qgemm_nt` (loom_abi.h) with the enclosing function's model
    context, the activations, the weight's bytes, the bias (an empty buffer
    if none) and a new result buffer, which starts as the residual if the
    product has one. Each `loom.quantize` (in `prepare`) calls
    `loom_quantize`, which writes the format's bytes. Runs on bound `loom`
    IR, before `--convert-loom-to-linalg`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def LoomLowerLibraryCalls
    : Pass<"loom-lower-library-calls", "::mlir::ModuleOp"> {
  let summary = "Linalg ops with a library_call become calls of C kernels";
  let description = [{
    After bufferization, a linalg op carrying `library_call = "name"` becomes
    a call of `name` (the enclosing function's model context first, then its
    operands as dynamically shaped, strided memrefs). A product whose output
    was just zero-filled for it calls the kernel's `_overwrite` form, and the
    fill goes. The products' kernels take an activation id last: that of the
    `loom.epilogue` that follows the product on its output, which goes, or
    none.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def LoomApproximateMath : Pass<"loom-approximate-math", "::mlir::ModuleOp"> {
  let summary = "Polynomials for math.exp, math.tanh and math.erf";
  let description = [{
    Replaces them by MLIR's polynomial approximations, so that loops over
    them (SiLU, softmax, GELU) vectorize instead of calling libm.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def LoomLowerMemRefCopy : Pass<"loom-lower-memref-copy", "::mlir::ModuleOp"> {
  let summary = "memref.copy as linalg.copy, so that copies become loops";
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LoomOutlineParallelLoops
    : Pass<"loom-outline-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Outermost parallel loops into functions over a range";
  let description = [{
    Moves every outermost `scf.parallel` with enough work into a private
    function `(begin, end, model context, captured values...)` that runs the
    loop's first dimension over [begin, end), marked `loom.parallel_grain`
    (the fewest iterations worth a task), and calls it over the whole range.
    Loops in functions without a model context stay serial.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"16384",
           "Scalar operations a task should do at least (loops with less "
           "work in all stay serial)">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

def LoomLowerParallelCalls
    : Pass<"loom-lower-parallel-calls", "::mlir::ModuleOp"> {
  let summary = "Calls of outlined loops as loom_parallel_loop calls";
  let description = [{
    On the LLVM dialect: each call of a function marked
    `loom.parallel_grain` becomes `loom_parallel_loop(model context, task,
    captured, begin, end, grain)`, the captured values in a stack struct and
    a generated `task(captured, first, last)` that unpacks them.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LoomExportModel : Pass<"loom-export-model", "::mlir::ModuleOp"> {
  let summary = "Define the model's exported loom_model_def record";
  let description = [{
    On the LLVM dialect, last: defines the constant `loom_model_def` record
    (loom_abi.h) named `loom_model_<Name>` (or `symbol`) with the ABI version,
    the description and the entry points' C interfaces (null where the model
    has none), gives every other symbol internal linkage, and drops the
    `loom.context` marker. With `program`, also defines `loom_program_model`,
    the pointer an executable's `main` reads. With `device`, its `device`
    field points to that symbol: the model's GPU build, defined in another
    module linked with this one (`loomc --target=cuda`).
  }];
  let options = [
    Option<"symbol", "symbol", "std::string", /*default=*/"",
           "Name of the exported definition (default: loom_model_<the "
           "module's loom.model name>)">,
    Option<"program", "program", "bool", /*default=*/"false",
           "Also define loom_program_model, for executables">,
    Option<"device", "device", "std::string", /*default=*/"",
           "The exported definition of the model's GPU build, which the "
           "definition points to (default: none)">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // LOOM_TARGETS_CPU_PASSES_TD
