// RUN: loom-opt %s --loom-extract-submodel="ffn=16 heads=3" --split-input-file --verify-diagnostics
// RUN: not loom-opt %s --loom-extract-submodel="ffn=-2" 2>&1 | FileCheck %s --check-prefix=NEGATIVE

// NEGATIVE: error: --loom-extract-submodel: ffn must not be negative, got -2

loom.param @l.g : tensor<8x4xf32>
loom.param @l.u : tensor<8x4xf32>
loom.param @l.d : tensor<4x8xf32>
func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %g = loom.weight @l.g : tensor<8x4xf32>
  %u = loom.weight @l.u : tensor<8x4xf32>
  %d = loom.weight @l.d : tensor<4x8xf32>
  // expected-error @+1 {{--loom-extract-submodel: the sub-model keeps 16 neurons, but this feed-forward network has 8}}
  %y = loom.gated_mlp silu %x, %g, %u, %d : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// RUN: not loom-opt %s --loom-extract-submodel="heads=-1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE-HEADS
// NEGATIVE-HEADS: error: --loom-extract-submodel: heads must not be negative, got -1
loom.param @a.q : tensor<32x32xf32>
loom.param @a.k : tensor<16x32xf32>
loom.param @a.o : tensor<32x32xf32>
func.func @attend(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %q = loom.weight @a.q : tensor<32x32xf32>
  %k = loom.weight @a.k : tensor<16x32xf32>
  %o = loom.weight @a.o : tensor<32x32xf32>
  // expected-error @+1 {{--loom-extract-submodel: the sub-model keeps 3 key/value head groups, but this attention has 2}}
  %y = loom.attention %x, %q, %k, %k, %o heads = 4 kv_heads = 2 head_dim = 8 causal : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
