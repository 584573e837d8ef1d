// RUN: loom-opt %s --loom-lower-low-rank-calls --split-input-file --verify-diagnostics

func.func @no_context(%w: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{the runtime's loom_low_rank kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %0 = loom.low_rank %w part "a" rank 2 : (tensor<8x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @half_weights(%w: tensor<8x4xf16>, %ctx: !llvm.ptr {loom.context}) -> tensor<8x2xf16> {
  // expected-error @+1 {{the runtime factors f32 weights, got 'tensor<8x4xf16>'}}
  %0 = loom.low_rank %w part "b" rank 2 : (tensor<8x4xf16>) -> tensor<8x2xf16>
  return %0 : tensor<8x2xf16>
}
