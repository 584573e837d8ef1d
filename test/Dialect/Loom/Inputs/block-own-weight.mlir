// A block whose product reads a layer's weight plus a weight of its own
// (the same in every call).
loom.param @l0.w : tensor<32x32xf32>
loom.param @l1.w : tensor<32x32xf32>
loom.param @shared : tensor<32x32xf32>
func.func private @Block(%x: tensor<?x32xf32>, %w: tensor<32x32xf32>) -> tensor<?x32xf32> {
  %s = loom.weight @shared : tensor<32x32xf32>
  %sum = loom.add %w, %s : tensor<32x32xf32>, tensor<32x32xf32>
  %y = loom.linear %x, %sum : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = loom.weight @l0.w : tensor<32x32xf32>
  %1 = loom.weight @l1.w : tensor<32x32xf32>
  %a = call @Block(%x, %0) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %b = call @Block(%a, %1) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %b : tensor<?x32xf32>
}
