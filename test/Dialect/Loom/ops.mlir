// RUN: loom-opt %s | loom-opt | FileCheck %s
// RUN: loom-opt %s --mlir-print-op-generic | loom-opt | FileCheck %s

// Round trip of every loom op, in its custom and its generic form.

// CHECK-LABEL: loom.param @plain : tensor<768xf32>
loom.param @plain : tensor<768xf32>

// CHECK-LABEL: loom.param @model.layers.0.self_attn.q_proj.weight checkpoint "q" : tensor<768x768xf32>
loom.param @"model.layers.0.self_attn.q_proj.weight" checkpoint "q" : tensor<768x768xf32>
loom.param @k : tensor<256x768xf32>

// CHECK-LABEL: loom.param @qk : tensor<1024x768xf32> init {
// CHECK-NEXT:    %[[Q:.*]] = loom.weight @model.layers.0.self_attn.q_proj.weight : tensor<768x768xf32>
// CHECK-NEXT:    %[[K:.*]] = loom.weight @k : tensor<256x768xf32>
// CHECK-NEXT:    %[[C:.*]] = loom.concat %[[Q]], %[[K]] axis = 0 : (tensor<768x768xf32>, tensor<256x768xf32>) -> tensor<1024x768xf32>
// CHECK-NEXT:    loom.yield %[[C]] : tensor<1024x768xf32>
// CHECK-NEXT:  }
loom.param @qk : tensor<1024x768xf32> init {
  %q = loom.weight @"model.layers.0.self_attn.q_proj.weight" : tensor<768x768xf32>
  %k = loom.weight @k : tensor<256x768xf32>
  %c = loom.concat %q, %k axis = 0 : (tensor<768x768xf32>, tensor<256x768xf32>) -> tensor<1024x768xf32>
  loom.yield %c : tensor<1024x768xf32>
}

// CHECK-LABEL: func.func @embeddings
// CHECK: loom.embedding %{{.*}}, %{{.*}} : (tensor<?xi32>, tensor<100x768xf32>) -> tensor<?x768xf32>
// CHECK: loom.position_embedding %{{.*}}, %{{.*}} : (tensor<?xi32>, tensor<1024x768xf32>) -> tensor<?x768xf32>
// CHECK: loom.embedding_row %{{.*}}[3] : tensor<100x768xf32> -> tensor<768xf32>
func.func @embeddings(%ids: tensor<?xi32>, %wte: tensor<100x768xf32>, %wpe: tensor<1024x768xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>, tensor<768xf32>) {
  %e = loom.embedding %ids, %wte : (tensor<?xi32>, tensor<100x768xf32>) -> tensor<?x768xf32>
  %p = loom.position_embedding %ids, %wpe : (tensor<?xi32>, tensor<1024x768xf32>) -> tensor<?x768xf32>
  %r = loom.embedding_row %wte[3] : tensor<100x768xf32> -> tensor<768xf32>
  return %e, %p, %r : tensor<?x768xf32>, tensor<?x768xf32>, tensor<768xf32>
}

// CHECK-LABEL: func.func @linear
// CHECK: loom.linear %{{.*}}, %{{.*}} : (tensor<?x768xf32>, tensor<3072x768xf32>) -> tensor<?x3072xf32>
// CHECK: loom.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
// CHECK: loom.linear %{{.*}}, %{{.*}} residual %{{.*}} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<?x3072xf32>) -> tensor<?x3072xf32>
// CHECK: loom.linear %{{.*}}, %{{.*}}, %{{.*}} residual %{{.*}} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>, tensor<?x3072xf32>) -> tensor<?x3072xf32>
func.func @linear(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>, %b: tensor<3072xf32>) -> (tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32>) {
  %0 = loom.linear %x, %w : (tensor<?x768xf32>, tensor<3072x768xf32>) -> tensor<?x3072xf32>
  %1 = loom.linear %x, %w, %b : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<?x3072xf32>
  %2 = loom.linear %x, %w residual %0 : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<?x3072xf32>) -> tensor<?x3072xf32>
  %3 = loom.linear %x, %w, %b residual %1 : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>, tensor<?x3072xf32>) -> tensor<?x3072xf32>
  return %0, %1, %2, %3 : tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32>
}

