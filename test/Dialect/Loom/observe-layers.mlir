// RUN: loom-opt %s --loom-observe-layers --split-input-file | FileCheck %s
// RUN: loom-opt %s --loom-observe-layers --loom-observe-layers --split-input-file | FileCheck %s

// A block the entry calls once per layer observes its input first and its
// result last; the module lists the layers in call order. A second run
// changes nothing.

// CHECK:       module attributes {loom.layers = ["m.layers.0", "m.layers.1", "m.layers.2"]}
// CHECK-LABEL: func.func private @Block(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x8xf32>
// CHECK-NEXT:    loom.observe input %[[X]] : tensor<?x8xf32>
// CHECK:         %[[R:.*]] = loom.add
// CHECK-NEXT:    loom.observe output %[[R]] : tensor<?x8xf32>
// CHECK-NEXT:    return %[[R]]
// CHECK-LABEL: func.func @forward(
// CHECK-NOT:     loom.observe
loom.param @m.layers.0.mlp.weight : tensor<8x8xf32>
loom.param @m.layers.1.mlp.weight : tensor<8x8xf32>
loom.param @m.layers.2.mlp.weight : tensor<8x8xf32>
func.func private @Block(%x: tensor<?x8xf32>, %w: tensor<8x8xf32> {loom.weight = "mlp.weight"}) -> tensor<?x8xf32> attributes {loom.block} {
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %r = loom.add %x, %y : tensor<?x8xf32>, tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {loom.entry} {
  %w0 = loom.weight @m.layers.0.mlp.weight : tensor<8x8xf32>
  %w1 = loom.weight @m.layers.1.mlp.weight : tensor<8x8xf32>
  %w2 = loom.weight @m.layers.2.mlp.weight : tensor<8x8xf32>
  %h0 = call @Block(%x, %w0) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %h1 = call @Block(%h0, %w1) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %h2 = call @Block(%h1, %w2) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %h2 : tensor<?x8xf32>
}

// -----

// Left alone: a block that changes the width (no layer to skip), a block
// also called inside a loop (the runtime could not tell its calls apart),
// and a block whose weights do not name a layer. Only @Kept is observed.

// CHECK:       module attributes {loom.layers = ["m.kept.0", "m.kept.1"]}
// CHECK-LABEL: func.func private @Widen(
// CHECK-NOT:     loom.observe
// CHECK-LABEL: func.func private @Looped(
// CHECK-NOT:     loom.observe
// CHECK-LABEL: func.func private @Unnamed(
// CHECK-NOT:     loom.observe
// CHECK-LABEL: func.func private @Kept(
// CHECK:         loom.observe input
// CHECK:         loom.observe output
loom.param @m.wide.0.w : tensor<16x8xf32>
loom.param @m.loop.w : tensor<16x16xf32>
loom.param @m.kept.0.w : tensor<16x16xf32>
loom.param @m.kept.1.w : tensor<16x16xf32>
loom.param @m.u : tensor<16x16xf32>
func.func private @Widen(%x: tensor<?x8xf32>, %w: tensor<16x8xf32> {loom.weight = "w"}) -> tensor<?x16xf32> attributes {loom.block} {
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func private @Looped(%x: tensor<?x16xf32>, %w: tensor<16x16xf32> {loom.weight = "w"}) -> tensor<?x16xf32> attributes {loom.block} {
  %y = loom.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func private @Unnamed(%x: tensor<?x16xf32>, %w: tensor<16x16xf32>) -> tensor<?x16xf32> attributes {loom.block} {
  %y = loom.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func private @Kept(%x: tensor<?x16xf32>, %w: tensor<16x16xf32> {loom.weight = "w"}) -> tensor<?x16xf32> attributes {loom.block} {
  %y = loom.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x16xf32> attributes {loom.entry} {
  %ww = loom.weight @m.wide.0.w : tensor<16x8xf32>
  %h0 = call @Widen(%x, %ww) : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %wl = loom.weight @m.loop.w : tensor<16x16xf32>
  %h1 = loom.loop 2 times(%i) iter_args(%h = %h0) : tensor<?x16xf32> {
    %n = func.call @Looped(%h, %wl) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
    loom.yield %n : tensor<?x16xf32>
  }
  %h2 = call @Looped(%h1, %wl) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %wu = loom.weight @m.u : tensor<16x16xf32>
  %h3 = call @Unnamed(%h2, %wu) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %k0 = loom.weight @m.kept.0.w : tensor<16x16xf32>
  %k1 = loom.weight @m.kept.1.w : tensor<16x16xf32>
  %h4 = call @Kept(%h3, %k0) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %h5 = call @Kept(%h4, %k1) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %h5 : tensor<?x16xf32>
}
