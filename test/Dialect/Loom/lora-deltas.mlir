// RUN: loom-opt %s --loom-loopify="blocks=1 rank=2" | FileCheck %s

// The LoRA delta rewrite (LoraDeltas.h, shared by --loom-loopify and the
// language's 'loop ... lora(r)'), on a block with an attention and a gated
// MLP: the copy takes a and b for each shared matrix, in argument order; the
// layers reading them become products; each product x W^T gains its delta
// as a thin product and a second one that starts from it; an attention
// reading one matrix three times gets the delta on each of the three.
// CHECK-LABEL: func.func private @layer_lora2(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x16xf32>, %[[Q:[a-z0-9]+]]: tensor<16x16xf32> {loom.weight = "q"}, %[[O:[a-z0-9]+]]: tensor<16x16xf32> {loom.weight = "o"}, %[[G:[a-z0-9]+]]: tensor<32x16xf32> {loom.weight = "g"}, %[[U:[a-z0-9]+]]: tensor<32x16xf32> {loom.weight = "u"}, %[[D:[a-z0-9]+]]: tensor<16x32xf32> {loom.weight = "d"},
// CHECK-SAME:    %[[QA:[a-z0-9]+]]: tensor<2x16xf32>, %[[QB:[a-z0-9]+]]: tensor<16x2xf32>, %[[OA:[a-z0-9]+]]: tensor<2x16xf32>, %[[OB:[a-z0-9]+]]: tensor<16x2xf32>, %[[GA:[a-z0-9]+]]: tensor<2x16xf32>, %[[GB:[a-z0-9]+]]: tensor<32x2xf32>, %[[UA:[a-z0-9]+]]: tensor<2x16xf32>, %[[UB:[a-z0-9]+]]: tensor<32x2xf32>, %[[DA:[a-z0-9]+]]: tensor<2x32xf32>, %[[DB:[a-z0-9]+]]: tensor<16x2xf32>)
// CHECK-NOT:     loom.attention
// CHECK-NOT:     loom.gated_mlp
// CHECK-COUNT-3: loom.linear %[[X]], %[[QA]]
// CHECK:         %[[ATT:.*]] = loom.attend
// CHECK:         %[[OT:.*]] = loom.linear %[[ATT]], %[[OA]]
// CHECK:         %[[OW:.*]] = loom.linear %[[ATT]], %[[O]] :
// CHECK:         loom.linear %[[OT]], %[[OB]] residual %[[OW]]
// CHECK:         %[[GT:.*]] = loom.linear %{{.*}}, %[[GA]]
// CHECK:         %[[GW:.*]] = loom.linear %{{.*}}, %[[G]] :
// CHECK:         %[[GS:.*]] = loom.linear %[[GT]], %[[GB]] residual %[[GW]]
// CHECK:         loom.activation silu %[[GS]]
// CHECK:         %[[DT:.*]] = loom.linear %{{.*}}, %[[DA]]
// CHECK:         %[[DW:.*]] = loom.linear %{{.*}}, %[[D]] :
// CHECK:         loom.linear %[[DT]], %[[DB]] residual %[[DW]]
// CHECK:         return
// CHECK-LABEL: func.func @forward(
// CHECK-COUNT-2: call @layer_lora2(
loom.param @l.0.q : tensor<16x16xf32>
loom.param @l.0.o : tensor<16x16xf32>
loom.param @l.0.g : tensor<32x16xf32>
loom.param @l.0.u : tensor<32x16xf32>
loom.param @l.0.d : tensor<16x32xf32>
loom.param @l.1.q : tensor<16x16xf32>
loom.param @l.1.o : tensor<16x16xf32>
loom.param @l.1.g : tensor<32x16xf32>
loom.param @l.1.u : tensor<32x16xf32>
loom.param @l.1.d : tensor<16x32xf32>
func.func private @layer(%x: tensor<?x16xf32>, %q: tensor<16x16xf32> {loom.weight = "q"}, %o: tensor<16x16xf32> {loom.weight = "o"}, %g: tensor<32x16xf32> {loom.weight = "g"}, %u: tensor<32x16xf32> {loom.weight = "u"}, %d: tensor<16x32xf32> {loom.weight = "d"}) -> tensor<?x16xf32> attributes {loom.block} {
  %a = loom.attention %x, %q, %q, %q, %o heads = 2 kv_heads = 2 head_dim = 8 causal : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %h = loom.add %x, %a : tensor<?x16xf32>, tensor<?x16xf32>
  %m = loom.gated_mlp silu %h, %g, %u, %d : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  %y = loom.add %h, %m : tensor<?x16xf32>, tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x16xf32> attributes {loom.entry} {
  %q0 = loom.weight @l.0.q : tensor<16x16xf32>
  %o0 = loom.weight @l.0.o : tensor<16x16xf32>
  %g0 = loom.weight @l.0.g : tensor<32x16xf32>
  %u0 = loom.weight @l.0.u : tensor<32x16xf32>
  %d0 = loom.weight @l.0.d : tensor<16x32xf32>
  %q1 = loom.weight @l.1.q : tensor<16x16xf32>
  %o1 = loom.weight @l.1.o : tensor<16x16xf32>
  %g1 = loom.weight @l.1.g : tensor<32x16xf32>
  %u1 = loom.weight @l.1.u : tensor<32x16xf32>
  %d1 = loom.weight @l.1.d : tensor<16x32xf32>
  %y0 = func.call @layer(%x, %q0, %o0, %g0, %u0, %d0) : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<32x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  %y1 = func.call @layer(%y0, %q1, %o1, %g1, %u1, %d1) : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<32x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y1 : tensor<?x16xf32>
}
