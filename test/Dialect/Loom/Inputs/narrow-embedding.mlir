// A token embedding table whose rows (48 values) are not whole blocks of 32.
loom.param @embed : tensor<50x48xf32>
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x48xf32> attributes {loom.entry} {
  %t = loom.weight @embed : tensor<50x48xf32>
  %x = loom.embedding %ids, %t : (tensor<?xi32>, tensor<50x48xf32>) -> tensor<?x48xf32>
  return %x : tensor<?x48xf32>
}
