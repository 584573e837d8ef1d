// RUN: loom-opt %s --split-input-file --loom-smooth-activations | FileCheck %s
// RUN: loom-opt %s --split-input-file --loom-smooth-activations="alpha=0.8" --loom-quantize-weights="importance=true" | FileCheck %s --check-prefix=QUANT
// RUN: loom-opt %s --split-input-file --loom-smooth-activations="alpha=0.8" --loom-quantize-weights="covariance=true" | FileCheck %s --check-prefix=COV
// RUN: loom-opt %s --split-input-file --loom-smooth-activations --loom-derive-weights | FileCheck %s --check-prefix=DERIVE
// RUN: loom-opt %s --split-input-file --loom-smooth-activations="all-products=true" | FileCheck %s --check-prefix=ALL

// A pre-norm block: each norm feeds only products (the fused q/k/v; gate
// and up), so the norm's scale takes 1 / s and the products' weights
// w diag(s), s from the products' weights and the importance of their
// input, a new argument each call passes. The down projection reads an
// activation, not a norm: it is left alone.

loom.param @l0.norm : tensor<32xf32>
loom.param @l0.qkv : tensor<96x32xf32>
loom.param @l0.o : tensor<32x32xf32>
loom.param @l0.ffn_norm : tensor<32xf32>
loom.param @l0.gate : tensor<64x32xf32>
loom.param @l0.up : tensor<64x32xf32>
loom.param @l0.down : tensor<32x64xf32>
loom.param @l1.norm : tensor<32xf32>
loom.param @l1.qkv : tensor<96x32xf32>
loom.param @l1.o : tensor<32x32xf32>
loom.param @l1.ffn_norm : tensor<32xf32>
loom.param @l1.gate : tensor<64x32xf32>
loom.param @l1.up : tensor<64x32xf32>
loom.param @l1.down : tensor<32x64xf32>
loom.param @final_norm : tensor<32xf32>
loom.param @embed : tensor<50x32xf32>

