// One checkpoint tensor, "w", bound to two params: as a matrix (the
// products may keep it half precision) and as a position table (read as
// f32). It must then stay f32 for both (weight-types.test).
module attributes {loom.model = "Shared"} {
loom.param @head checkpoint "w" : tensor<8x8xf32>
loom.param @positions checkpoint "w" : tensor<8x8xf32>
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %p = loom.weight @positions : tensor<8x8xf32>
  %h = loom.weight @head : tensor<8x8xf32>
  %x = loom.position_embedding %ids, %p : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = loom.linear %x, %h : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
}
