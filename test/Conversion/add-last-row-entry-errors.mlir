// RUN: loom-opt %s --loom-add-last-row-entry --split-input-file --verify-diagnostics

// The entry point of a decoder must map token ids to rows.
loom.param @w : tensor<8x8xf32>
// expected-error @below {{the entry point must take token ids and return a [seq, width] tensor}}
func.func @forward(%ids: tensor<?xi32>) -> tensor<8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %r = loom.embedding_row %w[0] : tensor<8x8xf32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

loom.param @w : tensor<8x8xf32>
// expected-error @below {{'forward_last' is the name of a runtime entry point; rename the block}}
func.func private @forward_last(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = func.call @forward_last(%a) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The last row needs a static width.
loom.param @w : tensor<8x8xf32>
// expected-error @below {{the entry point must take token ids and return a [seq, width] tensor of a static width}}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x?xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %c = tensor.cast %a : tensor<?x8xf32> to tensor<?x?xf32>
  return %c : tensor<?x?xf32>
}

// -----

loom.param @w : tensor<8x8xf32>
// expected-error @below {{the entry point must be a single block of operations ending in a return}}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  cf.br ^bb1(%a : tensor<?x8xf32>)
^bb1(%r: tensor<?x8xf32>):
  return %r : tensor<?x8xf32>
}
