// RUN: loom-opt %s --convert-loom-to-linalg --verify-diagnostics

// The generated mixture of experts finds an expert's weight rows by its
// index: the stacked matrices need static sizes.
func.func @moe_dynamic(%x: tensor<?x8xf32>, %router: tensor<4x8xf32>, %wg: tensor<?x8xf32>, %wu: tensor<?x8xf32>, %wd: tensor<32x6xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{a mixture of experts in generated loops needs static expert sizes and width}}
  %y = loom.moe silu %x, %router, %wg, %wu, %wd experts = 4 top_k = 2 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<32x6xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
