// A model with a derived weight: @ab = concat(@a, @b), computed at load
// (derived-weights.test).
module attributes {loom.model = "Derived"} {
loom.param @emb : tensor<50x8xf32>
loom.param @a : tensor<8x8xf32>
loom.param @b : tensor<4x8xf32>
loom.param @ab : tensor<12x8xf32> init {
  %a = loom.weight @a : tensor<8x8xf32>
  %b = loom.weight @b : tensor<4x8xf32>
  %c = loom.concat %a, %b axis = 0 : (tensor<8x8xf32>, tensor<4x8xf32>) -> tensor<12x8xf32>
  loom.yield %c : tensor<12x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x12xf32> {
  %emb = loom.weight @emb : tensor<50x8xf32>
  %w = loom.weight @ab : tensor<12x8xf32>
  %e = loom.embedding %ids, %emb : (tensor<?xi32>, tensor<50x8xf32>) -> tensor<?x8xf32>
  %y = loom.linear %e, %w : (tensor<?x8xf32>, tensor<12x8xf32>) -> tensor<?x12xf32>
  return %y : tensor<?x12xf32>
}
}
