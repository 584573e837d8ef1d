// A derived weight made of another (@ab reads @t, which only it reads):
// derived-weights.test writes @ab ahead of time and loads it back without
// @a, @b or @t.
module attributes {loom.model = "Chain"} {
loom.param @emb : tensor<50x8xf32>
loom.param @a : tensor<8x8xf32>
loom.param @b : tensor<4x8xf32>
loom.param @t : tensor<8x8xf32> init {
  %a = loom.weight @a : tensor<8x8xf32>
  %t = loom.transpose %a : tensor<8x8xf32> -> tensor<8x8xf32>
  loom.yield %t : tensor<8x8xf32>
}
loom.param @ab : tensor<12x8xf32> init {
  %t = loom.weight @t : tensor<8x8xf32>
  %b = loom.weight @b : tensor<4x8xf32>
  %c = loom.concat %t, %b axis = 0 : (tensor<8x8xf32>, tensor<4x8xf32>) -> tensor<12x8xf32>
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
