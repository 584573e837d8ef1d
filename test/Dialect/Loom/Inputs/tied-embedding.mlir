// A token embedding table tied to the head.
loom.param @embed : tensor<50x32xf32>
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x50xf32> attributes {loom.entry} {
  %t = loom.weight @embed : tensor<50x32xf32>
  %x = loom.embedding %ids, %t : (tensor<?xi32>, tensor<50x32xf32>) -> tensor<?x32xf32>
  %y = loom.linear %x, %t : (tensor<?x32xf32>, tensor<50x32xf32>) -> tensor<?x50xf32>
  return %y : tensor<?x50xf32>
}
