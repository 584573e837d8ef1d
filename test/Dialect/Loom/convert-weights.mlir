// RUN: loom-opt %s --loom-convert-weights | FileCheck %s
// RUN: loom-opt %s --loom-convert-weights="type=f16" | FileCheck %s --check-prefix=F16
// RUN: loom-opt %s --loom-convert-weights --loom-derive-weights | FileCheck %s --check-prefix=DERIVE

// Every f32 product weight is read through loom.convert; the quantized
// product keeps its bytes, and a layer's products are split out first.

loom.param @l0.qkv : tensor<96x32xf32>
loom.param @l0.o : tensor<32x32xf32>
loom.param @l0.up : tensor<64x32xf32>
loom.param @l0.down : tensor<32x64xf32>
loom.param @l1.qkv : tensor<96x32xf32>
loom.param @l1.o : tensor<32x32xf32>
loom.param @l1.up : tensor<64x32xf32>
loom.param @l1.down : tensor<32x64xf32>
loom.param @lm_head : tensor<50x32xf32>
loom.param @wte : tensor<50x32xf32>
loom.param @wq : tensor<50x34xi8>

// CHECK-LABEL: func.func private @Block(
// CHECK:         %[[QKV:.*]] = loom.convert %{{.*}} : tensor<96x32xf32> to tensor<96x32xbf16>
// CHECK:         loom.linear %{{.*}}, %[[QKV]] : (tensor<?x32xf32>, tensor<96x32xbf16>) -> tensor<?x96xf32>
// CHECK:         %[[O:.*]] = loom.convert %{{.*}} : tensor<32x32xf32> to tensor<32x32xbf16>
// CHECK:         loom.linear %{{.*}}, %[[O]] residual
// CHECK-NOT:     loom.mlp
// CHECK:         %[[UP:.*]] = loom.convert %{{.*}} : tensor<64x32xf32> to tensor<64x32xbf16>
// CHECK:         loom.linear %{{.*}}, %[[UP]]
// CHECK:         loom.activation gelu
// CHECK:         %[[DOWN:.*]] = loom.convert %{{.*}} : tensor<32x64xf32> to tensor<32x64xbf16>
// CHECK:         loom.linear %{{.*}}, %[[DOWN]]
// F16-LABEL: func.func private @Block(
// F16:         loom.convert %{{.*}} : tensor<96x32xf32> to tensor<96x32xf16>
func.func private @Block(%x: tensor<?x32xf32>, %qkv: tensor<96x32xf32> {loom.weight = "qkv"}, %o: tensor<32x32xf32> {loom.weight = "o"}, %up: tensor<64x32xf32> {loom.weight = "mlp.up"}, %down: tensor<32x64xf32> {loom.weight = "mlp.down"}) -> tensor<?x32xf32> attributes {loom.block} {
  %p = loom.linear %x, %qkv : (tensor<?x32xf32>, tensor<96x32xf32>) -> tensor<?x96xf32>
  %q, %k, %v = loom.split %p axis = 1 sizes = [32, 32, 32] : tensor<?x96xf32> -> tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
  %a = loom.attend %q, %k, %v heads = 2 kv_heads = 2 head_dim = 16 causal : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %h = loom.linear %a, %o residual %x : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %m = loom.mlp gelu %h, %up, %down : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %y = loom.add %h, %m : tensor<?x32xf32>, tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// The conversions become derived params computed at load, one a layer, and
// the block takes them in place of the f32 weights.
// DERIVE:      loom.param @l0.qkv.bf16 : tensor<96x32xbf16> init {
// DERIVE-NEXT:   %[[W:.*]] = loom.weight @l0.qkv : tensor<96x32xf32>
// DERIVE-NEXT:   %[[H:.*]] = loom.convert %[[W]] : tensor<96x32xf32> to tensor<96x32xbf16>
// DERIVE-NEXT:   loom.yield %[[H]]
// DERIVE:      loom.param @l1.down.bf16 : tensor<32x64xbf16> init {
// DERIVE:      loom.param @lm_head.bf16 : tensor<50x32xbf16> init {
// DERIVE:      loom.param @wte.bf16 : tensor<50x32xbf16> init {
// DERIVE-NOT:  loom.param @wte.bf16
// DERIVE-LABEL: func.func private @Block(
// DERIVE-SAME:   tensor<96x32xbf16>
// DERIVE-NOT:    loom.convert
// DERIVE:        return
// DERIVE-LABEL: func.func @forward(
// DERIVE-NOT:    loom.convert
// DERIVE:        loom.weight @lm_head.bf16 : tensor<50x32xbf16>
// DERIVE-NOT:    loom.convert
// DERIVE:        return
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[HEAD:.*]] = loom.convert %{{.*}} : tensor<50x32xf32> to tensor<50x32xbf16>
// CHECK:         loom.linear %{{.*}}, %[[HEAD]] : (tensor<?x32xf32>, tensor<50x32xbf16>) -> tensor<?x50xf32>
// CHECK:         %[[Q:.*]] = loom.quantize
// CHECK:         loom.linear %{{.*}}, %[[Q]] format q8_0
func.func @forward(%x: tensor<?x32xf32>) -> (tensor<?x50xf32>, tensor<?x50xf32>) attributes {loom.entry} {
  %0 = loom.weight @l0.qkv : tensor<96x32xf32>
  %1 = loom.weight @l0.o : tensor<32x32xf32>
  %2 = loom.weight @l0.up : tensor<64x32xf32>
  %3 = loom.weight @l0.down : tensor<32x64xf32>
  %4 = loom.weight @l1.qkv : tensor<96x32xf32>
  %5 = loom.weight @l1.o : tensor<32x32xf32>
  %6 = loom.weight @l1.up : tensor<64x32xf32>
  %7 = loom.weight @l1.down : tensor<32x64xf32>
  %h0 = call @Block(%x, %0, %1, %2, %3) : (tensor<?x32xf32>, tensor<96x32xf32>, tensor<32x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %h1 = call @Block(%h0, %4, %5, %6, %7) : (tensor<?x32xf32>, tensor<96x32xf32>, tensor<32x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %w = loom.weight @lm_head : tensor<50x32xf32>
  %logits = loom.linear %h1, %w : (tensor<?x32xf32>, tensor<50x32xf32>) -> tensor<?x50xf32>
  %q = loom.quantize %w format q8_0 : tensor<50x32xf32> -> tensor<50x34xi8>
  %quantized = loom.linear %h1, %q format q8_0 : (tensor<?x32xf32>, tensor<50x34xi8>) -> tensor<?x50xf32>
  return %logits, %quantized : tensor<?x50xf32>, tensor<?x50xf32>
}


// A token embedding table is converted too (its rows widened as the lookup
// reads them), and the head tied to it reads the same derived copy; a
// quantized table keeps its bytes.
// CHECK-LABEL: func.func @tied(
// CHECK:         %[[T:.*]] = loom.convert %{{.*}} : tensor<50x32xf32> to tensor<50x32xbf16>
// CHECK:         loom.embedding %{{.*}}, %[[T]] : (tensor<?xi32>, tensor<50x32xbf16>) -> tensor<?x32xf32>
// CHECK:         loom.embedding %{{.*}}, %{{.*}} format q8_0 : (tensor<?xi32>, tensor<50x34xi8>) -> tensor<?x32xf32>
// CHECK:         %[[H:.*]] = loom.convert %{{.*}} : tensor<50x32xf32> to tensor<50x32xbf16>
// CHECK:         loom.linear %{{.*}}, %[[H]] : (tensor<?x32xf32>, tensor<50x32xbf16>) -> tensor<?x50xf32>
func.func @tied(%ids: tensor<?xi32>) -> tensor<?x50xf32> attributes {loom.entry} {
  %w = loom.weight @wte : tensor<50x32xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<50x32xf32>) -> tensor<?x32xf32>
  %wq = loom.weight @wq : tensor<50x34xi8>
  %xq = loom.embedding %ids, %wq format q8_0 : (tensor<?xi32>, tensor<50x34xi8>) -> tensor<?x32xf32>
  %s = loom.add %x, %xq : tensor<?x32xf32>, tensor<?x32xf32>
  %logits = loom.linear %s, %w : (tensor<?x32xf32>, tensor<50x32xf32>) -> tensor<?x50xf32>
  return %logits : tensor<?x50xf32>
}
// DERIVE-LABEL: func.func @tied(
// DERIVE:         %[[T:.*]] = loom.weight @wte.bf16 : tensor<50x32xbf16>
// DERIVE:         loom.embedding %{{.*}}, %[[T]] :
// DERIVE:         %[[H:.*]] = loom.weight @wte.bf16 : tensor<50x32xbf16>
// DERIVE:         loom.linear %{{.*}}, %[[H]] :
