// A covariance param already declared with the wrong shape.
loom.param @a.w : tensor<16x32xf32>
loom.param @a.w.covariance : tensor<32x16xf32>
func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x16xf32> {
  %w = loom.weight @a.w : tensor<16x32xf32>
  %y = loom.linear %x, %w : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
