// RUN: loom-opt %s --loom-lower-smooth-calls --split-input-file --verify-diagnostics

func.func @no_context(%w: tensor<8x4xf32>, %i: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{the runtime's loom_smooth_scales kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %0 = loom.smooth_scales %w, %i alpha 5.000000e-01 : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @half_weights(%w: tensor<8x4xf16>, %i: tensor<4xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<4xf32> {
  // expected-error @+1 {{the runtime smooths f32 weights and statistics, got 'tensor<8x4xf16>' and 'tensor<4xf32>'}}
  %0 = loom.smooth_scales %w, %i alpha 5.000000e-01 : (tensor<8x4xf16>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dynamic(%w: tensor<8x?xf32>, %i: tensor<?xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?xf32> {
  // expected-error @+1 {{the runtime writes scales of a static size, got 'tensor<?xf32>'}}
  %0 = loom.smooth_scales %w, %i alpha 5.000000e-01 : (tensor<8x?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
