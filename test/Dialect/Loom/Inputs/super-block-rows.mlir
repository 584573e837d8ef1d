// A product whose rows are whole 256-weight q4_k super-blocks.
loom.param @a.w : tensor<16x256xf32>
func.func @forward(%x: tensor<?x256xf32>) -> tensor<?x16xf32> {
  %w = loom.weight @a.w : tensor<16x256xf32>
  %y = loom.linear %x, %w : (tensor<?x256xf32>, tensor<16x256xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
