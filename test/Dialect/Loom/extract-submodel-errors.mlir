// RUN: loom-opt %s --loom-extract-submodel="ffn=16" --split-input-file --verify-diagnostics
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
