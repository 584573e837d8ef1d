// RUN: loom-opt %s --loom-merge-layers="groups=l.0+m.0" --split-input-file --verify-diagnostics

// Layers of different blocks.
loom.param @l.0.w : tensor<8x8xf32>
loom.param @m.0.w : tensor<8x8xf32>
func.func private @a(%x: tensor<?x8xf32>, %w: tensor<8x8xf32> {loom.weight = "w"}) -> tensor<?x8xf32> attributes {loom.block} {
  %0 = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
func.func private @b(%x: tensor<?x8xf32>, %w: tensor<8x8xf32> {loom.weight = "w"}) -> tensor<?x8xf32> attributes {loom.block} {
  %0 = loom.linear %x, %w activation relu : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {loom.entry} {
  %w0 = loom.weight @l.0.w : tensor<8x8xf32>
  %w1 = loom.weight @m.0.w : tensor<8x8xf32>
  %0 = func.call @a(%x, %w0) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  // expected-error @+1 {{--loom-merge-layers: this layer is not of the same block as the one it is merged into}}
  %1 = func.call @b(%0, %w1) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// A layer of a weight-shared loop runs several times.
loom.param @l.0.w : tensor<8x8xf32>
loom.param @m.0.w : tensor<8x8xf32>
func.func private @a(%x: tensor<?x8xf32>, %w: tensor<8x8xf32> {loom.weight = "w"}) -> tensor<?x8xf32> attributes {loom.block} {
  %0 = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {loom.entry} {
  %w0 = loom.weight @l.0.w : tensor<8x8xf32>
  %w1 = loom.weight @m.0.w : tensor<8x8xf32>
  // expected-error @+1 {{--loom-merge-layers: layer 'l.0' runs 2 times (a weight-shared loop); only layers that run once can be merged}}
  %0 = func.call @a(%x, %w0) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %1 = func.call @a(%0, %w0) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %2 = func.call @a(%1, %w1) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}
