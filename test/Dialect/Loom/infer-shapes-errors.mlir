// RUN: loom-opt %s --loom-infer-shapes --split-input-file --verify-diagnostics \
// RUN:   --mlir-very-unsafe-disable-verifier-on-parsing

// Two layers of a stack were pruned to different widths: one private function
// cannot take both; the pass asks for specialization instead of guessing.
loom.param @a : tensor<512x768xf32>
loom.param @b : tensor<256x768xf32>
func.func private @layer(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>) -> tensor<?x768xf32> {
  %0 = loom.linear %x, %w : (tensor<?x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}
func.func @stack(%x: tensor<?x768xf32>) -> (tensor<?x768xf32>, tensor<?x768xf32>) {
  %a = "loom.weight"() <{param = @a}> : () -> tensor<768x768xf32>
  %b = "loom.weight"() <{param = @b}> : () -> tensor<768x768xf32>
  %0 = func.call @layer(%x, %a) : (tensor<?x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  // expected-error @+1 {{call sites of @layer disagree on the type of argument #1 ('tensor<512x768xf32>' vs 'tensor<256x768xf32>'); specialize the function first}}
  %1 = func.call @layer(%x, %b) : (tensor<?x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  return %0, %1 : tensor<?x768xf32>, tensor<?x768xf32>
}
