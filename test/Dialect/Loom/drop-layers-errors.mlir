// RUN: not loom-opt %s --loom-drop-layers="layers=m.layers.7" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not loom-opt %s --loom-drop-layers="layers=m.layers.0,m.layers.1,m.wide.0" 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: not loom-opt %s --loom-drop-layers="layers=m.wide.0" 2>&1 | FileCheck %s --check-prefix=SHAPE

// RUN: not loom-opt %s --loom-drop-layers="count=3" 2>&1 | FileCheck %s --check-prefix=COUNT-ALL
// RUN: not loom-opt %s --loom-drop-layers="count=1" 2>&1 | FileCheck %s --check-prefix=NO-SCORES
// RUN: not loom-opt %s --loom-drop-layers="count=1 layers=m.layers.0 scores=m.layers.0=1" 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not loom-opt %s --loom-drop-layers="count=1 scores=m.layers.0=1,m.layers.1" 2>&1 | FileCheck %s --check-prefix=MALFORMED
// RUN: not loom-opt %s --loom-drop-layers="count=1 scores=m.layers.0=1,m.layers.1=nan" 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not loom-opt %s --loom-drop-layers="count=1 scores=m.layers.0=1,m.layers.1=2,other.0=3" 2>&1 | FileCheck %s --check-prefix=UNSCORED

// COUNT-ALL: error: --loom-drop-layers: removing 3 of the 3 layers leaves no model
// NO-SCORES: error: --loom-drop-layers: count=1 needs each layer's block influence (scores; loomc reads them from a calibration run's statistics with --layer-influence)
// BOTH: error: --loom-drop-layers: give the layers to remove or a count, not both
// MALFORMED: error: --loom-drop-layers: bad score 'm.layers.1' (expected NAME=VALUE)
// NAN: error: --loom-drop-layers: bad score 'm.layers.1=nan' (expected NAME=VALUE)
// UNSCORED: error: --loom-drop-layers: no block influence for layer 'm.wide.0' (were the statistics measured on another model?)
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
