//===- LoomOps.td - loom operations ------------------------*- tablegen -*-===//
//
// Operations of the `loom` dialect. Layer ops take activations `[seq, D]`
// (sequence dimension usually dynamic) and weights as SSA values; every layer
// and elementwise op infers its result type from its operands, and accepts a
// declared result type that is compatible but less precise (see
// `--loom-infer-shapes`).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_IR_LOOMOPS_TD
#define LOOM_DIALECT_LOOM_IR_LOOMOPS_TD

include "dialects/Loom/IR/LoomDialect.td"
include "dialects/Loom/IR/LoomAttrs.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints and shared traits
//===----------------------------------------------------------------------===//

/// An activation: `[seq, D]`, the sequence dimension usually dynamic.
def Loom_Activation : TensorRankOf<[AnyFloat], [2]>;
/// A 2-D weight matrix, `[out, in]` for projections.
def Loom_Matrix : TensorRankOf<[AnyFloat], [2]>;
/// A block-quantized 2-D weight matrix: `[out, row bytes]` of i8, its
/// format given by the op that reads it (`#loom.quant`).
def Loom_QuantizedMatrix : TensorRankOf<[I8], [2]>;
/// A 1-D weight (bias, norm scale).
def Loom_Vector : TensorRankOf<[AnyFloat], [1]>;
/// Token ids, `[seq]`.
def Loom_Ids : TensorRankOf<[AnySignlessInteger], [1]>;
/// Any ranked float tensor (weight/tensor manipulation ops).
def Loom_Tensor : RankedTensorOf<[AnyFloat]>;

/// Result type inference from operands, accepting declared result types that
/// are compatible (same element type, same rank, dims equal or dynamic).
def Loom_InferType : InferTypeOpAdaptorBase<[{
  static bool isCompatibleReturnTypes(::mlir::TypeRange l,
                                      ::mlir::TypeRange r) {
    return ::loom::detail::areCompatibleReturnTypes(l, r);
  }
}]>;

