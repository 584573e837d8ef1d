// RUN: loom-opt %s --loom-lower-moe-calls --split-input-file --verify-diagnostics

func.func private @no_context(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %d: tensor<32x16xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{the runtime's loom_moe kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %y = loom.moe silu %x, %r, %g, %g, %d experts = 4 top_k = 2 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func private @half(%x: tensor<?x8xf16>, %r: tensor<4x8xf16>, %g: tensor<64x8xf16>, %d: tensor<32x16xf16>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf16> {
  // expected-error @+1 {{the runtime's mixture of experts reads f32 activations and weights, got 'tensor<?x8xf16>'}}
  %y = loom.moe silu %x, %r, %g, %g, %d experts = 4 top_k = 2 : (tensor<?x8xf16>, tensor<4x8xf16>, tensor<64x8xf16>, tensor<64x8xf16>, tensor<32x16xf16>) -> tensor<?x8xf16>
  return %y : tensor<?x8xf16>
}
