//===- Passes.td - loom architecture passes ----------------*- tablegen -*-===//

#ifndef LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_TD
#define LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomInferShapes : Pass<"loom-infer-shapes", "::mlir::ModuleOp"> {
  let summary = "Recompute result types from operand types";
  let description = [{
    Brings the IR's types back in line with its operands after a pass changed
    a weight or when the producer declared less precise types:

    * `loom.weight` results take the type of their `loom.param`;
    * ops implementing `InferTypeOpInterface` get their inferred result types
      (a declared type that is compatible and more precise is kept);
    * `loom.loop` body arguments and results follow the loop's inits;
    * `func.call` results follow the callee's signature, private functions'
      argument types follow their (agreeing) call sites, and every function's
      result types follow its `func.return`.

    Runs to a fixed point over the module. Call sites of a private function
    that disagree on an argument type are an error (specialize first).
  }];
}

def LoomUnrollLoops : Pass<"loom-unroll-loops"> {
  let summary = "Replace each loom.loop by trip_count copies of its body";
  let description = [{
    Every `loom.loop` becomes `trip_count` consecutive copies of its body, the
    iteration index replaced by an `arith.constant` and the loop-carried values
    threaded from one copy to the next. Numerics are unchanged. Nested loops
    are unrolled inside out.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LoomRollLayers : Pass<"loom-roll-layers"> {
  let summary = "Roll stacks of layers into loops over their weights";
  let description = [{
    A chain of calls of one block, each taking the previous one's result and
    its own weights (`loom.weight`), becomes a `loom.loop` with one call
    whose distinct weights are read by `loom.weight_select` at the iteration
    index; arguments every call shares stay as they are. The block is called
    from one place whatever the depth, so the code around the stack and the
    time to compile it no longer grow with it; results are bit-identical.
    `--loom-unroll-loops` (then canonicalization) gives the calls back.
    Chains of fewer than `min-layers` calls stay. Run it after the passes
    that rewrite weights per call (`--loom-derive-weights`).
  }];
  let options = [
    Option<"minLayers", "min-layers", "int64_t", /*default=*/"2",
           "Roll chains of at least this many calls (at least 2)">
  ];
}

def LoomDecomposeAttention : Pass<"loom-decompose-attention"> {
  let summary = "Split loom.attention into its projections and loom.attend";
  let description = [{
    Each `loom.attention` becomes `loom.linear` q, k and v projections of its
    input, `loom.attend` (RoPE, masked softmax over the keys, the weighted sum
    of the values) and the `loom.linear` output projection. Numerics are
    unchanged. Passes that rewrite projections (`--loom-fuse-qkv`, pruning)
    run after it; `--loom-bind-runtime` decomposes what is left.
  }];
}

def LoomFuseQKV : Pass<"loom-fuse-qkv"> {
  let summary = "One product for each attention's q, k and v projections";
  let description = [{
    For each `loom.attend` whose q, k and v are `loom.linear` projections of
    one input (after `--loom-decompose-attention`), with biases on all three
    or none: one `loom.linear` over `loom.concat` of the weights (and
    biases), and `loom.split` of its output into q, k and v. When the three
    weights are pieces of one tensor (GPT-2's `c_attn`), the concatenation
    folds to that tensor; otherwise `--loom-derive-weights` computes it once
    at load. Numerics are unchanged up to the order of additions in the
    product.
  }];
}

def LoomFuseGateUp : Pass<"loom-fuse-gate-up"> {
  let summary = "One product for each gated MLP's gate and up projections";
  let description = [{
    Each `loom.gated_mlp` (with both or neither of its gate and up biases)
    becomes `loom.linear` over `loom.concat(w_gate, w_up)`, `loom.glu` (the
    activation of the first half times the second half) and the down
    projection's `loom.linear`. Run `--loom-derive-weights` after it so that
    the concatenation happens once at load.
  }];
}

def LoomFuseResidual : Pass<"loom-fuse-residual"> {
  let summary = "Start products from the residual they are added to";
  let description = [{
    `loom.add(r, loom.linear(x, w, b))`, the product used by the add alone,
    becomes `loom.linear(x, w, b) residual r`: the product accumulates into
    the residual, and the add's pass over its [seq, width] operands goes
    away. A `loom.mlp` in that place is split into its up product,
    `loom.activation` and its down product, which takes the residual. Run it
    after `--loom-decompose-attention` (attention's output projection) and
    `--loom-fuse-gate-up` (a gated MLP's down projection).
  }];
}

def LoomFuseActivation : Pass<"loom-fuse-activation"> {
  let summary = "Apply activations in the epilogue of the products they follow";
  let description = [{
    `loom.activation A (loom.linear ...)`, the product used by the
    activation alone and without an activation of its own, becomes
    `loom.linear ... activation A`: the product applies it to each finished
    part of its result while that part is in cache, and the activation's
    pass over [seq, width] (a read and a write) goes away. A `loom.mlp` is
    first split into its up product, its activation and its down product.
    Run it after `--loom-fuse-residual`, which leaves a product with an
    activation alone.
  }];
}

def LoomFoldNorm : Pass<"loom-fold-norm"> {
  let summary = "Fold RMSNorm scales into the products that read the norm";
  let description = [{
    An RMSNorm whose result is read only as the input of `loom.linear` ops
    drops its scale `gamma`, and each of those products takes the weight
    `loom.mul(W, gamma)` (W's columns scaled: exact in real arithmetic). Run
    `--loom-derive-weights` after it so that the scaled weights are computed
    once at load. A weight also read otherwise (a tied embedding and LM head)
    is left alone, with its norm.
  }];
}

def LoomSmoothActivations
    : Pass<"loom-smooth-activations", "::mlir::ModuleOp"> {
  let summary = "Move the range of normed inputs into the products' weights";
  let description = [{
    SmoothQuant / AWQ-style reparameterization, exact before rounding: a
    norm (RMSNorm, or LayerNorm) whose result feeds only linear layers
    scales its output by `1 / s` (its gamma, and beta, times `1 / s`) and
    each of those products takes `w diag(s)`, `s = loom.smooth_scales` of
    their weights (stacked) and the calibrated importance of their input
    (`NAME.importance`, as `--loom-quantize-weights{importance=true}` reads
    it). Channels that are loud in the calibration data are scaled down
    before the quantized products round the activations, and their weights
    scaled up before the weights are rounded; `alpha` balances the two
    (0: the weights' ranges alone; 1: the activations' alone). Quantizing a
    smoothed product with importance weighs its channels by the importance
    of the smoothed input (`importance / s^2`).

    Run it after the fusions (q, k and v, or gate and up, then share one
    matrix) and before `--loom-quantize-weights`. Norms whose result also
    goes elsewhere (post-norm residuals, as in BERT) are left alone, as
    are products that are already quantized and weights read elsewhere too
    (a tied embedding table). `--loom-derive-weights` then makes the scales
    and the scaled weights derived weights, computed at load.
  }];
  let options = [
    Option<"alpha", "alpha", "double", /*default=*/"0.5",
           "Migration strength in [0, 1]">,
    Option<"allProducts", "all-products", "bool", /*default=*/"false",
           "Also smooth products whose input is not a norm's, multiplying "
           "their input by 1 / s as they run">
  ];
}

def LoomConvertWeights : Pass<"loom-convert-weights", "::mlir::ModuleOp"> {
  let summary = "Keep the weights of linear layers in half precision";
  let description = [{
    Each `loom.linear` with an f32 weight (not quantized) reads it through
    `loom.convert` to `type` (`bf16` or `f16`, rounded to nearest even), and
    widens each element to f32 as it multiplies: the weight takes half the
    memory and a decode step reads half the bytes. So does each
    `loom.embedding`'s f32 table (its rows widened as they are read); an LM
    head tied to the table reads the same converted copy. Attention layers and
    MLPs are first rewritten as their products. Run `--loom-derive-weights`
    after it, so that each conversion is computed once at load; the original
    f32 weights are then only read at load. Generated loops read the
    narrower weights (the CUDA target's device build); the CPU runtime's
    kernels keep half-precision matrices on their own (`--weight-type`).
  }];
  let options = [
    Option<"type", "type", "std::string", /*default=*/"\"bf16\"",
           "The weights' type: bf16 or f16">,
  ];
}

def LoomQuantizeWeights : Pass<"loom-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Block-quantize the weights of linear layers";
  let description = [{
    Each selected `loom.linear` reads its weight through `loom.quantize` in
    `format` and multiplies by the quantized bytes (`format` on the linear),
    so the runtime's integer kernels stream 8.5 (q8_0), 4.5 (q4_0, q4_k) or
    5 (q4_1) or 8 (int8, one f32 scale a row) bits a weight instead of 32. q4_k needs rows of whole 256-weight
    super-blocks: a product whose rows are not is quantized in q4_1 instead
    (a remark counts them), as llama.cpp falls back for such tensors. `--loom-derive-weights` then turns
    each quantization into a derived param, computed once at load (or ahead
    of time with `loomc --emit=weights`). Run it after the fusions, so that
    a fused matrix is quantized whole.

    A product is selected when its kind is in `layers` (`attention`: the q,
    k, v and output projections; `ffn`: the feed-forward products; `head`:
    a product whose result the entry point returns; `other`), one of its
    weight's checkpoint names matches an `include` pattern (when any are
    given) and none matches an `exclude` pattern. Patterns are regular
    expressions searched in the name. `overrides` (`PATTERN=FORMAT`, the
    first match wins) give some products another format: mixed precision,
    such as more bits for the down projections. `PATTERN=FORMAT:bf16` (or
    `:int8x2`, `:int8`) also sets how those products' inputs are rounded,
    for finer inputs where they matter only. Patterns and overrides match
    each call's names, so a product in a block may be quantized differently
    per layer: a block whose calls would quantize its products in several
    ways gets one copy per way (with a remark), the calls of the first
    call's way keeping the original. A block called from another block is
    not specialized: its calls must agree.

    With `importance`, each `loom.quantize` also reads the importance of the
    product's input channels, a checkpoint param `NAME.importance` ([in],
    f32), NAME being the name the unquantized build gives the weight the
    product reads (its checkpoint name, or its derived name such as
    `p.{q_proj,k_proj,v_proj}.weight`); a program's `--calibrate` run writes
    exactly these. Inside a block, the importance is a new argument that
    each call passes (blocks called from blocks are not supported yet).

    With `covariance`, each `loom.quantize` also reads the covariance of the
    product's inputs, a param `NAME.covariance` ([in, in], found as the
    importance is; a program's `--calibrate` run with `--calibrate-covariance`
    writes it), and rounds with error feedback (GPTQ). A weight smoothed by
    `--loom-smooth-activations` reads `x / s`: its importance becomes
    `importance / s^2` and its covariance `diag(1/s) H diag(1/s)`, both
    formed from its unsmoothed weight's statistics.

    `inputs` marks every quantized product (unless an override says
    otherwise) with how the runtime rounds its inputs: `int8`, 8 bits per
    block of 32 (the default, left unwritten); `int8x2`, that rounding's
    error rounded to 8 bits more and two integer products summed (prompts
    cost twice the integer arithmetic); `bf16`, each input rounded to
    bfloat16 and multiplied by the weights' exact integers (bfloat16 dot
    products where the CPU has them). A decode step reads each weight once
    in every case.
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"q8_0\"",
           "Block format: q8_0, q4_0, q4_1, q4_k or int8 (per channel)">,
    ListOption<"layers", "layers", "std::string",
               "Kinds of products to quantize: attention, ffn, head, other, "
               "and embedding for token embedding tables (default: every "
               "product, no embedding table)">,
    ListOption<"include", "include", "std::string",
               "Quantize only weights whose name matches one of these "
               "regular expressions">,
    ListOption<"exclude", "exclude", "std::string",
               "Leave weights whose name matches one of these alone">,
    ListOption<"overrides", "overrides", "std::string",
               "PATTERN=FORMAT[:int8|:int8x2|:bf16]: products whose weights' "
               "names match PATTERN are quantized in FORMAT, their inputs "
               "rounded so where given (the first match wins)">,
    Option<"importance", "importance", "bool", /*default=*/"false",
           "Weigh rounding errors by each input channel's importance, read "
           "from the checkpoint tensor NAME.importance (a calibration run's "
           "statistics; NAME as the unquantized build calls the weight)">,
    Option<"covariance", "covariance", "bool", /*default=*/"false",
           "Round with error feedback (GPTQ) from the checkpoint tensor "
           "NAME.covariance, the sum of x x^T over a calibration run's inputs">,
    Option<"inputs", "inputs", "std::string", /*default=*/"\"int8\"",
           "How each quantized product rounds its input: int8 (8 bits per "
           "block of 32), int8x2 (its rounding error rounded to 8 more bits, "
           "for a second integer product) or bf16 (bfloat16)">
  ];
}

def LoomDropLayers : Pass<"loom-drop-layers", "::mlir::ModuleOp"> {
  let summary = "Remove whole blocks (layers) from the model";
  let description = [{
    Structured compression by layer removal (ShortGPT, LaCo): each block
    call named in `layers` is removed, the hidden state it would have
    transformed passed on unchanged. A layer is named by the checkpoint
    prefix its weights share, e.g. `model.layers.7` for the seventh layer of
    a Llama stack (`blk.7` in a GGUF file); a layer of a weight-shared loop
    leaves every iteration of the loop. The remaining layers keep their
    weights and names, so the program runs from the original checkpoint;
    params nothing reads any more are removed, and their KV cache is not
    allocated.

    With `count` instead of `layers`, the `count` layers of least block
    influence go: `scores` gives each layer's influence as `NAME=VALUE`
    (what a calibration run measured, 1 - cos(input, output) averaged over
    rows, ShortGPT's score; `loomc --drop-layers-count` reads them from the
    run's statistics file). Ties go to the later layer.

    Errors: a name no block call has (the message lists the layers there
    are), a block whose output is not its input's shape, removing every
    layer; with `count`: both `layers` and `count`, no `scores`, a malformed
    score, or a layer without a score (statistics of another model).
  }];
  let options = [
    ListOption<"layers", "layers", "std::string",
               "Checkpoint prefixes of the layers to remove (e.g. "
               "model.layers.7)">,
    Option<"count", "count", "unsigned", "0",
           "Remove this many layers, those of least block influence in "
           "`scores`">,
    ListOption<"scores", "scores", "std::string",
               "With `count`: each layer's block influence, NAME=VALUE">
  ];
}

def LoomObserveLayers : Pass<"loom-observe-layers", "::mlir::ModuleOp"> {
  let summary = "Show each layer's input and output to calibration runs";
  let description = [{
    Each block that the entry point calls once per layer (a call naming its
    layer by its weights' checkpoint prefix, as `--loom-drop-layers` names
    them; not inside a loop) starts with `loom.observe input` of its hidden
    state and ends with `loom.observe output` of what it returns. The module
    gets `loom.layers`, the layer names in the order of those calls, which
    the model description carries; the runtime pairs the n-th observed call
    of a forward pass with the n-th name. Blocks called otherwise (in a
    loop, from another block, without layer names) and blocks whose result
    is not their input's type are left alone. Outside a calibration run the
    observations cost a call that returns at once.
  }];
}

def LoomMergeLayers : Pass<"loom-merge-layers", "::mlir::ModuleOp"> {
  let summary = "Merge groups of layers into one by parameter merging (LaCo)";
  let description = [{
    Each group of `groups` (layers named by their checkpoint prefixes,
    joined by `+`: `model.layers.12+model.layers.13+model.layers.14`)
    becomes its first layer with merged weights, and the others are removed,
    the hidden state they would have transformed passed on. `mode=laco`
    (LaCo's reserving-differences merge) keeps the first layer and adds what
    each other one changes from it, `W_1 + sum_i (W_i - W_1)`;
    `mode=average` averages them. Every weight of the layers is merged
    (norm scales too); the merged weights are derived params computed at
    load (`model.layers.{12,13,14}.mlp.up_proj.weight.merged`). The layers
    of a group must be calls of one block that run once (not iterations of
    a weight-shared loop); a layer may be in one group only.
  }];
  let options = [
    ListOption<"groups", "groups", "std::string",
               "Groups of layers to merge, each A+B(+...): the first takes "
               "the merged weights">,
    Option<"mode", "mode", "std::string", /*default=*/"\"laco\"",
           "How weights merge: laco (the first plus the others' changes "
           "from it) or average">
  ];
}

def LoomPruneFFN : Pass<"loom-prune-ffn", "::mlir::ModuleOp"> {
  let summary = "Remove the least important neurons of every feed-forward network";
  let description = [{
    Structured pruning of feed-forward networks (LLM-Pruner, FLAP, Wanda-sp
    style): each `loom.gated_mlp` and `loom.mlp` keeps `F - floor(ratio *
    F)` of its F neurons, chosen per layer by score, and loses the others'
    rows of the gate and up weights (and biases) and columns of the down
    weight. The pruned weights are `loom.prune_neurons` of the original
    ones, so `--loom-derive-weights` computes them at load from the original
    checkpoint (or `--emit=weights` ahead of time); layers keep one shape,
    so a stack stays one block (unless `keep` gives layers counts of their
    own). Scores: the weights' magnitude, or with
    `importance`, the calibrated activation of each neuron (the checkpoint
    tensor `NAME.importance` of the down projection's weight NAME, from a
    program's `--calibrate` run) times the magnitude of its down column.
    `ratio=0` changes nothing; `multiple-of` rounds the neurons kept up to
    a multiple (32 for the block formats of `--loom-quantize-weights`).
    Run it before the fusions.

    With `keep=NAME=N,...` (what `loomc --prune-scope=global` computes),
    the network whose down weight is the checkpoint tensor NAME keeps N
    neurons instead: layers then differ in width, and a block whose layers
    keep different counts is copied per layer first. Errors: a malformed
    count, a name no network's down weight has, a count above the
    network's width.
  }];
  let options = [
    Option<"ratio", "ratio", "double", /*default=*/"0.0",
           "Fraction of each layer's neurons to remove, in [0, 1)">,
    Option<"importance", "importance", "bool", /*default=*/"false",
           "Score neurons by calibrated activations (checkpoint tensors "
           "NAME.importance) instead of weight magnitude">,
    Option<"multipleOf", "multiple-of", "int64_t", /*default=*/"1",
           "Keep a multiple of this many neurons (rounding up): the group "
           "size of a quantized format the down weight's rows must fill">,
    ListOption<"keep", "keep", "std::string",
               "Per network, NAME=N: the network whose down weight is the "
               "checkpoint tensor NAME keeps N neurons (global pruning; "
               "the others follow `ratio`)">
  ];
}

def LoomLoopify : Pass<"loom-loopify", "::mlir::ModuleOp"> {
  let summary = "Share a stack's weights among fewer blocks applied in a loop";
  let description = [{
    Relaxed Recursive Transformers: a stack of N layers (a chain of N calls
    of one block) becomes `blocks` = K shared blocks applied N / K times,
    layer l running shared block l mod K. Each matrix weight of shared
    block j is initialized from the layers it stands for, j, j + K, ...:
    their average (`init=average`) or the first of them (`init=first`,
    "lower"). Vector weights (norm scales, biases) stay per layer unless
    `share-vectors`. With `rank` = r > 0, each layer also gets a LoRA delta
    on each shared matrix: the products of a layer become
    `x S^T + (x a^T) b^T` with `a`, `b` the rank-r factors (`loom.low_rank`)
    of the difference between the layer's own weight and the shared one, so
    that at full rank (`full-rank`: each matrix's smaller side) the model
    computes what the original computes.

    The shared weights and the factors are derived weights, computed at
    load from the original checkpoint (or ahead of time with
    `--emit=weights`): `model.layers.{0,15}.mlp.up_proj.weight.mean`,
    `model.layers.15.mlp.up_proj.weight.lora64.a`. The block gains the
    factors as arguments (a copy of it does, if others call it too), and
    its attention and MLP layers become products. Each layer keeps its own
    KV cache. Run `--loom-roll-layers` afterwards to emit the stack as one
    loop. `blocks=0` changes nothing.

    With `prefix=P`, the derived weights are named as a relaxed recursive
    loop in the language reads them, so that `--emit=weights` writes a
    checkpoint for `loop Block x N lora(r) @ "P"` (one block) or
    `loop Block[K] x N/K lora(r) @ "P"` (K blocks; P then has `{i}`, the
    block's index): shared weights `P.NAME`, layer l's factors
    `P.NAME.lora.T.a/b` with T = l / K. It needs `share-vectors` (a loop
    shares its norm scales and biases) and one rank for every matrix (not
    `full-rank`).
  }];
  let options = [
    Option<"blocks", "blocks", "int64_t", /*default=*/"0",
           "Shared blocks; they must divide the layers of each stack "
           "(0: none)">,
    Option<"init", "init", "std::string", /*default=*/"\"average\"",
           "Shared weights from the layers they stand for: average or "
           "first">,
    Option<"rank", "rank", "int64_t", /*default=*/"0",
           "Rank of each layer's LoRA delta on the shared matrices (0: no "
           "delta)">,
    Option<"fullRank", "full-rank", "bool", /*default=*/"false",
           "Deltas of each shared matrix's full rank (its smaller side): "
           "the original model, up to rounding">,
    Option<"shareVectors", "share-vectors", "bool", /*default=*/"false",
           "Share vector weights (norm scales, biases) as well">,
    Option<"importance", "importance", "bool", /*default=*/"false",
           "Activation-aware deltas: weigh each input channel by its "
           "calibrated importance (the layer's NAME.importance)">,
    Option<"prefix", "prefix", "std::string", /*default=*/"\"\"",
           "Name the derived weights as the language's relaxed recursive "
           "loop bound to this checkpoint path reads them ({i}: the "
           "block)">
  ];
}

def LoomExtractSubmodel : Pass<"loom-extract-submodel", "::mlir::ModuleOp"> {
  let summary = "Keep the first neurons of every feed-forward network (MatFormer)";
  let description = [{
    A MatFormer-trained model nests smaller feed-forward networks in each
    larger one, so that the first m neurons of every layer form a sub-model
    that works on its own. This keeps, in each `loom.gated_mlp` and
    `loom.mlp`, rows [0, `ffn`) of the gate and up weights and biases and
    columns [0, `ffn`) of the down weight (`loom.slice` views of the
    original weights), so the program runs the sub-model from the full
    checkpoint. `ffn` equal to a network's width leaves it alone; above it
    is an error; `ffn=0` changes nothing. `heads` = G likewise keeps the
    first G key/value head groups of every `loom.attention` (with the query
    heads that read them): rows of the query, key and value weights and
    biases, columns of the output weight; its KV cache shrinks with them.
  }];
  let options = [
    Option<"ffn", "ffn", "int64_t", /*default=*/"0",
           "Neurons each feed-forward network keeps (0: all)">,
    Option<"heads", "heads", "int64_t", /*default=*/"0",
           "Key/value head groups each attention keeps (0: all)">
  ];
}

def LoomLowRank : Pass<"loom-low-rank", "::mlir::ModuleOp"> {
  let summary = "Factor the weights of linear layers by truncated SVD";
  let description = [{
    Low-rank factorization (PELA, DSFormer style): each selected product
    `x w^T` with `w: [N, K]` becomes the two thin products `(x a^T) b^T`,
    `a: [r, K]` and `b: [N, r]` the factors of `w`'s best rank-r
    approximation (`loom.low_rank`, derived weights computed at load from
    one singular value decomposition, or ahead of time with
    `--emit=weights`). The second product keeps the first's bias, residual
    and activation. The rank is `rank`, or with `keep`, the largest that
    keeps at most that fraction of each weight's parameters
    (`floor(keep N K / (N + K))`, at least 1); `multiple-of` rounds it up
    (32 for the block formats of `--loom-quantize-weights`, whose rows the
    rank fills). A product whose factors would not be smaller than its
    weight is left alone, so `rank` of the full size changes nothing; a
    `rank` above a selected weight's smaller side is an error.

    With `importance`, the factors are activation-aware (ASVD): those of
    `w diag(s)`, `s` the square roots of the calibrated importance of the
    product's input channels (the checkpoint tensor `NAME.importance` a
    program's `--calibrate` run writes, NAME the weight's name), with `a`
    scaled back, so that the approximation is best for the inputs the
    product sees rather than for all inputs alike.

    Products are selected as `--loom-quantize-weights` selects them: by kind
    (`layers`: attention, ffn, head, other) and by regular expressions
    searched in their weights' checkpoint names (`include`, `exclude`).
    Attention and MLP layers with a selected weight become separate
    products first. Run it before the fusions: each matrix is factored on
    its own.

    With `ranks=NAME=R,...`, a selected product whose weight is the
    checkpoint tensor NAME gets rank R (`loomc --low-rank-energy` computes
    them from each weight's singular values); selected products without
    one follow `rank` or `keep`, or stay whole with neither. A block whose
    layers' weights get different ranks is copied per layer first. Errors
    as above, and: a malformed rank, a name no selected product's weight
    has.
  }];
  let options = [
    Option<"rank", "rank", "int64_t", /*default=*/"0",
           "The rank of every selected weight's factors (0: use keep)">,
    Option<"keep", "keep", "double", /*default=*/"0.0",
           "Fraction of each weight's parameters its factors keep, in "
           "[0, 1) (0: use rank)">,
    Option<"multipleOf", "multiple-of", "int64_t", /*default=*/"1",
           "Round the rank up to a multiple of this">,
    ListOption<"ranks", "ranks", "std::string",
               "Per weight, NAME=R: the selected product whose weight is the "
               "checkpoint tensor NAME is factored at rank R (what loomc "
               "--low-rank-energy computes; the others follow rank or keep)">,
    ListOption<"layers", "layers", "std::string",
               "Kinds of products to factor: attention, ffn, head, other "
               "(default: all)">,
    ListOption<"include", "include", "std::string",
               "Factor only weights whose name matches one of these regular "
               "expressions">,
    ListOption<"exclude", "exclude", "std::string",
               "Leave weights whose name matches one of these alone">,
    Option<"importance", "importance", "bool", /*default=*/"false",
           "Activation-aware factors (ASVD): weigh each input channel by "
           "its calibrated importance, the checkpoint tensor "
           "NAME.importance">
  ];
}

def LoomPruneHeads : Pass<"loom-prune-heads", "::mlir::ModuleOp"> {
  let summary = "Remove the least important attention heads of every layer";
  let description = [{
    Structured pruning of attention heads, aware of grouped-query attention:
    each `loom.attention` with KV key/value heads keeps `KV - floor(ratio *
    KV)` head groups (a key/value head and the query heads that read it;
    with as many key/value heads as query heads, single heads), chosen per
    layer by score. Its query, key and value weights and biases lose the
    rows of the other groups and its output weight their columns (each a
    `loom.prune_heads` of the original weight, a derived weight computed at
    load); its head counts shrink, and with them its KV cache. Scores: the
    weights' magnitude, or with `importance`, the calibrated activations of
    the output projection's input (`NAME.importance` of its weight NAME,
    from a program's `--calibrate` run). `ratio=0` changes nothing. Run it
    before `--loom-decompose-attention`.

    With `keep=WO=G,...` (what `loomc --prune-scope=global` computes), the
    attention whose output weight is the checkpoint tensor WO keeps G head
    groups instead; a block whose layers keep different counts is copied
    per layer first. `count=N` instead of `ratio` removes N groups from
    each attention. Errors: a ratio and a count, a count that leaves an
    attention no group, a malformed per-layer count, a name no attention's
    output weight has, a count above the attention's groups.
  }];
  let options = [
    Option<"ratio", "ratio", "double", /*default=*/"0.0",
           "Fraction of each layer's head groups to remove, in [0, 1)">,
    Option<"importance", "importance", "bool", /*default=*/"false",
           "Score head groups by calibrated activations (checkpoint tensors "
           "NAME.importance) instead of weight magnitude">,
    Option<"count", "count", "unsigned", /*default=*/"0",
           "Head groups to remove from each attention (instead of a ratio)">,
    ListOption<"keep", "keep", "std::string",
               "Per attention, WO=G: the attention whose output weight is "
               "the checkpoint tensor WO keeps G head groups (global "
               "pruning; the others follow `ratio`)">
  ];
}

def LoomDeriveWeights : Pass<"loom-derive-weights", "::mlir::ModuleOp"> {
  let summary = "Turn computations on weights alone into derived params";
  let description = [{
    Each outermost computation (`loom.concat`, `loom.mul`, `loom.add`,
    `loom.scale`, `loom.quantize`) whose operands come from weights alone, through views
    (`loom.transpose`, `loom.split`, `loom.slice`), becomes a derived
    `loom.param` whose `init` region holds it: the runtime computes it once
    at load instead of on every forward call. Views stay where they are (the
    kernels read them in place).

    Inside a block function, a computation on the block's weight arguments
    becomes one derived param per call site (every call site must pass
    weights for those arguments), passed to the block as a new argument;
    weight arguments nothing reads any more are removed. A derived param is
    named after what it reads: `p.{q_proj,k_proj,v_proj}.weight` for the
    concatenation of `p.q_proj.weight`, `p.k_proj.weight` and
    `p.v_proj.weight`, otherwise `op(a,b,...)`; one computed twice with the
    same weights is one param.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_TD
