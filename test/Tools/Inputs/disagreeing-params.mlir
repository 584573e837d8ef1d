// Two params read one checkpoint tensor with different shapes.
module {
loom.param @a checkpoint "w" : tensor<8x8xf32>
loom.param @b checkpoint "w" : tensor<4x8xf32>
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %a = loom.weight @a : tensor<8x8xf32>
  %x = loom.embedding %ids, %a : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %b = loom.weight @b : tensor<4x8xf32>
  %y = loom.linear %x, %b : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %x : tensor<?x8xf32>
}
}
