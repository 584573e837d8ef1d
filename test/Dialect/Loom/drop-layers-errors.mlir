// RUN: not loom-opt %s --loom-drop-layers="layers=m.layers.7" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not loom-opt %s --loom-drop-layers="layers=m.layers.0,m.layers.1,m.wide.0" 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: not loom-opt %s --loom-drop-layers="layers=m.wide.0" 2>&1 | FileCheck %s --check-prefix=SHAPE

// NAME: error: --loom-drop-layers: no layer is named 'm.layers.7'; the layers are m.layers.0, m.layers.1, m.wide.0
// ALL: error: --loom-drop-layers: removing every layer (3) leaves no model
// SHAPE: error: --loom-drop-layers: layer 'm.wide.0' does not return a value of its input's type, so it cannot be skipped

loom.param @m.layers.0.mlp.weight : tensor<8x8xf32>
loom.param @m.layers.1.mlp.weight : tensor<8x8xf32>
loom.param @m.wide.0.mlp.weight : tensor<16x8xf32>
func.func private @Block(%x: tensor<?x8xf32>, %w: tensor<8x8xf32> {loom.weight = "mlp.weight"}) -> tensor<?x8xf32> attributes {loom.block} {
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
func.func private @Widen(%x: tensor<?x8xf32>, %w: tensor<16x8xf32> {loom.weight = "mlp.weight"}) -> tensor<?x16xf32> attributes {loom.block} {
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x16xf32> attributes {loom.entry} {
  %w0 = loom.weight @m.layers.0.mlp.weight : tensor<8x8xf32>
  %w1 = loom.weight @m.layers.1.mlp.weight : tensor<8x8xf32>
  %w2 = loom.weight @m.wide.0.mlp.weight : tensor<16x8xf32>
  %h0 = call @Block(%x, %w0) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %h1 = call @Block(%h0, %w1) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = call @Widen(%h1, %w2) : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
