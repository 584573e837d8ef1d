// RUN: loom-opt %s --split-input-file --loom-quantize-weights | FileCheck %s
// RUN: loom-opt %s --split-input-file --loom-quantize-weights="format=q4_1 layers=attention" | FileCheck %s --check-prefix=ATTN
// RUN: loom-opt %s --split-input-file --loom-quantize-weights="format=q4_0 exclude=lm_head" | FileCheck %s --check-prefix=EXCL
// RUN: loom-opt %s --split-input-file --loom-quantize-weights="include=\.down$" --loom-derive-weights | FileCheck %s --check-prefix=DERIVE
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="layers=ffn,head importance=true" 2>/dev/null | FileCheck %s --check-prefix=IMP
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="layers=ffn,head importance=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=IMPERR
// RUN: loom-opt %s --split-input-file --loom-quantize-weights="format=q4_0 overrides=\.down$=q8_0,qkv=q4_1" | FileCheck %s --check-prefix=MIXED
// RUN: loom-opt %s --split-input-file --loom-quantize-weights="format=q4_k overrides=\.down$=q8_0" 2>&1 | FileCheck %s --check-prefix=SUPER
// RUN: loom-opt %S/Inputs/super-block-rows.mlir --loom-quantize-weights="format=q4_k covariance=true" --loom-derive-weights | FileCheck %s --check-prefix=Q4KGPTQ
// RUN: loom-opt %S/Inputs/tied-embedding.mlir --loom-quantize-weights --loom-derive-weights | FileCheck %s --check-prefix=NOEMBED
// RUN: loom-opt %S/Inputs/tied-embedding.mlir --loom-quantize-weights="layers=embedding format=q4_1" --loom-derive-weights | FileCheck %s --check-prefix=EMBED
// RUN: loom-opt %S/Inputs/tied-embedding.mlir --loom-quantize-weights="layers=head,embedding" --loom-derive-weights | FileCheck %s --check-prefix=TIED
// RUN: loom-opt %s --split-input-file --loom-quantize-weights="inputs=int8x2" | FileCheck %s --check-prefix=BITS
// RUN: loom-opt %s --split-input-file --loom-quantize-weights="inputs=int8x2 overrides=lm_head=q8_0:int8,\.down$=q4_0:bf16" | FileCheck %s --check-prefix=MIXBITS
// RUN: loom-opt %s --split-input-file --loom-quantize-weights="overrides=\.up$=q8_0:bf16" | FileCheck %s --check-prefix=SOMEBITS
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="format=q4_1 layers=ffn,head covariance=true importance=true" 2>/dev/null | FileCheck %s --check-prefix=GPTQ

// A decoder block: its products are classified from the graph (attention's
// projections, the feed-forward ones) and the entry's last product is the
// head.

loom.param @l0.qkv : tensor<96x32xf32>
loom.param @l0.o : tensor<32x32xf32>
loom.param @l0.up : tensor<128x32xf32>
loom.param @l0.down : tensor<32x64xf32>
loom.param @l1.qkv : tensor<96x32xf32>
loom.param @l1.o : tensor<32x32xf32>
loom.param @l1.up : tensor<128x32xf32>
loom.param @l1.down : tensor<32x64xf32>
loom.param @lm_head : tensor<50x32xf32>

