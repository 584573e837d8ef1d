//===- Passes.td - Loom conversion passes ------------------*- tablegen -*-===//

#ifndef LOOM_COMPILER_CONVERSION_PASSES_TD
#define LOOM_COMPILER_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomBindRuntime : Pass<"loom-bind-runtime", "mlir::ModuleOp"> {
  let summary = "Give the model's entry point the runtime's calling convention";
  let description = [{
    Rewrites `@forward` into the entry point the runtime calls:

    ```
    func.func @forward(%ctx: !llvm.ptr {loom.context},
                       %tokens: memref<?xi32>, %pos: index,
                       %key_cache: memref<S x ? x W x f32>,
                       %value_cache: memref<S x ? x W x f32>,
                       %out: memref<? x D x f32>)
    ```

    `pos` is the absolute position of the first token, so the same function
    runs a prompt (prefill) and single tokens (decode). `ctx` is the model
    context (`loom_context *`, runtime/include/loom/loom_abi.h): parameters
    are read from its table of pointers, which the runtime fills from the
    checkpoint, and block functions receive it too, so that target lowerings
    can pass it to the runtime's kernels. The generated code has no global
    state. Every `loom.attention` is decomposed into its projections,
    `loom.rope` and `loom.cached_attention` on its own KV cache slot; inside
    weight-shared loops the slot depends on the iteration, so each
    (iteration, layer) pair has its own slot. Blocks stay functions (their
    code is emitted once however often they run): each gets the position,
    the caches, the slot of its first attention and the context as trailing
    arguments.
    `@forward_last` (from `--loom-add-last-row-entry`), when there is one,
    is bound the same way. Derived params' `init` regions become
    `@prepare(ctx, index)`. Finally the pass records what the runtime must
    know (tensors, derived weights, cache geometry, output) as a JSON string,
    `@loom.model_info`.
  }];
  let options = [
    Option<"packWeights", "pack-weights", "bool", /*default=*/"true",
           "Let the runtime keep weight matrices in its kernels' layout (off "
           "when no kernel reads them)">,
    Option<"weightType", "weight-type", "std::string", /*default=*/"\"keep\"",
           "What the runtime keeps weight matrices in for its kernels: keep "
           "(the checkpoint's type), f32, f16 or bf16">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::LLVM::LLVMDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"
  ];
}

def LoomAddLastRowEntry : Pass<"loom-add-last-row-entry", "mlir::ModuleOp"> {
  let summary = "Give decoders an entry point that returns the last row only";
  let description = [{
    For a model with causal attention, clones `@forward` as `@forward_last`,
    which returns only the last position's row, and moves that row selection
    up through every row-wise op (linear layers, norms, MLPs, elementwise
    ops), so that they run on one row; ops that mix rows (attention, blocks,
    loops) stay whole. Generation needs only the next token's logits, so the
    LM head runs on one row instead of the whole prompt. Encoders, and
    modules that have `@forward_last` already, are left alone.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect"];
}

def ConvertLoomToLinalg : Pass<"convert-loom-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower loom layers to linalg, tensor, arith, math and scf";
  let description = [{
    Every `loom` op except parameters becomes linalg operations on tensors;
    `loom.loop` becomes `scf.for`. Parameters are dropped afterwards (they
    have been bound to the runtime by `--loom-bind-runtime`). Products carry
    a `library_call` naming the runtime's kernel, which a target may honour
    (`--loom-lower-library-calls`); what a target lowers itself before this
    pass (attention calls) is left alone.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::linalg::LinalgDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

#endif // LOOM_COMPILER_CONVERSION_PASSES_TD
