// The calibrated importance that --loom-quantize-weights and
// --loom-prune-ffn / --loom-prune-heads read by name (Importance.cpp): each
// way it cannot be found is an error at the op that needs it.

// RUN: loom-opt %s --split-input-file --verify-diagnostics --loom-prune-ffn="ratio=0.5 importance=true"

// A param of that name already declared with another length.
loom.param @d : tensor<4x8xf32>
loom.param @u : tensor<8x4xf32>
loom.param @d.importance : tensor<4xf32>
func.func @declared(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %u = loom.weight @u : tensor<8x4xf32>
  %d = loom.weight @d : tensor<4x8xf32>
  // expected-error @below {{the importance 'd.importance' is declared as 'tensor<4xf32>' but this product has 8 input channels}}
  %y = loom.mlp relu %x, %u, %d : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Weights that are not params have no name.
func.func @nameless(%x: tensor<?x4xf32>, %u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<?x4xf32> {
  // expected-error @below {{importance is read by the name of the weight, but this weight does not come from the model's params}}
  %y = loom.mlp relu %x, %u, %d : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A block whose symbol is used other than by a call.
loom.param @u : tensor<8x4xf32>
loom.param @d : tensor<4x8xf32>
func.func private @layer(%x: tensor<?x4xf32>, %u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<?x4xf32> {
  // expected-error @below {{importance for a block used other than by calls is not supported}}
  %y = loom.mlp relu %x, %u, %d : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {loom.uses = @layer} {
  %u = loom.weight @u : tensor<8x4xf32>
  %d = loom.weight @d : tensor<4x8xf32>
  %y = func.call @layer(%x, %u, %d) : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A block called from another block.
loom.param @u : tensor<8x4xf32>
loom.param @d : tensor<4x8xf32>
func.func private @inner(%x: tensor<?x4xf32>, %u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<?x4xf32> {
  // expected-error @below {{importance for a weight in a block called from another block is not supported yet}}
  %y = loom.mlp relu %x, %u, %d : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
func.func private @outer(%x: tensor<?x4xf32>, %u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %y = func.call @inner(%x, %u, %d) : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %u = loom.weight @u : tensor<8x4xf32>
  %d = loom.weight @d : tensor<4x8xf32>
  %y = func.call @outer(%x, %u, %d) : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