// CHECK-LABEL: func.func @super_blocks
// CHECK: loom.quantize %{{.*}} format q4_k : tensor<64x512xf32> -> tensor<64x288xi8>
// CHECK: loom.linear %{{.*}}, %{{.*}} format q4_k : (tensor<?x512xf32>, tensor<64x288xi8>) -> tensor<?x64xf32>
func.func @super_blocks(%x: tensor<?x512xf32>, %w: tensor<64x512xf32>) -> tensor<?x64xf32> {
  %q = loom.quantize %w format q4_k : tensor<64x512xf32> -> tensor<64x288xi8>
  %y = loom.linear %x, %q format q4_k : (tensor<?x512xf32>, tensor<64x288xi8>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @quantized
// CHECK: %[[Q:.*]] = loom.quantize %{{.*}} format q4_1 : tensor<3072x768xf32> -> tensor<3072x480xi8>
// CHECK: loom.quantize %{{.*}} importance %{{.*}} format q8_0 : tensor<3072x768xf32>, tensor<768xf32> -> tensor<3072x816xi8>
// CHECK: loom.linear %{{.*}}, %[[Q]], %{{.*}} residual %{{.*}} format q4_1 : (tensor<?x768xf32>, tensor<3072x480xi8>, tensor<3072xf32>, tensor<?x3072xf32>) -> tensor<?x3072xf32>
// CHECK: loom.linear %{{.*}}, %[[Q]] format q4_1 inputs int8x2 activation silu : (tensor<?x768xf32>, tensor<3072x480xi8>) -> tensor<?x3072xf32>
// CHECK: loom.quantize %{{.*}} importance %{{.*}} covariance %{{.*}} format q4_0 : tensor<3072x768xf32>, tensor<768xf32> covariance tensor<768x768xf32> -> tensor<3072x432xi8>
func.func @quantized(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>, %b: tensor<3072xf32>, %r: tensor<?x3072xf32>, %imp: tensor<768xf32>, %h: tensor<768x768xf32>) -> (tensor<?x3072xf32>, tensor<3072x816xi8>, tensor<?x3072xf32>, tensor<3072x432xi8>) {
  %q = loom.quantize %w format q4_1 : tensor<3072x768xf32> -> tensor<3072x480xi8>
  %q8 = loom.quantize %w importance %imp format q8_0 : tensor<3072x768xf32>, tensor<768xf32> -> tensor<3072x816xi8>
  %y = loom.linear %x, %q, %b residual %r format q4_1 : (tensor<?x768xf32>, tensor<3072x480xi8>, tensor<3072xf32>, tensor<?x3072xf32>) -> tensor<?x3072xf32>
  %z = loom.linear %x, %q format q4_1 inputs int8x2 activation silu : (tensor<?x768xf32>, tensor<3072x480xi8>) -> tensor<?x3072xf32>
  %g = loom.quantize %w importance %imp covariance %h format q4_0 : tensor<3072x768xf32>, tensor<768xf32> covariance tensor<768x768xf32> -> tensor<3072x432xi8>
  return %y, %q8, %z, %g : tensor<?x3072xf32>, tensor<3072x816xi8>, tensor<?x3072xf32>, tensor<3072x432xi8>
}

// CHECK-LABEL: func.func @norms
// CHECK: loom.layer_norm %{{.*}}, %{{.*}}, %{{.*}} eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>
// CHECK: loom.layer_norm %{{.*}}, %{{.*}} eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>
// CHECK: loom.rms_norm %{{.*}}, %{{.*}} eps = 9.9999999999999995E-7 : tensor<?x768xf32>, tensor<768xf32>
func.func @norms(%x: tensor<?x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<?x768xf32> {
  %0 = loom.layer_norm %x, %g, %b eps = 1.0e-5 : tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>
  %1 = loom.layer_norm %0, %g eps = 1.0e-5 : tensor<?x768xf32>, tensor<768xf32>
  %2 = loom.rms_norm %1, %g eps = 1.0e-6 : tensor<?x768xf32>, tensor<768xf32>
  return %2 : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @attention
// CHECK: loom.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} heads = 12 kv_heads = 4 head_dim = 64 causal rope_theta = 1.000000e+04 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
// CHECK: loom.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bq %{{.*}} bk %{{.*}} bv %{{.*}} bo %{{.*}} heads = 12 kv_heads = 12 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
// CHECK: loom.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bo %{{.*}} heads = 12 kv_heads = 12 head_dim = 64 causal :
func.func @attention(%x: tensor<?x768xf32>, %wq: tensor<768x768xf32>, %wkv: tensor<256x768xf32>, %w: tensor<768x768xf32>, %b: tensor<768xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>) {
  %0 = loom.attention %x, %wq, %wkv, %wkv, %wq heads = 12 kv_heads = 4 head_dim = 64 causal rope_theta = 1.0e4 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  %1 = loom.attention %x, %w, %w, %w, %w bq %b bk %b bv %b bo %b heads = 12 kv_heads = 12 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  %2 = loom.attention %x, %w, %w, %w, %w bo %b heads = 12 kv_heads = 12 head_dim = 64 causal : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  return %0, %1, %2 : tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>
}

// CHECK-LABEL: func.func @mlps
// CHECK: loom.mlp gelu_tanh %{{.*}}, %{{.*}}, %{{.*}} b_up %{{.*}} b_down %{{.*}} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<768xf32>) -> tensor<?x768xf32>
// CHECK: loom.mlp relu %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
// CHECK: loom.gated_mlp silu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
// CHECK: loom.gated_mlp gelu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} b_gate %{{.*}} b_up %{{.*}} b_down %{{.*}} :
func.func @mlps(%x: tensor<?x768xf32>, %up: tensor<3072x768xf32>, %down: tensor<768x3072xf32>, %bu: tensor<3072xf32>, %bd: tensor<768xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>) {
  %0 = loom.mlp gelu_tanh %x, %up, %down b_up %bu b_down %bd : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  %1 = loom.mlp relu %x, %up, %down : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
  %2 = loom.gated_mlp silu %x, %up, %up, %down : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
  %3 = loom.gated_mlp gelu %x, %up, %up, %down b_gate %bu b_up %bu b_down %bd : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  return %0, %1, %2, %3 : tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>
}

// CHECK-LABEL: func.func @elementwise
// CHECK: loom.activation silu %{{.*}} : tensor<?x768xf32>
// CHECK: loom.activation gelu_tanh %{{.*}} : tensor<?x768xf32>
// CHECK: loom.add %{{.*}}, %{{.*}} : tensor<?x768xf32>, tensor<?x768xf32>
// CHECK: loom.add %{{.*}}, %{{.*}} : tensor<?x768xf32>, tensor<768xf32>
// CHECK: loom.mul %{{.*}}, %{{.*}} : tensor<?x768xf32>, tensor<?x768xf32>
// CHECK: loom.scale %{{.*}} by 1.250000e-01 : tensor<?x768xf32>
func.func @elementwise(%x: tensor<?x768xf32>, %v: tensor<768xf32>) -> tensor<?x768xf32> {
  %0 = loom.activation silu %x : tensor<?x768xf32>
  %1 = loom.activation gelu_tanh %0 : tensor<?x768xf32>
  %2 = loom.add %1, %x : tensor<?x768xf32>, tensor<?x768xf32>
  %3 = loom.add %2, %v : tensor<?x768xf32>, tensor<768xf32>
  %4 = loom.mul %3, %x : tensor<?x768xf32>, tensor<?x768xf32>
  %5 = loom.scale %4 by 0.125 : tensor<?x768xf32>
  return %5 : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @tensor_math
// CHECK: loom.sub %{{.*}}, %{{.*}} : tensor<?x768xf32>, tensor<?x1xf32>
// CHECK: loom.div %{{.*}}, %{{.*}} : tensor<1xf32>, tensor<?x768xf32>
// CHECK: loom.max %{{.*}}, %{{.*}} : tensor<?x768xf32>, tensor<768xf32>
// CHECK: loom.min %{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<768xf32>
// CHECK: loom.pow %{{.*}}, %{{.*}} : tensor<?x768xf32>, tensor<1xf32>
// CHECK: loom.unary sigmoid %{{.*}} : tensor<?x768xf32>
// CHECK: loom.reduce norm2 %{{.*}} : tensor<?x768xf32> -> tensor<?x1xf32>
// CHECK: loom.reduce max %{{.*}} : tensor<768xf32> -> tensor<1xf32>
func.func @tensor_math(%x: tensor<?x768xf32>, %v: tensor<768xf32>, %s: tensor<1xf32>) -> (tensor<?x768xf32>, tensor<1xf32>) {
  %m = loom.reduce mean %x : tensor<?x768xf32> -> tensor<?x1xf32>
  %0 = loom.sub %x, %m : tensor<?x768xf32>, tensor<?x1xf32>
  %1 = loom.div %s, %0 : tensor<1xf32>, tensor<?x768xf32>
  %2 = loom.max %1, %v : tensor<?x768xf32>, tensor<768xf32>
  %3 = loom.min %m, %v : tensor<?x1xf32>, tensor<768xf32>
  %4 = loom.pow %3, %s : tensor<?x768xf32>, tensor<1xf32>
  %5 = loom.unary sigmoid %4 : tensor<?x768xf32>
  %6 = loom.reduce norm2 %5 : tensor<?x768xf32> -> tensor<?x1xf32>
  %7 = loom.mul %5, %6 : tensor<?x768xf32>, tensor<?x1xf32>
  %8 = loom.reduce max %v : tensor<768xf32> -> tensor<1xf32>
  return %7, %8 : tensor<?x768xf32>, tensor<1xf32>
}

// CHECK-LABEL: func.func @tensors
// CHECK: loom.transpose %{{.*}} : tensor<768x2304xf32> -> tensor<2304x768xf32>
// CHECK: loom.split %{{.*}} axis = 0 sizes = [768, 768, 768] : tensor<2304x768xf32> -> tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>
// CHECK: loom.concat %{{.*}}, %{{.*}} axis = 1 : (tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<768x1536xf32>
// CHECK: loom.slice %{{.*}} axis = 0 offset = 64 size = 512 : tensor<768x768xf32> -> tensor<512x768xf32>
// CHECK: loom.convert %{{.*}} : tensor<768x768xf32> to tensor<768x768xbf16>
// CHECK: loom.convert %{{.*}} : tensor<768x768xf32> to tensor<768x768xf16>
// CHECK: loom.linear %{{.*}}, %{{.*}} : (tensor<?x768xf32>, tensor<768x768xbf16>) -> tensor<?x768xf32>
func.func @tensors(%w: tensor<768x2304xf32>) -> (tensor<768x1536xf32>, tensor<512x768xf32>) {
  %t = loom.transpose %w : tensor<768x2304xf32> -> tensor<2304x768xf32>
  %q, %k, %v = loom.split %t axis = 0 sizes = [768, 768, 768] : tensor<2304x768xf32> -> tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>
  %c = loom.concat %q, %k axis = 1 : (tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<768x1536xf32>
  %s = loom.slice %v axis = 0 offset = 64 size = 512 : tensor<768x768xf32> -> tensor<512x768xf32>
  %h = loom.convert %q : tensor<768x768xf32> to tensor<768x768xbf16>
  %f = loom.convert %k : tensor<768x768xf32> to tensor<768x768xf16>
  return %c, %s : tensor<768x1536xf32>, tensor<512x768xf32>
}

// A weight narrower than its inputs, widened as it is read.
func.func @half_weight(%x: tensor<?x768xf32>, %w: tensor<768x768xbf16>) -> tensor<?x768xf32> {
  %y = loom.linear %x, %w : (tensor<?x768xf32>, tensor<768x768xbf16>) -> tensor<?x768xf32>
  return %y : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @loop
// CHECK: %[[R:.*]]:2 = loom.loop 4 times(%[[I:.*]]) iter_args(%[[H:.*]] = %{{.*}}, %[[G:.*]] = %{{.*}}) : tensor<?x768xf32>, tensor<768xf32> {
// CHECK-NEXT:   %[[A:.*]] = loom.add %[[H]], %[[G]] : tensor<?x768xf32>, tensor<768xf32>
// CHECK-NEXT:   loom.yield %[[A]], %[[G]] : tensor<?x768xf32>, tensor<768xf32>
// CHECK-NEXT: }
// CHECK: return %[[R]]#0
func.func @loop(%x: tensor<?x768xf32>, %b: tensor<768xf32>) -> tensor<?x768xf32> {
  %r:2 = loom.loop 4 times(%i) iter_args(%h = %x, %g = %b) : tensor<?x768xf32>, tensor<768xf32> {
    %a = loom.add %h, %g : tensor<?x768xf32>, tensor<768xf32>
    loom.yield %a, %g : tensor<?x768xf32>, tensor<768xf32>
  }
  return %r#0 : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @adaptive_loops
// CHECK: loom.loop 4 times(%{{.*}}) iter_args(%{{.*}} = %{{.*}}) exit gate threshold = 7.500000e-01 : tensor<?x768xf32> {
// CHECK:   loom.yield %{{.*}}, %{{.*}} : tensor<?x768xf32>, tensor<?x1xf32>
// CHECK: loom.loop 8 times(%{{.*}}) iter_args(%{{.*}} = %{{.*}}) exit converge threshold = 1.000000e-03 : tensor<?x768xf32> {
func.func @adaptive_loops(%x: tensor<?x768xf32>, %w: tensor<1x768xf32>) -> tensor<?x768xf32> {
  %r = loom.loop 4 times(%i) iter_args(%h = %x) exit gate threshold = 0.75 : tensor<?x768xf32> {
    %l = loom.linear %h, %w : (tensor<?x768xf32>, tensor<1x768xf32>) -> tensor<?x1xf32>
    loom.yield %h, %l : tensor<?x768xf32>, tensor<?x1xf32>
  }
  %s = loom.loop 8 times(%i) iter_args(%h = %r) exit converge threshold = 1.0e-3 : tensor<?x768xf32> {
    loom.yield %h : tensor<?x768xf32>
  }
  return %s : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @weights_as_arguments
// CHECK: %[[W:.*]] = loom.weight @plain : tensor<768xf32>
// CHECK: call @block(%{{.*}}, %[[W]])
func.func private @block(%x: tensor<?x768xf32>, %g: tensor<768xf32>) -> tensor<?x768xf32> {
  %0 = loom.rms_norm %x, %g eps = 1.0e-5 : tensor<?x768xf32>, tensor<768xf32>
  return %0 : tensor<?x768xf32>
}
func.func @weights_as_arguments(%x: tensor<?x768xf32>) -> tensor<?x768xf32> {
  %g = loom.weight @plain : tensor<768xf32>
  %0 = func.call @block(%x, %g) : (tensor<?x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// The activation attribute also has a standalone form.
// CHECK-LABEL: func.func @activation_attr
// CHECK-SAME: loom.act = #loom.activation<gelu_tanh>
func.func @activation_attr() attributes {loom.act = #loom.activation<gelu_tanh>} {
  return
}

// Decoding forms: position offset, RoPE and attention over a KV cache.
// CHECK-LABEL: func.func @decode
// CHECK: loom.position_embedding %{{.*}}, %{{.*}} offset %{{.*}} : (tensor<?xi32>, tensor<1024x768xf32>, index) -> tensor<?x768xf32>
// CHECK: loom.rope %{{.*}}, %{{.*}} head_dim = 64 theta = 1.000000e+04 : tensor<?x768xf32>
// CHECK: loom.cached_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} heads = 12 kv_heads = 4 head_dim = 64 causal : (tensor<?x768xf32>, tensor<?x256xf32>, tensor<?x256xf32>, memref<2x1024x256xf32>, memref<2x1024x256xf32>, index, index) -> tensor<?x768xf32>
func.func @decode(%ids: tensor<?xi32>, %wpe: tensor<1024x768xf32>, %pos: index, %slot: index, %q: tensor<?x768xf32>, %k: tensor<?x256xf32>, %v: tensor<?x256xf32>, %kc: memref<2x1024x256xf32>, %vc: memref<2x1024x256xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>) {
  %p = loom.position_embedding %ids, %wpe offset %pos : (tensor<?xi32>, tensor<1024x768xf32>, index) -> tensor<?x768xf32>
  %qr = loom.rope %q, %pos head_dim = 64 theta = 1.0e4 : tensor<?x768xf32>
  %o = loom.cached_attention %qr, %k, %v, %kc, %vc, %pos, %slot heads = 12 kv_heads = 4 head_dim = 64 causal : (tensor<?x768xf32>, tensor<?x256xf32>, tensor<?x256xf32>, memref<2x1024x256xf32>, memref<2x1024x256xf32>, index, index) -> tensor<?x768xf32>
  return %p, %o : tensor<?x768xf32>, tensor<?x768xf32>
}

// qk-norm (per-head RMS norms of the queries and keys) and sliding windows.
// CHECK-LABEL: func.func @attention_variants(
// CHECK: loom.rms_norm %{{.*}}, %{{.*}} eps = 9.9999999999999995E-7 group = 64 : tensor<?x768xf32>, tensor<64xf32>
// CHECK: loom.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} q_norm %{{.*}} k_norm %{{.*}} heads = 12 kv_heads = 4 head_dim = 64 causal rope_theta = 1.000000e+06 qk_norm_eps = 9.9999999999999995E-7 window = 128 :
// CHECK: loom.attend %{{.*}}, %{{.*}}, %{{.*}} heads = 12 kv_heads = 4 head_dim = 64 causal window = 128 :
// CHECK: loom.cached_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} heads = 12 kv_heads = 4 head_dim = 64 causal window = 128 row_alignment = 256 :
func.func @attention_variants(%x: tensor<?x768xf32>, %wq: tensor<768x768xf32>, %wkv: tensor<256x768xf32>, %n: tensor<64xf32>, %k: tensor<?x256xf32>, %kc: memref<2x1024x256xf32>, %pos: index) -> (tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>) {
  %0 = loom.rms_norm %x, %n eps = 1.0e-6 group = 64 : tensor<?x768xf32>, tensor<64xf32>
  %1 = loom.attention %x, %wq, %wkv, %wkv, %wq q_norm %n k_norm %n heads = 12 kv_heads = 4 head_dim = 64 causal rope_theta = 1.0e6 qk_norm_eps = 1.0e-6 window = 128 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x768xf32>
  %2 = loom.attend %x, %k, %k heads = 12 kv_heads = 4 head_dim = 64 causal window = 128 : (tensor<?x768xf32>, tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x768xf32>
  %3 = loom.cached_attention %x, %k, %k, %kc, %kc, %pos, %pos heads = 12 kv_heads = 4 head_dim = 64 causal window = 128 row_alignment = 256 : (tensor<?x768xf32>, tensor<?x256xf32>, tensor<?x256xf32>, memref<2x1024x256xf32>, memref<2x1024x256xf32>, index, index) -> tensor<?x768xf32>
  return %0, %1, %2, %3 : tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>, tensor<?x768xf32>
}

// CHECK-LABEL: func.func @moe(
// CHECK: loom.moe silu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} experts = 4 top_k = 2 renormalize : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
// CHECK: loom.moe gelu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} experts = 4 top_k = 1 :
func.func @moe(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %d: tensor<32x16xf32>) -> tensor<?x8xf32> {
  %0 = loom.moe silu %x, %r, %g, %g, %d experts = 4 top_k = 2 renormalize : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  %1 = loom.moe gelu %0, %r, %g, %g, %d experts = 4 top_k = 1 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// Rotary embeddings on adjacent pairs (llama.cpp's GGUF convention).
// CHECK-LABEL: func.func @interleaved_rope(
// CHECK: loom.attend %{{.*}}, %{{.*}}, %{{.*}} heads = 4 kv_heads = 2 head_dim = 8 causal rope_theta = 1.000000e+05 rope_interleaved : (
// CHECK: loom.rope %{{.*}}, %{{.*}} head_dim = 8 theta = 1.000000e+05 interleaved : tensor<?x32xf32>
func.func @interleaved_rope(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %pos: index) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %0 = loom.attend %q, %k, %k heads = 4 kv_heads = 2 head_dim = 8 causal rope_theta = 1.0e+05 rope_interleaved : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x32xf32>
  %1 = loom.rope %q, %pos head_dim = 8 theta = 1.0e5 interleaved : tensor<?x32xf32>
  return %0, %1 : tensor<?x32xf32>, tensor<?x32xf32>
}

// CHECK-LABEL: func.func @attend_and_glu(
// CHECK: loom.attend %{{.*}}, %{{.*}}, %{{.*}} heads = 4 kv_heads = 2 head_dim = 8 causal rope_theta = 1.000000e+04 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x32xf32>
// CHECK: loom.glu gelu_tanh %{{.*}} : tensor<?x64xf32> -> tensor<?x32xf32>
func.func @attend_and_glu(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %h: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %0 = loom.attend %q, %k, %k heads = 4 kv_heads = 2 head_dim = 8 causal rope_theta = 1.0e+04 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x32xf32>
  %1 = loom.glu gelu_tanh %h : tensor<?x64xf32> -> tensor<?x32xf32>
  return %0, %1 : tensor<?x32xf32>, tensor<?x32xf32>
}

// CHECK-LABEL: func.func @unscaled_norm(
// CHECK: loom.rms_norm %{{.*}} eps = 1.000000e-05 : tensor<?x8xf32>
func.func @unscaled_norm(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.rms_norm %x eps = 1.0e-05 : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @sequence_mixing
// CHECK: loom.cumsum %{{.*}} : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32>
// CHECK: loom.cumsum %{{.*}} state %{{.*}} at %{{.*}} : (tensor<?x4x1xf32>, memref<4x1xf32, strided<[1, 1], offset: ?>>, index) -> tensor<?x4x1xf32>
// CHECK: loom.positions %{{.*}} : tensor<?x32xf32> -> tensor<?x1xf32>
// CHECK: loom.positions %{{.*}} offset %{{.*}} : tensor<?xi32> -> tensor<?x1xf32>
// CHECK: loom.linear_attend %{{.*}}, %{{.*}}, %{{.*}} heads = 4 kv_heads = 2 head_dim = 8 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x24xf32>) -> tensor<?x48xf32>
// CHECK: loom.linear_attend %{{.*}}, %{{.*}}, %{{.*}} state %{{.*}} at %{{.*}} heads = 4 kv_heads = 2 head_dim = 8 scale = 5.000000e-01 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x24xf32>, memref<2x8x12xf32>, index) -> tensor<?x48xf32>
func.func @sequence_mixing(%h: tensor<?x4x8xf32>, %c: tensor<?x4x1xf32>,
                           %s: memref<4x1xf32, strided<[1, 1], offset: ?>>,
                           %x: tensor<?x32xf32>, %ids: tensor<?xi32>,
                           %k: tensor<?x16xf32>, %v: tensor<?x24xf32>,
                           %state: memref<2x8x12xf32>, %pos: index) {
  %0 = loom.cumsum %h : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32>
  %1 = loom.cumsum %c state %s at %pos : (tensor<?x4x1xf32>, memref<4x1xf32, strided<[1, 1], offset: ?>>, index) -> tensor<?x4x1xf32>
  %2 = loom.positions %x : tensor<?x32xf32> -> tensor<?x1xf32>
  %3 = loom.positions %ids offset %pos : tensor<?xi32> -> tensor<?x1xf32>
  %4 = loom.linear_attend %x, %k, %v heads = 4 kv_heads = 2 head_dim = 8 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x24xf32>) -> tensor<?x48xf32>
  %5 = loom.linear_attend %x, %k, %v state %state at %pos heads = 4 kv_heads = 2 head_dim = 8 scale = 0.5 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x24xf32>, memref<2x8x12xf32>, index) -> tensor<?x48xf32>
  return
}

// CHECK-LABEL: func.func @topk_gather
// CHECK: %[[V:.*]], %[[I:.*]] = loom.topk %{{.*}} k = 2 : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xf32>
// CHECK: loom.gather %{{.*}}, %[[I]] : (tensor<?x8xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
func.func @topk_gather(%x: tensor<?x8xf32>) -> tensor<?x2xf32> {
  %v, %i = loom.topk %x k = 2 : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xf32>
  %g = loom.gather %x, %i : (tensor<?x8xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %g : tensor<?x2xf32>
}