func.func private @Block(%x: tensor<?x32xf32>, %norm: tensor<32xf32> {loom.weight = "norm"}, %qkv: tensor<96x32xf32> {loom.weight = "qkv"}, %o: tensor<32x32xf32> {loom.weight = "o"}, %ffn_norm: tensor<32xf32> {loom.weight = "ffn_norm"}, %gate: tensor<64x32xf32> {loom.weight = "gate"}, %up: tensor<64x32xf32> {loom.weight = "up"}, %down: tensor<32x64xf32> {loom.weight = "down"}) -> tensor<?x32xf32> attributes {loom.block} {
  %n = loom.rms_norm %x, %norm eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>
  %p = loom.linear %n, %qkv : (tensor<?x32xf32>, tensor<96x32xf32>) -> tensor<?x96xf32>
  %q, %k, %v = loom.split %p axis = 1 sizes = [32, 32, 32] : tensor<?x96xf32> -> tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
  %a = loom.attend %q, %k, %v heads = 2 kv_heads = 2 head_dim = 16 causal : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %h = loom.linear %a, %o residual %x : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %m = loom.rms_norm %h, %ffn_norm eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>
  %g = loom.linear %m, %gate : (tensor<?x32xf32>, tensor<64x32xf32>) -> tensor<?x64xf32>
  %u = loom.linear %m, %up : (tensor<?x32xf32>, tensor<64x32xf32>) -> tensor<?x64xf32>
  %s = loom.activation silu %g : tensor<?x64xf32>
  %gu = loom.mul %s, %u : tensor<?x64xf32>, tensor<?x64xf32>
  %y = loom.linear %gu, %down residual %h : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

func.func @forward(%ids: tensor<?xi32>) -> tensor<?x50xf32> attributes {loom.entry} {
  %e = loom.weight @embed : tensor<50x32xf32>
  %x = loom.embedding %ids, %e : (tensor<?xi32>, tensor<50x32xf32>) -> tensor<?x32xf32>
  %0 = loom.weight @l0.norm : tensor<32xf32>
  %1 = loom.weight @l0.qkv : tensor<96x32xf32>
  %2 = loom.weight @l0.o : tensor<32x32xf32>
  %3 = loom.weight @l0.ffn_norm : tensor<32xf32>
  %4 = loom.weight @l0.gate : tensor<64x32xf32>
  %5 = loom.weight @l0.up : tensor<64x32xf32>
  %6 = loom.weight @l0.down : tensor<32x64xf32>
  %h0 = call @Block(%x, %0, %1, %2, %3, %4, %5, %6) : (tensor<?x32xf32>, tensor<32xf32>, tensor<96x32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %10 = loom.weight @l1.norm : tensor<32xf32>
  %11 = loom.weight @l1.qkv : tensor<96x32xf32>
  %12 = loom.weight @l1.o : tensor<32x32xf32>
  %13 = loom.weight @l1.ffn_norm : tensor<32xf32>
  %14 = loom.weight @l1.gate : tensor<64x32xf32>
  %15 = loom.weight @l1.up : tensor<64x32xf32>
  %16 = loom.weight @l1.down : tensor<32x64xf32>
  %h1 = call @Block(%h0, %10, %11, %12, %13, %14, %15, %16) : (tensor<?x32xf32>, tensor<32xf32>, tensor<96x32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %fn = loom.weight @final_norm : tensor<32xf32>
  %n = loom.rms_norm %h1, %fn eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>
  // A tied head: its table is also the embedding, so it stays as it is.
  %logits = loom.linear %n, %e : (tensor<?x32xf32>, tensor<50x32xf32>) -> tensor<?x50xf32>
  return %logits : tensor<?x50xf32>
}

// CHECK-DAG:   loom.param @l0.qkv.importance : tensor<32xf32>
// CHECK-DAG:   loom.param @l0.gate.importance : tensor<32xf32>
// CHECK-LABEL: func.func private @Block(
// CHECK-SAME:    %[[NORM:[a-z0-9]+]]: tensor<32xf32> {loom.weight = "norm"}, %[[QKV:[a-z0-9]+]]: tensor<96x32xf32>
// CHECK-SAME:    %[[FNORM:[a-z0-9]+]]: tensor<32xf32> {loom.weight = "ffn_norm"}, %[[GATE:[a-z0-9]+]]: tensor<64x32xf32> {loom.weight = "gate"}, %[[UP:[a-z0-9]+]]: tensor<64x32xf32> {loom.weight = "up"}, %[[DOWN:[a-z0-9]+]]: tensor<32x64xf32> {loom.weight = "down"}, %[[IQKV:[a-z0-9]+]]: tensor<32xf32>, %[[IFFN:[a-z0-9]+]]: tensor<32xf32>)
// CHECK:         %[[S:.*]] = loom.smooth_scales %[[QKV]], %[[IQKV]] alpha 5.000000e-01 : (tensor<96x32xf32>, tensor<32xf32>) -> tensor<32xf32>
// CHECK:         %[[INV:.*]] = loom.smooth_scales %[[QKV]], %[[IQKV]] alpha 5.000000e-01 inverse
// CHECK:         %[[G:.*]] = loom.mul %[[NORM]], %[[INV]] : tensor<32xf32>, tensor<32xf32>
// CHECK:         %[[N:.*]] = loom.rms_norm %{{.*}}, %[[G]]
// CHECK:         %[[W:.*]] = loom.mul %[[QKV]], %[[S]] : tensor<96x32xf32>, tensor<32xf32>
// CHECK:         loom.linear %[[N]], %[[W]]
// Gate and up share one scale, from both their weights.
// CHECK:         %[[GU:.*]] = loom.concat %[[GATE]], %[[UP]] axis = 0
// CHECK:         %[[S2:.*]] = loom.smooth_scales %[[GU]], %[[IFFN]] alpha 5.000000e-01 :
// CHECK:         %[[INV2:.*]] = loom.smooth_scales %[[GU]], %[[IFFN]] alpha 5.000000e-01 inverse
// CHECK:         loom.mul %[[FNORM]], %[[INV2]]
// CHECK:         loom.mul %[[GATE]], %[[S2]]
// CHECK:         loom.mul %[[UP]], %[[S2]]
// CHECK-NOT:     loom.mul %[[DOWN]]
// CHECK-LABEL: func.func @forward(
// CHECK:         call @Block({{.*}}) :
// CHECK:         call @Block({{.*}}) :
// CHECK-NOT:     loom.smooth_scales

// Quantized with importance: each smoothed product's rounding is weighed by
// the smoothed input's mean squares, importance / s^2.
// QUANT-LABEL: func.func private @Block(
// QUANT:         %[[S:.*]] = loom.smooth_scales %{{.*}}, %[[I:[a-z0-9]+]] alpha 8.000000e-01 :
// QUANT:         %[[W:.*]] = loom.mul %{{.*}}, %[[S]]
// QUANT:         %[[INV:.*]] = loom.smooth_scales %{{.*}}, %[[I]] alpha 8.000000e-01 inverse
// QUANT:         %[[I1:.*]] = loom.mul %[[J:[a-z0-9]+]], %[[INV]]
// QUANT:         %[[I2:.*]] = loom.mul %[[I1]], %[[INV]]
// QUANT:         loom.quantize %[[W]] importance %[[I2]] format q8_0

// Quantized with error feedback: the covariance is the calibrated one of
// the input before smoothing (NAME.covariance, not NAME.smoothed...),
// scaled to the smoothed input's, diag(1/s) H diag(1/s): its columns, then
// (transposed) its rows.
// COV-DAG:       loom.param @l0.qkv.covariance : tensor<32x32xf32>
// COV-DAG:       loom.param @l0.gate.covariance : tensor<32x32xf32>
// COV-LABEL: func.func private @Block(
// COV:         %[[S:.*]] = loom.smooth_scales %{{.*}}, %[[I:[a-z0-9]+]] alpha 8.000000e-01 :
// COV:         %[[W:.*]] = loom.mul %{{.*}}, %[[S]]
// COV:         %[[INV:.*]] = loom.smooth_scales %{{.*}}, %[[I]] alpha 8.000000e-01 inverse
// COV:         %[[H1:.*]] = loom.mul %[[H:[a-z0-9]+]], %[[INV]] : tensor<32x32xf32>, tensor<32xf32>
// COV:         %[[HT:.*]] = loom.transpose %[[H1]]
// COV:         %[[H2:.*]] = loom.mul %[[HT]], %[[INV]] : tensor<32x32xf32>, tensor<32xf32>
// COV:         loom.quantize %[[W]] covariance %[[H2]] format q8_0
// The output projection is not smoothed: its covariance is read as it is.
// COV:         loom.quantize %{{[a-z0-9]+}} covariance %{{[a-z0-9]+}} format q8_0
// COV-NOT:     .smoothed.covariance

// all-products: the products whose input is not a norm's (the output and
// down projections; the tied head stays) multiply their input by 1 / s as
// they run.
// ALL-LABEL: func.func private @Block(
// ALL:         %[[SO:.*]] = loom.smooth_scales %[[O:[a-z0-9]+]], %[[IO:[a-z0-9]+]] alpha 5.000000e-01 : (tensor<32x32xf32>
// ALL:         %[[VO:.*]] = loom.smooth_scales %[[O]], %[[IO]] alpha 5.000000e-01 inverse
// ALL:         %[[XO:.*]] = loom.mul %{{.*}}, %[[VO]] : tensor<?x32xf32>, tensor<32xf32>
// ALL:         %[[WO:.*]] = loom.mul %[[O]], %[[SO]] : tensor<32x32xf32>, tensor<32xf32>
// ALL:         loom.linear %[[XO]], %[[WO]] residual
// ALL:         loom.smooth_scales %{{.*}} : (tensor<32x64xf32>, tensor<64xf32>) -> tensor<64xf32>
// ALL-LABEL: func.func @forward(
// ALL-NOT:     loom.smooth_scales
// ALL-LABEL: func.func @post_norm(
// A post-norm product: its own input scaled as it runs.
// ALL:         %[[S:.*]] = loom.smooth_scales %[[A:[0-9]+]], %{{.*}} alpha 5.000000e-01 : (tensor<32x32xf32>
// ALL:         %[[V:.*]] = loom.smooth_scales %[[A]], %{{.*}} inverse
// ALL:         %[[X:.*]] = loom.mul %[[N:[0-9]+]], %[[V]] : tensor<?x32xf32>, tensor<32xf32>
// ALL:         loom.linear %[[X]], %{{.*}} :
// ALL:         loom.add %{{.*}}, %[[N]]

// Derived: the scaled norm and weights are computed at load, one per layer.
// DERIVE-DAG:  loom.param @l0.norm.smoothed : tensor<32xf32> init {
// DERIVE-DAG:  loom.param @l1.qkv.smoothed : tensor<96x32xf32> init {
// DERIVE-DAG:  loom.param @l0.ffn_norm.smoothed : tensor<32xf32> init {
// DERIVE-DAG:  loom.param @l1.up.smoothed : tensor<64x32xf32> init {

// -----

// Post-norm (BERT): the norm's result is also the residual, so scaling it
// would change the model; and a LayerNorm whose only reader is a product
// takes 1 / s on its gamma and beta.
// CHECK-LABEL: func.func @post_norm(
// CHECK:         %[[N:.*]] = loom.layer_norm %{{.*}}, %{{.*}}, %{{.*}} eps
// CHECK-NOT:     loom.smooth_scales
// CHECK:         loom.add %{{.*}}, %[[N]]
// CHECK:         %[[S:.*]] = loom.smooth_scales
// CHECK:         %[[INV:.*]] = loom.smooth_scales {{.*}} inverse
// CHECK:         %[[G:.*]] = loom.mul %{{.*}}, %[[INV]]
// CHECK:         %[[B:.*]] = loom.mul %{{.*}}, %[[INV]]
// CHECK:         loom.layer_norm %{{.*}}, %[[G]], %[[B]]
loom.param @a.gamma : tensor<32xf32>
loom.param @a.beta : tensor<32xf32>
loom.param @a.w : tensor<32x32xf32>
loom.param @b.gamma : tensor<32xf32>
loom.param @b.beta : tensor<32xf32>
loom.param @b.w : tensor<16x32xf32>
func.func @post_norm(%x: tensor<?x32xf32>) -> tensor<?x16xf32> attributes {loom.entry} {
  %g = loom.weight @a.gamma : tensor<32xf32>
  %b = loom.weight @a.beta : tensor<32xf32>
  %n = loom.layer_norm %x, %g, %b eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>, tensor<32xf32>
  %w = loom.weight @a.w : tensor<32x32xf32>
  %y = loom.linear %n, %w : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %r = loom.add %y, %n : tensor<?x32xf32>, tensor<?x32xf32>
  %g2 = loom.weight @b.gamma : tensor<32xf32>
  %b2 = loom.weight @b.beta : tensor<32xf32>
  %n2 = loom.layer_norm %r, %g2, %b2 eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>, tensor<32xf32>
  %w2 = loom.weight @b.w : tensor<16x32xf32>
  %z = loom.linear %n2, %w2 : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %z : tensor<?x16xf32>
}

// -----

// A norm whose product sits in a loop's body (another block) is left alone
// (the statistics could not be read ahead of the norm there).
// CHECK-LABEL: func.func @in_loop(
// CHECK-NOT:     loom.smooth_scales
loom.param @c.gamma : tensor<32xf32>
loom.param @c.w : tensor<32x32xf32>
func.func @in_loop(%x: tensor<?x32xf32>) -> tensor<?x32xf32> attributes {loom.entry} {
  %g = loom.weight @c.gamma : tensor<32xf32>
  %n = loom.rms_norm %x, %g eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>
  %w = loom.weight @c.w : tensor<32x32xf32>
  %r = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x32xf32> {
    %y = loom.linear %n, %w residual %h : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
    loom.yield %y : tensor<?x32xf32>
  }
  return %r : tensor<?x32xf32>
}