/// Each row of the result is computed from the same row of every operand
/// that is a sequence (`[seq, D]`, `seq` dynamic); the other operands
/// (weights, rows that broadcast) are read whole. A computation that needs
/// only some rows of the result (the last one, for a decoder's logits) may
/// compute the op on those rows alone (`--loom-add-last-row-entry`).
def Loom_RowWise : NativeOpTrait<"RowWise"> {
  let cppNamespace = "::loom::OpTrait";
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def Loom_ParamOp : Loom_Op<"param", [
    Symbol, IsolatedFromAbove, NoRegionArguments
  ]> {
  let summary = "a named model parameter bound to a checkpoint tensor";
  let description = [{
    Declares a model parameter at module level. Without an `init` region the
    parameter is read from the checkpoint tensor `checkpoint` (by default the
    symbol name). With an `init` region the parameter is *derived* from other
    parameters: the region reads them with `loom.weight`, combines them with
    pure ops (concat, transpose, slice, ...) and yields the value. This is how
    a pass that rewrites weights records the rewrite, so the same rewrite can
    be applied to the checkpoint.

    ```mlir
    loom.param @"model.norm.weight" : tensor<768xf32>
    loom.param @wte checkpoint "transformer.wte.weight" : tensor<50257x768xf32>
    loom.param @qkv : tensor<2304x768xf32> init {
      %q = loom.weight @q : tensor<768x768xf32>
      %k = loom.weight @k : tensor<768x768xf32>
      %v = loom.weight @v : tensor<768x768xf32>
      %c = loom.concat %q, %k, %v axis = 0 : (...) -> tensor<2304x768xf32>
      loom.yield %c : tensor<2304x768xf32>
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyRankedTensor>:$type,
                       OptionalAttr<StrAttr>:$checkpoint);
  let regions = (region MaxSizedRegion<1>:$init);
  let assemblyFormat = [{
    $sym_name (`checkpoint` $checkpoint^)? attr-dict `:` $type
    (`init` $init^)?
  }];
  let builders = [
    OpBuilder<(ins "::llvm::StringRef":$name,
                   "::mlir::RankedTensorType":$type,
                   CArg<"::llvm::StringRef", "\"\"">:$checkpoint)>
  ];
  let extraClassDeclaration = [{
    /// The parameter's tensor type.
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    /// Name of the checkpoint tensor: `checkpoint`, else the symbol name.
    ::llvm::StringRef getCheckpointName() {
      if (auto name = getCheckpoint())
        return *name;
      return getSymName();
    }
    /// True when the parameter is computed from other parameters.
    bool isDerived() { return !getInit().empty(); }
  }];
  let hasRegionVerifier = 1;
}

def Loom_WeightOp : Loom_Op<"weight", [
    Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>
  ]> {
  let summary = "reads a model parameter";
  let description = [{
    Yields the value of the `loom.param` named by `param`. The result type
    must equal the parameter's type.

    ```mlir
    %w = loom.weight @"lm_head.weight" : tensor<32000x768xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$param);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$param attr-dict `:` type($result)";
  let builders = [OpBuilder<(ins "ParamOp":$param)>];
  let hasCanonicalizer = 1;
}

def Loom_WeightSelectOp : Loom_Op<"weight_select", [
    Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>
  ]> {
  let summary = "reads one of several model parameters, chosen by an index";
  let description = [{
    Yields the value of `params[index]`; every parameter has the result
    type, and `index` is in `[0, size(params))`. Inside a `loom.loop` whose
    iteration index selects the parameter, one loop body runs layers with
    distinct weights: `--loom-roll-layers` writes it, and a target reads the
    parameter through a table of the runtime's weights. A constant index
    folds to `loom.weight` (so `--loom-unroll-loops` gives back one
    `loom.weight` per layer).

    ```mlir
    %w = loom.weight_select [@"l.0.w", @"l.1.w", @"l.2.w"][%i] : tensor<768x768xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefArrayAttr:$params, Index:$index);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$params `[` $index `]` attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Embeddings
//===----------------------------------------------------------------------===//

def Loom_EmbeddingOp : Loom_Op<"embedding", [Pure, Loom_InferType]> {
  let summary = "token embedding lookup";
  let description = [{
    `result[s, :] = table[ids[s], :]`; `ids: [seq]`, `table: [vocab, D]`,
    result `[seq, D]` (f32). A bf16 or f16 table's rows are widened to f32
    as they are read (`--loom-convert-weights`).

    With `format`, the table is block-quantized: `table` holds the bytes of
    the `[vocab, D]` matrix in that format (`tensor<vocab x R x i8>`, R the
    bytes of a row of D values; `--loom-quantize-weights` with the
    `embedding` layer kind writes these), and each row is decoded as it is
    read.

    ```mlir
    %x = loom.embedding %ids, %wte : (tensor<?xi32>, tensor<50257x768xf32>) -> tensor<?x768xf32>
    %q = loom.embedding %ids, %wq format q8_0 : (tensor<?xi32>, tensor<50257x816xi8>) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Ids:$ids,
                       AnyTypeOf<[Loom_Matrix, Loom_QuantizedMatrix]>:$table,
                       OptionalAttr<Loom_QuantFormatAttr>:$format);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    $ids `,` $table (`format` custom<QuantFormat>($format)^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$ids, "::mlir::Value":$table), [{
      build($_builder, $_state, ids, table, ::loom::QuantFormatAttr());
    }]>
  ];
  let hasVerifier = 1;
}

def Loom_PositionEmbeddingOp : Loom_Op<"position_embedding",
    [Pure, Loom_InferType]> {
  let summary = "learned absolute position embedding";
  let description = [{
    `result[s, :] = table[offset + s, :]` for `s` in `0 .. seq-1`, where `seq`
    is the length of `ids` (only its length is used) and `offset` (an index,
    default 0) is the position of the first token: the number of tokens
    already in the KV cache when decoding. The table's row count bounds the
    positions. `table: [positions, D]`, result `[seq, D]`.

    ```mlir
    %p = loom.position_embedding %ids, %wpe : (tensor<?xi32>, tensor<1024x768xf32>) -> tensor<?x768xf32>
    %p = loom.position_embedding %ids, %wpe offset %pos : (tensor<?xi32>, tensor<1024x768xf32>, index) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Ids:$ids, Loom_Matrix:$table,
                       Optional<Index>:$offset);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    $ids `,` $table (`offset` $offset^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$ids, "::mlir::Value":$table), [{
      build($_builder, $_state, ids, table, ::mlir::Value());
    }]>
  ];
  let hasVerifier = 1;
}

def Loom_EmbeddingRowOp : Loom_Op<"embedding_row", [Pure, Loom_InferType]> {
  let summary = "one row of an embedding table";
  let description = [{
    `result = table[index, :]`; `table: [N, D]`, result `[D]`, `0 <= index < N`.

    ```mlir
    %cls = loom.embedding_row %wte[0] : tensor<50257x768xf32> -> tensor<768xf32>
    ```
  }];
  let arguments = (ins Loom_Matrix:$table,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$index);
  let results = (outs Loom_Vector:$result);
  let assemblyFormat = [{
    $table `[` $index `]` attr-dict `:` type($table) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def Loom_LinearOp : Loom_Op<"linear",
    [Pure, Loom_InferType, AttrSizedOperandSegments, Loom_RowWise]> {
  let summary = "affine projection y = act(x W^T + b (+ residual))";
  let description = [{
    `y[s, o] = act(sum_i x[s, i] * w[o, i] + bias[o] + residual[s, o])`;
    `x: [seq, in]`, `w: [out, in]` (always; other checkpoint layouts are
    expressed with `loom.transpose` on the weight), `bias: [out]`,
    `residual: [seq, out]`, result `[seq, out]`. The residual is the
    product's starting value, so a residual connection costs no pass of its
    own (`--loom-fuse-residual`). The activation, if any, is applied to the
    finished sum, in the product's epilogue (`--loom-fuse-activation`), so
    it costs no pass of its own either.

    With `format`, the weight is block-quantized: `w` holds the bytes of the
    `[out, in]` matrix in that format (`tensor<out x R x i8>`, R the bytes of
    a row of `in` weights; `--loom-quantize-weights` writes these). The
    product then rounds `x` to 8 bits per block of 32 (`inputs int8`, the
    default), to 8 bits and its rounding error to 8 more (`inputs int8x2`:
    about 15 bits, for a second integer product), or to bfloat16 (`inputs
    bf16`: 8 significant bits per value, whatever its block's largest).

    ```mlir
    %y = loom.linear %x, %w, %b : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
    %h = loom.linear %a, %wo residual %x : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<?x768xf32>) -> tensor<?x768xf32>
    %q = loom.linear %x, %wq format q8_0 : (tensor<?x768xf32>, tensor<3072x816xi8>) -> tensor<?x3072xf32>
    %r = loom.linear %x, %wq format q8_0 inputs bf16 : (tensor<?x768xf32>, tensor<3072x816xi8>) -> tensor<?x3072xf32>
    %u = loom.linear %x, %wu, %bu activation gelu_tanh : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x,
                       AnyTypeOf<[Loom_Matrix, Loom_QuantizedMatrix]>:$w,
                       Optional<Loom_Vector>:$bias,
                       Optional<Loom_Activation>:$residual,
                       OptionalAttr<Loom_QuantFormatAttr>:$format,
                       OptionalAttr<Loom_QuantInputsAttr>:$inputs,
                       OptionalAttr<Loom_ActivationAttr>:$activation);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    $x `,` $w (`,` $bias^)? (`residual` $residual^)?
    (`format` custom<QuantFormat>($format)^)?
    (`inputs` custom<QuantInputs>($inputs)^)?
    (`activation` custom<ActivationKind>($activation)^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The number of inputs the weight reads (`in`): its second dimension,
    /// or the weights a quantized row holds (dynamic if it is not whole
    /// blocks, which the verifier rejects).
    int64_t getWeightInputWidth();
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$x, "::mlir::Value":$w,
                   "::mlir::Value":$bias), [{
      build($_builder, $_state, x, w, bias, ::mlir::Value(),
            ::loom::QuantFormatAttr(), ::loom::QuantInputsAttr(),
            ::loom::ActivationKindAttr());
    }]>
  ];
  let hasVerifier = 1;
}

def Loom_QuantizeOp : Loom_Op<"quantize", [Pure, AttrSizedOperandSegments]> {
  let summary = "block-quantizes a weight matrix";
  let description = [{
    Encodes the f32 matrix `w` (`[n, k]`) in the block format `format`: the
    result holds its bytes, row after row (`tensor<n x R x i8>`, R the bytes
    of a row of k weights; layouts in loom_abi.h, identical to GGUF's). The
    block size (32; 256 for Q4_K's super-blocks) must divide k. Each block
    is rounded to nearest: its scale maps the block's largest magnitude
    (Q8_0, Q4_0) or its range (Q4_1, each Q4_K sub-block of 32, whose scale
    and minimum are then rounded to 6 bits) onto the integer grid.

    With `importance` (`[k]`, non-negative: how much each input channel
    matters, e.g. its mean squared activation), each block's scale is the
    one that minimizes the importance-weighted squared rounding error
    instead, searched around the plain scale.

    `--loom-quantize-weights` writes this op, and `--loom-derive-weights`
    turns it into a derived param computed once at load.

    With `covariance` (`[k, k]`: the sum of `x x^T` over calibration inputs
    of the product that reads the weight), the weights are rounded with
    error feedback (GPTQ): each row's weights in order, each rounding error
    compensated on the weights not yet rounded as the inputs correlate them.
    Every format: a block's (or q4_k super-block's) scales are chosen when
    its turn comes, int8's row scale first, from the row as it is.

    ```mlir
    %q = loom.quantize %w format q8_0 : tensor<3072x768xf32> -> tensor<3072x816xi8>
    %g = loom.quantize %w covariance %h format q4_1 : tensor<3072x768xf32> covariance tensor<768x768xf32> -> tensor<3072x480xi8>
    ```
  }];
  let arguments = (ins Loom_Matrix:$w, Optional<Loom_Vector>:$importance,
                       Optional<Loom_Matrix>:$covariance,
                       Loom_QuantFormatAttr:$format);
  let results = (outs Loom_QuantizedMatrix:$result);
  let assemblyFormat = [{
    $w (`importance` $importance^)? (`covariance` $covariance^)?
    `format` custom<QuantFormat>($format) attr-dict `:`
    type($w) (`,` type($importance)^)? (`covariance` type($covariance)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def Loom_PruneNeuronsOp : Loom_Op<"prune_neurons",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "keeps the most important neurons of a feed-forward weight";
  let description = [{
    Scores the F neurons of a feed-forward network from its weights
    (`scores(up, down[, gate])`: `up: [F, D]`, `down: [D', F]`, optional
    `gate: [F, D]`) and keeps the
    `keep` of highest score (ties: the lower index), in their order: the
    result is `target`'s rows (`axis = 0`: the gate or up weight, or a
    `[F]` bias) or columns (`axis = 1`: the down weight) at those neurons.

    Scores: without `importance`, the magnitude
    `|up[j, :]| * |down[:, j]| (* |gate[j, :]|)` (L2 norms); with it (`[F]`,
    the mean square of each neuron's activation over calibration data, the
    down product's input), the activation-aware `|down[:, j]| *
    sqrt(importance[j])` (Wanda-sp / FLAP). `--loom-prune-ffn` writes it;
    `--loom-derive-weights` makes it a derived weight computed at load.

    ```mlir
    %g = loom.prune_neurons %wg axis 0 keep 96 scores(%wu, %wd, %wg) : (tensor<128x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<96x64xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[Loom_Matrix, Loom_Vector]>:$target,
                       Optional<Loom_Matrix>:$gate, Loom_Matrix:$up,
                       Loom_Matrix:$down, Optional<Loom_Vector>:$importance,
                       ConfinedAttr<I64Attr, [IntMinValue<0>, IntMaxValue<1>]>:$axis,
                       ConfinedAttr<I64Attr, [IntPositive]>:$keep);
  let results = (outs AnyTypeOf<[Loom_Matrix, Loom_Vector]>:$result);
  let assemblyFormat = [{
    $target `axis` $axis `keep` $keep `scores` `(` $up `,` $down (`,` $gate^)?
    `)` (`importance` $importance^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Loom_SmoothScalesOp : Loom_Op<"smooth_scales", [Pure]> {
  let summary = "activation-aware per-channel scales of a product's input";
  let description = [{
    Scales `s` (`[K]`) that move the range of a product's input channels
    into its weight (SmoothQuant / AWQ-style smoothing): the product
    `x w^T` equals `(x / s) (w diag(s))^T`, and with `s_j = a_j^alpha /
    m_j^(1 - alpha)` (`a_j = sqrt(importance[j])`, the root mean square of
    input channel j over calibration data; `m_j = max_i |w[i, j]|`) channels
    of large activations are scaled down before the activations are
    rounded, and their weights scaled up before the weights are. `alpha`
    (in [0, 1]) balances the two. The scales are normalized to a geometric
    mean of 1; channels that never carried a value, or whose weights are
    all zero, keep 1. With `inverse`, the result is `1 / s`.
    `--loom-smooth-activations` writes it; `--loom-derive-weights` makes it
    a derived weight computed at load.

    ```mlir
    %s = loom.smooth_scales %w, %i alpha 5.000000e-01 : (tensor<64x48xf32>, tensor<48xf32>) -> tensor<48xf32>
    ```
  }];
  let arguments = (ins Loom_Matrix:$w, Loom_Vector:$importance,
                       F64Attr:$alpha, UnitAttr:$inverse);
  let results = (outs Loom_Vector:$result);
  let assemblyFormat = [{
    $w `,` $importance `alpha` $alpha (`inverse` $inverse^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$w, "::mlir::Value":$importance,
                   "double":$alpha, "bool":$inverse), [{
      auto type = ::llvm::cast<::mlir::RankedTensorType>(w.getType());
      build($_builder, $_state,
            ::mlir::RankedTensorType::get({type.getDimSize(1)},
                                          type.getElementType()),
            w, importance, $_builder.getF64FloatAttr(alpha),
            inverse ? $_builder.getUnitAttr() : ::mlir::UnitAttr());
    }]>
  ];
  let hasVerifier = 1;
}

def Loom_LowRankOp : Loom_Op<"low_rank", [Pure]> {
  let summary = "one factor of a weight's truncated singular value decomposition";
  let description = [{
    With `w = U S V^T` the singular value decomposition of `w: [N, K]`
    (singular values in decreasing order) and `r = rank`, the two factors of
    the best rank-r approximation `w ~= b a`: `part "a"` is `a = V_r^T`
    (`[r, K]`, orthonormal rows), `part "b"` is `b = U_r S_r` (`[N, r]`). A
    product `x w^T` then becomes the two thin products `(x a^T) b^T`, which
    read `r (N + K)` weights instead of `N K`. `--loom-low-rank` writes
    both parts of a weight; `--loom-derive-weights` makes each a derived
    weight computed at load, from one decomposition.

    With `importance` (`[K]`, the mean square of each input channel over
    calibration data), the decomposition is activation-aware (ASVD): with
    `s = sqrt(importance)` (floored at 1e-5 of its largest entry) and
    `w diag(s) = U S V^T`, `a = V_r^T diag(s)^-1` and `b = U_r S_r`, the
    rank-r factors that best preserve `w x` for inputs of those statistics.

    ```mlir
    %a = loom.low_rank %w part "a" rank 16 : (tensor<64x48xf32>) -> tensor<16x48xf32>
    %b = loom.low_rank %w importance %i part "b" rank 16 : (tensor<64x48xf32>, tensor<48xf32>) -> tensor<64x16xf32>
    ```
  }];
  let arguments = (ins Loom_Matrix:$w, Optional<Loom_Vector>:$importance,
                       StrAttr:$part,
                       ConfinedAttr<I64Attr, [IntPositive]>:$rank);
  let results = (outs Loom_Matrix:$result);
  let assemblyFormat = [{
    $w (`importance` $importance^)? `part` $part `rank` $rank attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$w,
                   "::llvm::StringRef":$part, "int64_t":$rank), [{
      build($_builder, $_state, result, w, ::mlir::Value(), part, rank);
    }]>
  ];
  let hasVerifier = 1;
}

def Loom_PruneHeadsOp : Loom_Op<"prune_heads", [Pure]> {
  let summary = "keeps the most important head groups of an attention weight";
  let description = [{
    An attention with `H = heads` query heads, `KV = kv_heads` key/value
    heads and `hd = head_dim` has KV groups: KV head g and the H / KV query
    heads that read it. Scores the groups from the attention's weights
    (`scores(wq, wk, wv, wo)`, shapes as `loom.attention`'s) and keeps the
    `keep` of highest score (ties: the lower index), in their order. The
    result is `target`'s part of them: `part "q"`, rows of the query
    weight or bias (H / KV * hd per group); `part "kv"`, rows of the key or
    value weight or bias (hd per group); `part "o"`, columns of the output
    weight.

    Scores: without `importance`, `(sum over the group's query heads h of
    |wq_h| * |wo_h|) * |wk_g| * |wv_g|` (Frobenius norms of the heads' rows
    of wq, wk, wv and columns of wo); with it (`[H*hd]`, the mean square of
    each input channel of the output projection over calibration data),
    `sqrt(sum over the group's channels c of |wo[:, c]|^2 * importance[c])`,
    the expected size of the group's contribution to the output.
    `--loom-prune-heads` writes it.

    ```mlir
    %q = loom.prune_heads %wq part "q" keep 1 heads = 4 kv_heads = 2 head_dim = 8 scores(%wq, %wk, %wv, %wo) : (...) -> tensor<16x32xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[Loom_Matrix, Loom_Vector]>:$target,
                       Loom_Matrix:$wq, Loom_Matrix:$wk, Loom_Matrix:$wv,
                       Loom_Matrix:$wo, Optional<Loom_Vector>:$importance,
                       StrAttr:$part,
                       ConfinedAttr<I64Attr, [IntPositive]>:$keep,
                       ConfinedAttr<I64Attr, [IntPositive]>:$heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim);
  let results = (outs AnyTypeOf<[Loom_Matrix, Loom_Vector]>:$result);
  let assemblyFormat = [{
    $target `part` $part `keep` $keep `heads` `=` $heads `kv_heads` `=`
    $kv_heads `head_dim` `=` $head_dim `scores` `(` $wq `,` $wk `,` $wv `,`
    $wo `)` (`importance` $importance^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The axis of `target` the part spans (1 for "o", else 0).
    int64_t getAxis() { return getPart() == "o" ? 1 : 0; }
    /// Rows (or columns) of `target` per group.
    int64_t getGroupSize() {
      return getPart() == "kv" ? getHeadDim()
                               : getHeads() / getKvHeads() * getHeadDim();
    }
  }];
  let hasVerifier = 1;
}

class Loom_NormOp<string mnemonic, list<Trait> traits = []>
    : Loom_Op<mnemonic, !listconcat([Pure, Loom_InferType, Loom_RowWise],
                                   traits)> {
  let results = (outs Loom_Activation:$result);
  let hasVerifier = 1;
}

def Loom_LayerNormOp : Loom_NormOp<"layer_norm"> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    `y = (x - mean(x)) / sqrt(var(x) + epsilon) * gamma + beta`, mean and
    (biased) variance over the last dimension; `x: [seq, D]`,
    `gamma, beta: [D]`.

    ```mlir
    %y = loom.layer_norm %x, %g, %b eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x, Loom_Vector:$gamma,
                       Optional<Loom_Vector>:$beta,
                       F64Attr:$epsilon);
  let assemblyFormat = [{
    $x `,` $gamma (`,` $beta^)? `eps` `=` $epsilon attr-dict `:`
    type(operands)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$x, "::mlir::Value":$gamma,
                   "::mlir::Value":$beta, "double":$epsilon), [{
      build($_builder, $_state, x, gamma, beta,
            $_builder.getF64FloatAttr(epsilon));
    }]>
  ];
}

def Loom_RMSNormOp : Loom_NormOp<"rms_norm"> {
  let summary = "root-mean-square normalization over the last dimension";
  let description = [{
    `y = x / sqrt(mean(x^2) + epsilon) * gamma`; `x: [seq, D]`, `gamma: [D]`.
    Without `gamma` (folded into the next products by `--loom-fold-norm`),
    `y = x / sqrt(mean(x^2) + epsilon)`. With `group = G` (G divides D),
    each run of G elements of a row is normalized on its own and `gamma`
    is `[G]`, the same for every run: the per-head norm of queries and keys
    (qk-norm, `x: [seq, heads * G]`).

    ```mlir
    %y = loom.rms_norm %x, %g eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>
    %z = loom.rms_norm %x eps = 1.000000e-05 : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x, Optional<Loom_Vector>:$gamma,
                       F64Attr:$epsilon,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$group);
  let assemblyFormat = [{
    $x (`,` $gamma^)? `eps` `=` $epsilon (`group` `=` $group^)? attr-dict `:`
    type(operands)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$x, "::mlir::Value":$gamma,
                   "double":$epsilon, CArg<"int64_t", "0">:$group), [{
      build($_builder, $_state, x, gamma, $_builder.getF64FloatAttr(epsilon),
            group > 0 ? $_builder.getI64IntegerAttr(group)
                      : ::mlir::IntegerAttr());
    }]>
  ];
}

def Loom_AttentionOp : Loom_Op<"attention",
    [Pure, AttrSizedOperandSegments, Loom_InferType]> {
  let summary = "multi-head (grouped-query) self-attention";
  let description = [{
    With `H = num_heads`, `KV = num_kv_heads`, `hd = head_dim`:

    ```
    q = x wq^T + bq   : [seq, H*hd]     k = x wk^T + bk : [seq, KV*hd]
    v = x wv^T + bv   : [seq, KV*hd]
    (rope_theta set: rotate q and k per head with RoPE, base rope_theta;
     rope_interleaved: pairs of adjacent elements, see loom.rope)
    (q_norm, k_norm set: each head's q and k RMS-normalized, scales [hd],
     epsilon qk_norm_eps, before RoPE)
    head h uses kv head g = h / (H / KV)
    o_h = softmax(q_h k_g^T / sqrt(hd) + mask) v_g   (mask: causal if set;
          window W: token i sees only j > i - W)
    y = concat_h(o_h) wo^T + bo       : [seq, out]
    ```

    Shapes: `x: [seq, in]`, `wq: [H*hd, in]`, `wk, wv: [KV*hd, in]`,
    `wo: [out, H*hd]`, `bq: [H*hd]`, `bk, bv: [KV*hd]`, `bo: [out]`.
    `H % KV == 0`; `hd` is even when `rope_theta` is set.

    ```mlir
    %y = loom.attention %x, %wq, %wk, %wv, %wo heads = 12 kv_heads = 4
           head_dim = 64 causal rope_theta = 1.000000e+04
           : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<256x768xf32>,
              tensor<256x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x, Loom_Matrix:$wq, Loom_Matrix:$wk,
                       Loom_Matrix:$wv, Loom_Matrix:$wo,
                       Optional<Loom_Vector>:$bq, Optional<Loom_Vector>:$bk,
                       Optional<Loom_Vector>:$bv, Optional<Loom_Vector>:$bo,
                       Optional<Loom_Vector>:$q_norm,
                       Optional<Loom_Vector>:$k_norm,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       UnitAttr:$causal,
                       OptionalAttr<F64Attr>:$rope_theta,
                       UnitAttr:$rope_interleaved,
                       OptionalAttr<F64Attr>:$qk_norm_eps,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    $x `,` $wq `,` $wk `,` $wv `,` $wo
    (`bq` $bq^)? (`bk` $bk^)? (`bv` $bv^)? (`bo` $bo^)?
    (`q_norm` $q_norm^)? (`k_norm` $k_norm^)?
    `heads` `=` $num_heads `kv_heads` `=` $num_kv_heads
    `head_dim` `=` $head_dim (`causal` $causal^)?
    (`rope_theta` `=` $rope_theta^)? (`rope_interleaved` $rope_interleaved^)?
    (`qk_norm_eps` `=` $qk_norm_eps^)? (`window` `=` $window^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Loom_AttendOp : Loom_Op<"attend", [Pure, Loom_InferType]> {
  let summary = "attention of projected queries over projected keys and values";
  let description = [{
    The core of `loom.attention` once its projections are separate
    `loom.linear` ops (`--loom-decompose-attention`), so that passes can
    rewrite them (fuse q/k/v into one product, prune heads, ...). With
    `H = num_heads`, `KV = num_kv_heads`, `hd = head_dim`, `q: [seq, H*hd]`,
    `k, v: [seq, KV*hd]`:

    ```
    (rope_theta set: rotate q and k per head with RoPE, base rope_theta;
     rope_interleaved: pairs of adjacent elements, see loom.rope)
    head h uses kv head g = h / (H / KV)
    o_h = softmax(q_h k_g^T / sqrt(hd) + mask) v_g   (mask: causal if set;
          window W: token i sees only j > i - W)
    result = concat_h(o_h)                          : [seq, H*hd]
    ```

    Binding the model to the runtime (`--loom-bind-runtime`) gives each
    `loom.attend` its KV cache slot.

    ```mlir
    %o = loom.attend %q, %k, %v heads = 12 kv_heads = 4 head_dim = 64 causal
           rope_theta = 1.000000e+04
           : (tensor<?x768xf32>, tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$q, Loom_Activation:$k,
                       Loom_Activation:$v,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       UnitAttr:$causal,
                       OptionalAttr<F64Attr>:$rope_theta,
                       UnitAttr:$rope_interleaved,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v
    `heads` `=` $num_heads `kv_heads` `=` $num_kv_heads
    `head_dim` `=` $head_dim (`causal` $causal^)?
    (`rope_theta` `=` $rope_theta^)? (`rope_interleaved` $rope_interleaved^)?
    (`window` `=` $window^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Loom_RopeOp : Loom_Op<"rope", [Pure, Loom_InferType]> {
  let summary = "rotary position embedding (RoPE) of per-head vectors";
  let description = [{
    `x: [seq, H*hd]` holds one `hd`-wide vector per head. Hugging Face's
    "rotate half" convention: within each head, element `d < hd/2` pairs with
    `d + hd/2`:

    ```
    y[d]        = x[d] cos(p w_d) - x[d + hd/2] sin(p w_d)
    y[d + hd/2] = x[d + hd/2] cos(p w_d) + x[d] sin(p w_d)
    p = pos + row,  w_d = theta^(-2d/hd)
    ```

    With `interleaved` (GPT-J's and llama.cpp's convention, whose GGUF
    converter permutes Llama's q and k rows to match), element `2d` pairs
    with `2d + 1` instead, with the same frequencies:

    ```
    y[2d]     = x[2d] cos(p w_d) - x[2d + 1] sin(p w_d)
    y[2d + 1] = x[2d + 1] cos(p w_d) + x[2d] sin(p w_d)
    ```

    Produced when attention is split for KV-cached decoding; `loom.attention`
    with `rope_theta` implies it on q and k.

    ```mlir
    %qr = loom.rope %q, %pos head_dim = 64 theta = 1.000000e+04 : tensor<?x768xf32>
    %kr = loom.rope %k, %pos head_dim = 64 theta = 1.000000e+04 interleaved : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x, Index:$pos,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       F64Attr:$theta, UnitAttr:$interleaved);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    $x `,` $pos `head_dim` `=` $head_dim `theta` `=` $theta
    (`interleaved` $interleaved^)? attr-dict `:` type($x)
  }];
  let hasVerifier = 1;
}

def Loom_CachedAttentionOp : Loom_Op<"cached_attention", [Loom_InferType]> {
  let summary = "attention core over a KV cache (decoding)";
  let description = [{
    The part of `loom.attention` between the projections, for KV-cached
    prefill/decode. Writes `k`, `v` (`[seq, KV*hd]`) into rows
    `pos .. pos+seq-1` of cache slot `slot` (caches are
    `memref<slots x max_seq x KV*hd>`), then for every head
    `h` (kv head `g = h / (H/KV)`):

    ```
    s[h, i, j] = q[i, h] . K[j, g] / sqrt(hd)      j < pos + seq
    s[h, i, j] = -inf where causal and j > pos + i
    s[h, i, j] = -inf where window W and j <= pos + i - W
    o[i, h]    = sum_j softmax_j(s[h, i, :])[j] V[j, g]
    ```

    `q: [seq, H*hd]`, result `[seq, H*hd]` (the output projection is a
    separate `loom.linear`).

    `row_alignment = A` states that every row of both caches starts at an
    element offset that is a multiple of A (the runtime's caches, where
    every slot is a multiple of A values wide): code may then read the rows
    with aligned vector loads. Without it nothing is assumed.

    ```mlir
    %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 12
           kv_heads = 4 head_dim = 64 causal
           : (tensor<?x768xf32>, tensor<?x256xf32>, tensor<?x256xf32>,
              memref<24x1024x256xf32>, memref<24x1024x256xf32>, index, index)
           -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$q, Loom_Activation:$k,
                       Loom_Activation:$v,
                       Arg<MemRefRankOf<[AnyFloat], [3]>, "key cache",
                           [MemRead, MemWrite]>:$key_cache,
                       Arg<MemRefRankOf<[AnyFloat], [3]>, "value cache",
                           [MemRead, MemWrite]>:$value_cache,
                       Index:$pos, Index:$slot,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       UnitAttr:$causal,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$row_alignment);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $key_cache `,` $value_cache `,` $pos `,` $slot
    `heads` `=` $num_heads `kv_heads` `=` $num_kv_heads
    `head_dim` `=` $head_dim (`causal` $causal^)? (`window` `=` $window^)?
    (`row_alignment` `=` $row_alignment^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Loom_ObserveOp : Loom_Op<"observe", [
    MemoryEffects<[MemWrite]>
  ]> {
  let summary = "shows a layer's input or output to a calibration run";
  let description = [{
    Computes nothing. A calibration run (the program's `--calibrate`)
    receives the activation (`[seq, width]`): a layer's `input` at the start
    of its block and its `output` at the end, as `--loom-observe-layers`
    places them. From each pair the run measures the layer's block
    influence, 1 - cos(input row, output row) averaged over rows
    (ShortGPT), which `--loom-drop-layers` ranks layers by. Outside a
    calibration run the runtime returns at once; a build without the
    runtime's kernels drops the op.

    ```mlir
    loom.observe input %x : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x, UnitAttr:$output);
  let assemblyFormat = [{
    custom<ObserveSide>($output) $x attr-dict `:` type($x)
  }];
}

def Loom_MLPOp : Loom_Op<"mlp",
    [Pure, AttrSizedOperandSegments, Loom_InferType, Loom_RowWise]> {
  let summary = "two-layer feed-forward network";
  let description = [{
    `y = act(x w_up^T + b_up) w_down^T + b_down`; `x: [seq, D]`,
    `w_up: [F, D]`, `w_down: [D', F]`, `b_up: [F]`, `b_down: [D']`, result
    `[seq, D']`.

    ```mlir
    %y = loom.mlp gelu_tanh %x, %wu, %wd b_up %bu b_down %bd : (...) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x,
                       Loom_Matrix:$w_up, Loom_Matrix:$w_down,
                       Optional<Loom_Vector>:$b_up,
                       Optional<Loom_Vector>:$b_down,
                       Loom_ActivationAttr:$activation);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    custom<ActivationKind>($activation) $x `,` $w_up `,` $w_down
    (`b_up` $b_up^)? (`b_down` $b_down^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Loom_GatedMLPOp : Loom_Op<"gated_mlp",
    [Pure, AttrSizedOperandSegments, Loom_InferType, Loom_RowWise]> {
  let summary = "gated feed-forward network (SwiGLU, GeGLU, ...)";
  let description = [{
    `y = (act(x w_gate^T + b_gate) * (x w_up^T + b_up)) w_down^T + b_down`;
    `x: [seq, D]`, `w_gate, w_up: [F, D]`, `w_down: [D', F]`,
    `b_gate, b_up: [F]`, `b_down: [D']`, result `[seq, D']`.

    ```mlir
    %y = loom.gated_mlp silu %x, %wg, %wu, %wd : (...) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x,
                       Loom_Matrix:$w_gate, Loom_Matrix:$w_up,
                       Loom_Matrix:$w_down,
                       Optional<Loom_Vector>:$b_gate,
                       Optional<Loom_Vector>:$b_up,
                       Optional<Loom_Vector>:$b_down,
                       Loom_ActivationAttr:$activation);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    custom<ActivationKind>($activation) $x `,` $w_gate `,` $w_up `,` $w_down
    (`b_gate` $b_gate^)? (`b_up` $b_up^)? (`b_down` $b_down^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Loom_MoEOp : Loom_Op<"moe",
    [Pure, AttrSizedOperandSegments, Loom_InferType]> {
  let summary = "mixture-of-experts feed-forward network (Mixtral, OLMoE)";
  let description = [{
    `E = experts` gated MLPs; each token goes to the `top_k` of them its
    router scores highest. With `x: [seq, D]`, `router: [E, D]`, the
    experts' matrices stacked expert after expert, `w_gate, w_up: [E*F, D]`
    and `w_down: [E*D, F]`:

    ```
    p = softmax(x router^T)                        : [seq, E]
    S = the top_k experts of each row (ties: the lower index)
    g_e = p_e / sum_{e' in S} p_e'  (renormalize)   or  p_e
    y = sum_{e in S} g_e (act(x Wg_e^T) * (x Wu_e^T)) Wd_e^T
    ```

    With `shared %s` (a shared expert's output, `[seq, D]`, computed by the
    ops before: Qwen2-MoE, DeepSeek-MoE), `y += s`, or with
    `shared_gate %g` (`[1, D]`), `y += sigmoid(x g^T) * s`.

    The runtime's kernel (`loom_moe`) reads only the chosen experts'
    weights, and in a prompt each expert's weights once for all the tokens
    that chose it.

    ```mlir
    %y = loom.moe silu %x, %router, %wg, %wu, %wd experts = 8 top_k = 2 renormalize
           : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<1024x64xf32>,
              tensor<1024x64xf32>, tensor<512x128xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$x, Loom_Matrix:$router,
                       Loom_Matrix:$w_gate, Loom_Matrix:$w_up,
                       Loom_Matrix:$w_down,
                       Optional<Loom_Activation>:$shared,
                       Optional<Loom_Matrix>:$shared_gate,
                       ConfinedAttr<I64Attr, [IntPositive]>:$experts,
                       ConfinedAttr<I64Attr, [IntPositive]>:$top_k,
                       UnitAttr:$renormalize,
                       Loom_ActivationAttr:$activation);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    custom<ActivationKind>($activation) $x `,` $router `,` $w_gate `,` $w_up
    `,` $w_down (`shared` $shared^)? (`shared_gate` $shared_gate^)?
    `experts` `=` $experts `top_k` `=` $top_k (`renormalize` $renormalize^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Loom_ActivationOp : Loom_Op<"activation",
    [Pure, Loom_InferType, Loom_RowWise]> {
  let summary = "pointwise activation function";
  let description = [{
    `y = act(x)` elementwise: `relu(x) = max(x, 0)`,
    `gelu(x) = x * Phi(x)` (erf form),
    `gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`,
    `silu(x) = x * sigmoid(x)`.

    ```mlir
    %y = loom.activation silu %x : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_ActivationAttr:$activation, Loom_Tensor:$x);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    custom<ActivationKind>($activation) $x attr-dict `:` type($x)
  }];
}

def Loom_GluOp : Loom_Op<"glu", [Pure, Loom_InferType, Loom_RowWise]> {
  let summary = "gated linear unit: act(first half) * second half";
  let description = [{
    `y[s, j] = act(x[s, j]) * x[s, n + j]` for `x: [seq, 2n]`, result
    `[seq, n]`: the middle of a gated MLP whose gate and up projections are
    one product (`--loom-fuse-gate-up`).

    ```mlir
    %h = loom.glu silu %gu : tensor<?x4096xf32> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins Loom_ActivationAttr:$activation, Loom_Activation:$x);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    custom<ActivationKind>($activation) $x attr-dict `:` type($x) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

class Loom_BinaryOp<string mnemonic, string math>
    : Loom_Op<mnemonic, [Pure, Loom_InferType, Loom_RowWise]> {
  let description = [{
    `}] # math # [{` elementwise, with NumPy's broadcasting: the shapes
    are aligned at their trailing dimensions, a missing leading dimension
    or a dimension of 1 stretches to the other side's, and other dimensions
    must agree (a dynamic one, the sequence, is taken to agree). So a row
    `[D]` applies to every token of a `[seq, D]` tensor, a column
    `[seq, 1]` (a reduction's result) to every feature of its token, and a
    `[1]` tensor (a scalar parameter or constant) to everything. The
    result type is the broadcast shape (the last example's is
    `tensor<?x768xf32>`).

    ```mlir
    %y = loom.}] # mnemonic # [{ %a, %b : tensor<?x768xf32>, tensor<?x768xf32>
    %z = loom.}] # mnemonic # [{ %a, %v : tensor<?x768xf32>, tensor<768xf32>
    %c = loom.}] # mnemonic # [{ %s, %a : tensor<?x1xf32>, tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$lhs, Loom_Tensor:$rhs);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
}

def Loom_AddOp : Loom_BinaryOp<"add", "y = lhs + rhs"> {
  let summary = "elementwise addition (residual connections)";
}

def Loom_SubOp : Loom_BinaryOp<"sub", "y = lhs - rhs"> {
  let summary = "elementwise subtraction";
}

def Loom_MulOp : Loom_BinaryOp<"mul", "y = lhs * rhs"> {
  let summary = "elementwise multiplication";
}

def Loom_DivOp : Loom_BinaryOp<"div", "y = lhs / rhs"> {
  let summary = "elementwise division";
}

def Loom_MaxOp : Loom_BinaryOp<"max", "y = max(lhs, rhs)"> {
  let summary = "elementwise maximum (NaN if either side is NaN)";
}

def Loom_MinOp : Loom_BinaryOp<"min", "y = min(lhs, rhs)"> {
  let summary = "elementwise minimum (NaN if either side is NaN)";
}

def Loom_PowOp : Loom_BinaryOp<"pow", "y = lhs ^ rhs"> {
  let summary = "elementwise power";
}

def Loom_UnaryFn : I32EnumAttr<"UnaryFn", "elementwise math function", [
  I32EnumAttrCase<"Exp", 0, "exp">,
  I32EnumAttrCase<"Log", 1, "log">,
  I32EnumAttrCase<"Tanh", 2, "tanh">,
  I32EnumAttrCase<"Sigmoid", 3, "sigmoid">,
  I32EnumAttrCase<"Sqrt", 4, "sqrt">,
  I32EnumAttrCase<"Rsqrt", 5, "rsqrt">,
  I32EnumAttrCase<"Abs", 6, "abs">,
  I32EnumAttrCase<"Neg", 7, "neg">,
  I32EnumAttrCase<"Sin", 8, "sin">,
  I32EnumAttrCase<"Cos", 9, "cos">
]> {
  let cppNamespace = "::loom";
}

def Loom_UnaryOp : Loom_Op<"unary", [Pure, Loom_InferType, Loom_RowWise]> {
  let summary = "elementwise math function";
  let description = [{
    `y = fn(x)` elementwise: `exp`, `log` (natural), `tanh`,
    `sigmoid(x) = 1 / (1 + exp(-x))`, `sqrt`, `rsqrt(x) = 1 / sqrt(x)`,
    `abs`, `neg(x) = -x`, `sin`, `cos`.

    ```mlir
    %y = loom.unary exp %x : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_UnaryFn:$fn, Loom_Tensor:$x);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = "$fn $x attr-dict `:` type($x)";
}

def Loom_ReduceKind : I32EnumAttr<"ReduceKind", "reduction over an axis", [
  I32EnumAttrCase<"Sum", 0, "sum">,
  I32EnumAttrCase<"Mean", 1, "mean">,
  I32EnumAttrCase<"Max", 2, "max">,
  I32EnumAttrCase<"Min", 3, "min">,
  I32EnumAttrCase<"Norm2", 4, "norm2">
]> {
  let cppNamespace = "::loom";
}

def Loom_ReduceOp : Loom_Op<"reduce", [Pure, Loom_InferType, Loom_RowWise]> {
  let summary = "reduction over the last dimension, kept as extent 1";
  let description = [{
    Reduces the last dimension of `x` to one element, keeping it (PyTorch's
    `keepdim=True`): `[seq, D] -> [seq, 1]`, `[D] -> [1]`. `sum`, `mean`,
    `max`, `min`, and `norm2`, the Euclidean norm `sqrt(sum(x^2))`.

    ```mlir
    %m = loom.reduce mean %x : tensor<?x768xf32> -> tensor<?x1xf32>
    ```
  }];
  let arguments = (ins Loom_ReduceKind:$kind, Loom_Tensor:$x);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $kind $x attr-dict `:` type($x) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Loom_TopKOp : Loom_Op<"topk", [Pure, Loom_InferType, Loom_RowWise]> {
  let summary = "the k largest elements of the last dimension, and where";
  let description = [{
    Along the last dimension of `x` (static, at most 4096 elements):
    `values[..., j]` is the j-th largest element (j = 0 the largest; equal
    elements in index order) and `indices[..., j]` its index, as an exact
    float. Other dimensions are kept. Each element's place is counted from
    comparisons with every other (N^2 per row, all in parallel), which suits
    the small axes it is for (routers over experts, heads).

    ```mlir
    %v, %i = loom.topk %x k = 2 : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$x, ConfinedAttr<I64Attr, [IntPositive]>:$k);
  let results = (outs Loom_Tensor:$values, Loom_Tensor:$indices);
  let assemblyFormat = [{
    $x `k` `=` $k attr-dict `:` type($x) `->` type($values) `,` type($indices)
  }];
  let hasVerifier = 1;
}

def Loom_GatherOp : Loom_Op<"gather", [Pure, Loom_InferType, Loom_RowWise]> {
  let summary = "elements of the last dimension picked by index";
  let description = [{
    `y[..., j] = x[..., clamp(indices[..., j], 0, N - 1)]` with `N` the last
    extent of `x`; `indices` (floats holding integers, as `loom.topk` gives
    them) has `x`'s other dimensions. An index outside [0, N) reads the
    nearest end (never memory outside `x`).

    ```mlir
    %y = loom.gather %x, %i : (tensor<?x8xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$x, Loom_Tensor:$indices);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $x `,` $indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Loom_ScaleOp : Loom_Op<"scale", [Pure, Loom_InferType, Loom_RowWise]> {
  let summary = "multiplication by a constant";
  let description = [{
    `y = x * factor`.

    ```mlir
    %y = loom.scale %x by 1.250000e-01 : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$x, F64Attr:$factor);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = "$x `by` $factor attr-dict `:` type($x)";
  let builders = [
    OpBuilder<(ins "::mlir::Value":$x, "double":$factor), [{
      build($_builder, $_state, x, $_builder.getF64FloatAttr(factor));
    }]>
  ];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Mixing along the sequence with a running state
//===----------------------------------------------------------------------===//

def Loom_CumSumOp : Loom_Op<"cumsum",
    [Loom_InferType, AttrSizedOperandSegments]> {
  let summary = "cumulative sum along the sequence (axis 0)";
  let description = [{
    `y[i] = s + x[0] + ... + x[i]` for each row `i` of `x` (`[seq, ...]`:
    features `[seq, D]`, heads `[seq, H, D]`). Without `state`, `s` is 0: the
    rows are the whole sequence. Binding the model to the runtime
    (`--loom-bind-runtime`) gives each cumulative sum a `state` (one row's
    shape, `x`'s without its first dimension) that carries the sum across
    calls: `s` is 0 when `pos` (the position of the first row) is 0 and the
    state otherwise, and the state holds `y`'s last row afterwards. So a
    decoder keeps one row per cumulative sum, whatever the length of the
    sequence.

    ```mlir
    %y = loom.cumsum %x : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32>
    %y = loom.cumsum %x state %s at %pos
           : (tensor<?x4x8xf32>, memref<4x8xf32, strided<[8, 1], offset: ?>>, index) -> tensor<?x4x8xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$x,
                       Arg<Optional<MemRefOf<[AnyFloat]>>, "running sum",
                           [MemRead, MemWrite]>:$state,
                       Optional<Index>:$pos);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $x (`state` $state^ `at` $pos)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$x), [{
      build($_builder, $_state, x, ::mlir::Value(), ::mlir::Value());
    }]>
  ];
  let hasVerifier = 1;
}

def Loom_PositionsOp : Loom_Op<"positions", [Pure, Loom_InferType]> {
  let summary = "the absolute position of each row, as a [seq, 1] column";
  let description = [{
    `y[i, 0] = offset + i` (as a float) for each row `i` of `like` (token ids
    `[seq]` or any `[seq, ...]` tensor; only its length is used). `offset`
    (default 0) is the position of the first row: the number of tokens
    already processed when decoding, set by `--loom-bind-runtime`.

    ```mlir
    %p = loom.positions %x : tensor<?x64xf32> -> tensor<?x1xf32>
    %p = loom.positions %x offset %pos : tensor<?x64xf32> -> tensor<?x1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$like, Optional<Index>:$offset);
  let results = (outs TensorRankOf<[F32], [2]>:$result);
  let assemblyFormat = [{
    $like (`offset` $offset^)? attr-dict `:` type($like) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$like), [{
      build($_builder, $_state, like, ::mlir::Value());
    }]>
  ];
}

def Loom_LinearAttendOp : Loom_Op<"linear_attend",
    [Loom_InferType, AttrSizedOperandSegments]> {
  let summary = "causal linear attention (no softmax) with a running state";
  let description = [{
    With `H = num_heads`, `KV = num_kv_heads`, `hd = head_dim`,
    `q: [seq, H*hd]`, `k: [seq, KV*hd]`, `v: [seq, KV*dv]`:

    ```
    head h uses kv head g = h / (H / KV)
    o[i, h] = scale * sum_{j <= i} (q[i, h] . k[j, g]) v[j, g]
            = scale * q[i, h] S_i[g],   S_i[g] = S + sum_{j <= i} k[j, g]^T v[j, g]
    result  = concat_h(o[:, h])                         : [seq, H*dv]
    ```

    The masked product `tril(q k^T) v` of causal linear attention, computed
    through the running state `S` (`[KV, hd, dv]`), so that decoding a token
    costs the same whatever came before. Without `state`, `S` starts at 0;
    with it (given by `--loom-bind-runtime`), `S` is 0 when `pos` is 0 and
    the state otherwise, and the state holds `S_{seq-1}` afterwards.

    ```mlir
    %o = loom.linear_attend %q, %k, %v heads = 4 kv_heads = 4 head_dim = 8
           : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
    ```
  }];
  let arguments = (ins Loom_Activation:$q, Loom_Activation:$k,
                       Loom_Activation:$v,
                       Arg<Optional<MemRefRankOf<[AnyFloat], [3]>>,
                           "running state", [MemRead, MemWrite]>:$state,
                       Optional<Index>:$pos,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       DefaultValuedAttr<F64Attr, "1.0">:$scale);
  let results = (outs Loom_Activation:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`state` $state^ `at` $pos)?
    `heads` `=` $num_heads `kv_heads` `=` $num_kv_heads
    `head_dim` `=` $head_dim (`scale` `=` $scale^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The width of a value head (`v`'s width over `num_kv_heads`).
    int64_t getValueDim();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Weight / tensor manipulation
//===----------------------------------------------------------------------===//

def Loom_TransposeOp : Loom_Op<"transpose", [Pure, Loom_InferType]> {
  let summary = "2-D transpose";
  let description = [{
    `y[j, i] = x[i, j]`. Expresses checkpoint layouts that store projections
    as `[in, out]` (e.g. GPT-2's Conv1D).

    ```mlir
    %wt = loom.transpose %w : tensor<768x2304xf32> -> tensor<2304x768xf32>
    ```
  }];
  let arguments = (ins TensorRankOf<[AnyFloat], [2]>:$input);
  let results = (outs TensorRankOf<[AnyFloat], [2]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Loom_ConvertOp : Loom_Op<"convert", [Pure]> {
  let summary = "float tensor in another float type";
  let description = [{
    Each element of `input` in the result's element type, rounded to the
    nearest (ties to even) when it is narrower. Keeps a product's weight in
    half precision (`bf16`, `f16`), which the product widens as it reads.

    ```mlir
    %h = loom.convert %w : tensor<768x768xf32> to tensor<768x768xbf16>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Loom_ConcatOp : Loom_Op<"concat", [Pure, Loom_InferType]> {
  let summary = "concatenation along one axis";
  let description = [{
    Concatenates `inputs` along `axis`; all other dimensions must agree.
    Fusing Q/K/V projections is a concat of their weights along axis 0.

    ```mlir
    %qkv = loom.concat %q, %k, %v axis = 0 : (tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>) -> tensor<1280x768xf32>
    ```
  }];
  let arguments = (ins Variadic<Loom_Tensor>:$inputs,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` functional-type($inputs, $result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Loom_SplitOp : Loom_Op<"split", [Pure, Loom_InferType]> {
  let summary = "split along one axis into pieces of given sizes";
  let description = [{
    Splits `input` along `axis` into consecutive pieces of `sizes`, which must
    sum to the input's extent along `axis`. Unfuses e.g. GPT-2's `c_attn`
    (`[768, 2304]` stored as `[in, out]`) into q, k and v.

    ```mlir
    %q, %k, %v = loom.split %w axis = 1 sizes = [768, 768, 768]
      : tensor<768x2304xf32> -> tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Loom_Tensor>:$results);
  let assemblyFormat = [{
    $input `axis` `=` $axis `sizes` `=` $sizes attr-dict `:` type($input)
    `->` type($results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Loom_SliceOp : Loom_Op<"slice", [Pure, Loom_InferType]> {
  let summary = "contiguous slice along one axis";
  let description = [{
    `y = x[..., offset : offset + size, ...]` along `axis` (pruning rows,
    columns or heads; non-contiguous selections are concats of slices).

    ```mlir
    %w2 = loom.slice %w axis = 0 offset = 0 size = 512 : tensor<768x768xf32> -> tensor<512x768xf32>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$offset,
                       ConfinedAttr<I64Attr, [IntPositive]>:$size);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis `offset` `=` $offset `size` `=` $size attr-dict
    `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Control flow
//===----------------------------------------------------------------------===//

def Loom_LoopOp : Loom_Op<"loop", [
    RecursiveMemoryEffects, SingleBlock
  ]> {
  let summary = "weight-shared loop";
  let description = [{
    Runs its body `trip_count` times. The body's first argument is the
    iteration index (`0 .. trip_count-1`), the others carry `iter_args` from
    one iteration to the next (initialised from `inits`); the body ends with
    `loom.yield` of the next values. The results are the values yielded by
    the last iteration and have the `iter_args` types. Weights used inside
    the body are shared by all iterations (looped / recursive transformers).

    ```mlir
    %r = loom.loop 4 times(%i) iter_args(%h = %x) : tensor<?x768xf32> {
      %h2 = func.call @block(%h, %w) : (...) -> tensor<?x768xf32>
      loom.yield %h2 : tensor<?x768xf32>
    }
    ```

    **Adaptive depth.** With `exit RULE threshold = T` each token (row of
    the first iter_arg, a `[seq, width]` activation) may leave the loop
    before `trip_count` iterations; a token that has left keeps the row it
    had then, and the loop stops when every token has left. After iteration
    t (1-based) a token leaves when

    - `gate` (Ouro): the body yields one more value, the exit gate's logits
      `l` (`[seq, 1]`). With `lambda_t = sigmoid(l)`, survival
      `S_t = S_{t-1} (1 - lambda_t)` (`S_0 = 1`) and exit probability
      `p_t = lambda_t S_{t-1}` (`p_N = S_{N-1}`), the token leaves once
      `p_1 + ... + p_t >= T` (with `T = 1`, only after the last);
    - `converge`: `|h_t - h_{t-1}| / |h_{t-1}| < T` (L2 norms of its row);

    and always after the last. `T` is in (0, 1]. Key and value rows the
    body caches for a token after it left are those of its last iteration:
    a later token that attends to an iteration this one skipped reads the
    rows of the iteration it left after. Targets run adaptive loops
    through the runtime's kernels (`--loom-lower-exit-loops`) or as
    generated code (`--loom-expand-exit-loops`).

    ```mlir
    %r = loom.loop 4 times(%i) iter_args(%h = %x) exit gate threshold = 5.000000e-01
           : tensor<?x768xf32> {
      %h2 = func.call @step(%h) : (tensor<?x768xf32>) -> tensor<?x768xf32>
      %l = loom.linear %h2, %gw bias %gb : (...) -> tensor<?x1xf32>
      loom.yield %h2, %l : tensor<?x768xf32>, tensor<?x1xf32>
    }
    ```
  }];
  let arguments = (ins I64Attr:$trip_count, Variadic<AnyType>:$inits,
                       OptionalAttr<Loom_ExitRuleAttr>:$exit_rule,
                       OptionalAttr<F64Attr>:$exit_threshold);
  let results = (outs Variadic<AnyType>:$results);
  // Named `region` so that SingleBlock's `Block *getBody()` is the accessor
  // of the body block (as for scf.for).
  let regions = (region SizedRegion<1>:$region);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "int64_t":$tripCount, "::mlir::ValueRange":$inits,
      CArg<"::llvm::function_ref<void(::mlir::OpBuilder &, ::mlir::Location, "
           "::mlir::Value, ::mlir::ValueRange)>", "nullptr">:$bodyBuilder)>
  ];
  let extraClassDeclaration = [{
    /// The body block (same as `getBody()`).
    ::mlir::Block *getBodyBlock() { return &getRegion().front(); }
    /// The iteration index, `0 .. trip_count-1`.
    ::mlir::BlockArgument getIterationIndex() {
      return getBodyBlock()->getArgument(0);
    }
    /// The loop-carried values inside the body.
    ::mlir::Block::BlockArgListType getRegionIterArgs() {
      return getBodyBlock()->getArguments().drop_front();
    }
    /// True for a loop that tokens may leave early (`exit ...`).
    bool isAdaptive() { return getExitRule().has_value(); }
  }];
}

def Loom_YieldOp : Loom_Op<"yield", [
    Pure, Terminator, ReturnLike, ParentOneOf<["LoopOp", "ParamOp"]>
  ]> {
  let summary = "terminator of loom.loop bodies and loom.param init regions";
  let description = [{
    ```mlir
    loom.yield %h : tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
}

#endif // LOOM_DIALECT_LOOM_IR_LOOMOPS_TD