func.func private @Block(%x: tensor<?x32xf32>, %qkv: tensor<96x32xf32> {loom.weight = "qkv"}, %o: tensor<32x32xf32> {loom.weight = "o"}, %up: tensor<128x32xf32> {loom.weight = "mlp.up"}, %down: tensor<32x64xf32> {loom.weight = "mlp.down"}) -> tensor<?x32xf32> attributes {loom.block} {
  %p = loom.linear %x, %qkv : (tensor<?x32xf32>, tensor<96x32xf32>) -> tensor<?x96xf32>
  %q, %k, %v = loom.split %p axis = 1 sizes = [32, 32, 32] : tensor<?x96xf32> -> tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
  %a = loom.attend %q, %k, %v heads = 2 kv_heads = 2 head_dim = 16 causal : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %h = loom.linear %a, %o residual %x : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %gu = loom.linear %h, %up : (tensor<?x32xf32>, tensor<128x32xf32>) -> tensor<?x128xf32>
  %g = loom.glu silu %gu : tensor<?x128xf32> -> tensor<?x64xf32>
  %y = loom.linear %g, %down residual %h : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x50xf32> attributes {loom.entry} {
  %0 = loom.weight @l0.qkv : tensor<96x32xf32>
  %1 = loom.weight @l0.o : tensor<32x32xf32>
  %2 = loom.weight @l0.up : tensor<128x32xf32>
  %3 = loom.weight @l0.down : tensor<32x64xf32>
  %4 = loom.weight @l1.qkv : tensor<96x32xf32>
  %5 = loom.weight @l1.o : tensor<32x32xf32>
  %6 = loom.weight @l1.up : tensor<128x32xf32>
  %7 = loom.weight @l1.down : tensor<32x64xf32>
  %h0 = call @Block(%x, %0, %1, %2, %3) : (tensor<?x32xf32>, tensor<96x32xf32>, tensor<32x32xf32>, tensor<128x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %h1 = call @Block(%h0, %4, %5, %6, %7) : (tensor<?x32xf32>, tensor<96x32xf32>, tensor<32x32xf32>, tensor<128x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %w = loom.weight @lm_head : tensor<50x32xf32>
  %logits = loom.linear %h1, %w : (tensor<?x32xf32>, tensor<50x32xf32>) -> tensor<?x50xf32>
  return %logits : tensor<?x50xf32>
}

// With int8x2 inputs, every quantized product says so.
// BITS-LABEL: func.func private @Block(
// BITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 inputs int8x2 :
// BITS:         loom.linear %{{.*}}, %{{.*}} residual %{{.*}} format q8_0 inputs int8x2 :
// BITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 inputs int8x2 :
// BITS:         loom.linear %{{.*}}, %{{.*}} residual %{{.*}} format q8_0 inputs int8x2 :
// BITS-LABEL: func.func @forward(
// BITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 inputs int8x2 :

// Overrides set the inputs of what they match: int8x2 everywhere but the
// head, whose input keeps int8 (unwritten), and the down projection, in bf16;
// or bf16 for the up projections only.
// MIXBITS-LABEL: func.func private @Block(
// MIXBITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 inputs int8x2 :
// MIXBITS:         loom.linear %{{.*}}, %{{.*}} residual %{{.*}} format q8_0 inputs int8x2 :
// MIXBITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 inputs int8x2 :
// MIXBITS:         loom.linear %{{.*}}, %{{.*}} residual %{{.*}} format q4_0 inputs bf16 :
// MIXBITS-LABEL: func.func @forward(
// MIXBITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 :
// SOMEBITS-LABEL: func.func private @Block(
// SOMEBITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 :
// SOMEBITS:         loom.linear %{{.*}}, %{{.*}} residual %{{.*}} format q8_0 :
// SOMEBITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 inputs bf16 :
// SOMEBITS:         loom.linear %{{.*}}, %{{.*}} residual %{{.*}} format q8_0 :
// SOMEBITS-LABEL: func.func @forward(
// SOMEBITS:         loom.linear %{{.*}}, %{{.*}} format q8_0 :

// By default every product, in q8_0 (34 bytes a block of 32).
// CHECK-LABEL: func.func private @Block(
// CHECK:         %[[QKV:.*]] = loom.quantize %{{.*}} format q8_0 : tensor<96x32xf32> -> tensor<96x34xi8>
// CHECK:         loom.linear %{{.*}}, %[[QKV]] format q8_0 : (tensor<?x32xf32>, tensor<96x34xi8>) -> tensor<?x96xf32>
// CHECK:         %[[O:.*]] = loom.quantize %{{.*}} format q8_0 : tensor<32x32xf32> -> tensor<32x34xi8>
// CHECK:         loom.linear %{{.*}}, %[[O]] residual %{{.*}} format q8_0
// CHECK:         loom.quantize %{{.*}} format q8_0 : tensor<128x32xf32> -> tensor<128x34xi8>
// CHECK:         loom.quantize %{{.*}} format q8_0 : tensor<32x64xf32> -> tensor<32x68xi8>
// CHECK-LABEL: func.func @forward(
// CHECK:         loom.quantize %{{.*}} format q8_0 : tensor<50x32xf32> -> tensor<50x34xi8>

// layers=attention: the q/k/v and output projections only.
// ATTN-LABEL: func.func private @Block(
// ATTN-COUNT-2: loom.quantize %{{.*}} format q4_1
// ATTN-NOT:     loom.quantize
// ATTN:         loom.glu
// ATTN-NOT:     loom.quantize

// exclude=lm_head: the head stays f32.
// EXCL-LABEL: func.func private @Block(
// EXCL-COUNT-4: loom.quantize %{{.*}} format q4_0
// EXCL-LABEL: func.func @forward(
// EXCL-NOT:     loom.quantize
// EXCL:         loom.linear %{{.*}}, %{{.*}} : (tensor<?x32xf32>, tensor<50x32xf32>)

// importance: each quantization reads its product's input statistics,
// `NAME.importance` as the unquantized build names the weight; in a block,
// a new argument each call passes.
// IMP-DAG:   loom.param @l0.up.importance : tensor<32xf32>
// IMP-DAG:   loom.param @l1.down.importance : tensor<64xf32>
// IMP-DAG:   loom.param @lm_head.importance : tensor<32xf32>
// IMP-LABEL: func.func private @Block(
// IMP-SAME:    %[[UPI:[a-z0-9]+]]: tensor<32xf32>, %[[DOWNI:[a-z0-9]+]]: tensor<64xf32>)
// IMP:         loom.quantize %{{.*}} importance %[[UPI]] format q8_0 : tensor<128x32xf32>, tensor<32xf32> -> tensor<128x34xi8>
// IMP:         loom.quantize %{{.*}} importance %[[DOWNI]] format q8_0 : tensor<32x64xf32>, tensor<64xf32> -> tensor<32x68xi8>
// IMP-LABEL: func.func @forward(
// IMP:         %[[A:.*]] = loom.weight @l0.up.importance
// IMP:         %[[B:.*]] = loom.weight @l0.down.importance
// IMP:         call @Block(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[A]], %[[B]])
// IMP:         loom.weight @l1.up.importance
// IMP:         %[[H:.*]] = loom.weight @lm_head.importance
// IMP:         loom.quantize %{{.*}} importance %[[H]] format q8_0
// The second case's weights are function arguments, with no names:
// IMPERR: quantize-weights.mlir:{{[0-9]+}}:8: error: importance is read by the name of the weight, but this weight does not come from the model's params

// covariance: each quantization also reads its product's input covariance,
// found as the importance is.
// GPTQ-DAG:   loom.param @l0.up.covariance : tensor<32x32xf32>
// GPTQ-DAG:   loom.param @l1.down.covariance : tensor<64x64xf32>
// GPTQ-DAG:   loom.param @lm_head.covariance : tensor<32x32xf32>
// GPTQ-LABEL: func.func private @Block(
// GPTQ-SAME:    %[[UPI:[a-z0-9]+]]: tensor<32xf32>, %[[UPH:[a-z0-9]+]]: tensor<32x32xf32>, %[[DOWNI:[a-z0-9]+]]: tensor<64xf32>, %[[DOWNH:[a-z0-9]+]]: tensor<64x64xf32>)
// GPTQ:         loom.quantize %{{.*}} importance %[[UPI]] covariance %[[UPH]] format q4_1 : tensor<128x32xf32>, tensor<32xf32> covariance tensor<32x32xf32> -> tensor<128x20xi8>
// GPTQ:         loom.quantize %{{.*}} importance %[[DOWNI]] covariance %[[DOWNH]] format q4_1 : tensor<32x64xf32>, tensor<64xf32> covariance tensor<64x64xf32> -> tensor<32x40xi8>
// GPTQ-LABEL: func.func @forward(
// GPTQ:         call @Block(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// GPTQ:         %[[H:.*]] = loom.weight @lm_head.covariance
// GPTQ:         loom.quantize %{{.*}} importance %{{.*}} covariance %[[H]] format q4_1

// overrides: the down projections in q8_0, q/k/v in q4_1, the rest q4_0.
// MIXED-LABEL: func.func private @Block(
// MIXED:         loom.quantize %{{.*}} format q4_1 : tensor<96x32xf32>
// MIXED:         loom.quantize %{{.*}} format q4_0 : tensor<32x32xf32>
// MIXED:         loom.quantize %{{.*}} format q4_0 : tensor<128x32xf32>
// MIXED:         loom.quantize %{{.*}} format q8_0 : tensor<32x64xf32>
// MIXED-LABEL: func.func @forward(
// MIXED:         loom.quantize %{{.*}} format q4_0 : tensor<50x32xf32>

// q4_k: rows of 32 weights are not whole 256-weight super-blocks, so the
// products take q4_1 instead (a remark counts them); overrides still apply.
// SUPER:       remark: --loom-quantize-weights: 4 matrices whose rows are not whole 256-weight q4_k super-blocks are quantized in q4_1 instead (the first: 'l0.qkv', rows of 32)
// SUPER-LABEL: func.func private @Block(
// SUPER:         loom.quantize %{{.*}} format q4_1 : tensor<96x32xf32>
// SUPER:         loom.quantize %{{.*}} format q4_1 : tensor<32x32xf32>
// SUPER:         loom.quantize %{{.*}} format q4_1 : tensor<128x32xf32>
// SUPER:         loom.quantize %{{.*}} format q8_0 : tensor<32x64xf32>
// SUPER-LABEL: func.func @forward(
// SUPER:         loom.quantize %{{.*}} format q4_1 : tensor<50x32xf32>

// include=\.down$, then derived: one quantized param per layer, named
// after its source and format, passed to the block.
// DERIVE:      loom.param @l0.down.q8_0 : tensor<32x68xi8> init {
// DERIVE-NEXT:   %[[W:.*]] = loom.weight @l0.down : tensor<32x64xf32>
// DERIVE-NEXT:   %[[Q:.*]] = loom.quantize %[[W]] format q8_0 : tensor<32x64xf32> -> tensor<32x68xi8>
// DERIVE-NEXT:   loom.yield %[[Q]]
// DERIVE:      loom.param @l1.down.q8_0 : tensor<32x68xi8> init {
// DERIVE-LABEL: func.func private @Block(
// DERIVE-SAME:   tensor<32x68xi8>
// DERIVE:        loom.linear %{{.*}}, %{{.*}} residual %{{.*}} format q8_0 : (tensor<?x64xf32>, tensor<32x68xi8>, tensor<?x32xf32>)
// DERIVE-LABEL: func.func @forward(
// DERIVE:        loom.weight @l0.down.q8_0
// DERIVE:        loom.weight @l1.down.q8_0

// -----

// Layers the pass rewrites into products first: an MLP, an unfused gated
// MLP (through the gate-up fusion), a transposed (Conv1D-style) weight.

// CHECK-LABEL: func.func @layers(
// CHECK:         loom.quantize %{{.*}} format q8_0 : tensor<64x32xf32> -> tensor<64x34xi8>
// CHECK:         loom.activation gelu
// CHECK:         loom.quantize %{{.*}} format q8_0 : tensor<32x64xf32> -> tensor<32x68xi8>
// CHECK:         loom.quantize %{{.*}} format q8_0 : tensor<128x32xf32> -> tensor<128x34xi8>
// CHECK:         loom.glu silu
// CHECK:         loom.quantize %{{.*}} format q8_0 : tensor<32x64xf32> -> tensor<32x68xi8>
// CHECK:         %[[T:.*]] = loom.transpose
// CHECK:         loom.quantize %[[T]] format q8_0 : tensor<16x32xf32> -> tensor<16x34xi8>
// CHECK-NOT:     loom.mlp
// CHECK-NOT:     loom.gated_mlp
func.func @layers(%x: tensor<?x32xf32>, %up: tensor<64x32xf32>, %down: tensor<32x64xf32>, %g: tensor<64x32xf32>, %u: tensor<64x32xf32>, %d: tensor<32x64xf32>, %conv: tensor<32x16xf32>) -> tensor<?x16xf32> {
  %0 = loom.mlp gelu %x, %up, %down : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %1 = loom.gated_mlp silu %0, %g, %u, %d : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %t = loom.transpose %conv : tensor<32x16xf32> -> tensor<16x32xf32>
  %2 = loom.linear %1, %t : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %2 : tensor<?x16xf32>
}

// Error feedback in q4_k: the covariance of 256 input channels, a derived
// weight computed at load.
// Q4KGPTQ:       loom.param @a.w.covariance : tensor<256x256xf32>
// Q4KGPTQ:       loom.param @a.w.q4_k.gptq : tensor<16x144xi8> init {
// Q4KGPTQ:         loom.quantize %{{.*}} covariance %{{.*}} format q4_k : tensor<16x256xf32> covariance tensor<256x256xf32> -> tensor<16x144xi8>
// Q4KGPTQ:       loom.linear %{{.*}}, %{{.*}} format q4_k

// Token embedding tables are quantized only when the kind `embedding` is
// named: by default the tied table's head is, its lookup is not.
// NOEMBED-LABEL: func.func @forward(
// NOEMBED:         %[[T:.*]] = loom.weight @embed : tensor<50x32xf32>
// NOEMBED:         loom.embedding %{{.*}}, %[[T]] : (tensor<?xi32>, tensor<50x32xf32>)
// NOEMBED:         loom.linear %{{.*}}, %{{.*}} format q8_0
// The table alone: its lookup decodes q4_1 rows; the head reads f32.
// EMBED:         loom.param @embed.q4_1 : tensor<50x20xi8> init {
// EMBED:           loom.quantize %{{.*}} format q4_1 : tensor<50x32xf32> -> tensor<50x20xi8>
// EMBED-LABEL: func.func @forward(
// EMBED:         %[[F:.*]] = loom.weight @embed : tensor<50x32xf32>
// EMBED:         %[[Q:.*]] = loom.weight @embed.q4_1 : tensor<50x20xi8>
// EMBED:         loom.embedding %{{.*}}, %[[Q]] format q4_1 : (tensor<?xi32>, tensor<50x20xi8>) -> tensor<?x32xf32>
// EMBED:         loom.linear %{{.*}}, %[[F]] : (tensor<?x32xf32>, tensor<50x32xf32>)
// Both: one quantized table, read by rows and by the head.
// TIED-COUNT-1:  loom.param @embed.q8_0
// TIED-LABEL: func.func @forward(
// TIED:         loom.embedding %{{.*}}, %{{.*}} format q8_0 : (tensor<?xi32>, tensor<50x34xi8>) -> tensor<?x32xf32>
// TIED:         loom.linear %{{.*}}, %{{.*}} format q8_0 : (tensor<?x32xf32>, tensor<50x34xi8>)
