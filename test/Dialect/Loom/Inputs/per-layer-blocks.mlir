// A block called for three layers, each reading its own weight.
loom.param @l0.w : tensor<32x32xf32>
loom.param @l1.w : tensor<32x32xf32>
loom.param @l2.w : tensor<32x32xf32>
func.func private @Block(%x: tensor<?x32xf32>, %w: tensor<32x32xf32>) -> tensor<?x32xf32> {
  %y = loom.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = loom.weight @l0.w : tensor<32x32xf32>
  %1 = loom.weight @l1.w : tensor<32x32xf32>
  %2 = loom.weight @l2.w : tensor<32x32xf32>
  %a = call @Block(%x, %0) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %b = call @Block(%a, %1) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %c = call @Block(%b, %2) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %c : tensor<?x32xf32>
}
