// RUN: loom-opt %s --loom-lower-prune-calls --split-input-file --verify-diagnostics

func.func @no_context(%u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<6x4xf32> {
  // expected-error @+1 {{the runtime's loom_prune_neurons kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %0 = loom.prune_neurons %u axis 0 keep 6 scores(%u, %d) : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

func.func @no_context_heads(%q: tensor<32x32xf32>, %k: tensor<16x32xf32>, %o: tensor<32x32xf32>) -> tensor<16x32xf32> {
  // expected-error @+1 {{the runtime's loom_prune_heads kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %0 = loom.prune_heads %q part "q" keep 1 heads = 4 kv_heads = 2 head_dim = 8 scores(%q, %k, %k, %o) : (tensor<32x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

func.func @half_weights(%u: tensor<8x4xf16>, %d: tensor<4x8xf16>, %ctx: !llvm.ptr {loom.context}) -> tensor<6x4xf16> {
  // expected-error @+1 {{the runtime prunes f32 weights, got 'tensor<8x4xf16>'}}
  %0 = loom.prune_neurons %u axis 0 keep 6 scores(%u, %d) : (tensor<8x4xf16>, tensor<8x4xf16>, tensor<4x8xf16>) -> tensor<6x4xf16>
  return %0 : tensor<6x4xf16>
}
