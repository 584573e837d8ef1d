// RUN: loom-opt %s --convert-loom-to-linalg --split-input-file | FileCheck %s

// Each layer becomes linalg on tensors; the numbers are checked end to end
// (test/Integration), this checks the structure.

// CHECK-LABEL: func.func @linear
// CHECK-NOT: loom.
// Bias broadcast into the accumulator, then the contraction.
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @linear(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %y = loom.linear %x, %w, %b : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A weight kept in bf16 (loom.convert) is widened inside the contraction;
// no kernel library takes it.
// CHECK-LABEL: func.func @linear_half_weight
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xbf16>)
// CHECK:   arith.truncf %{{.*}} : f32 to bf16
// CHECK: linalg.generic {indexing_maps = {{.*}}, iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[H]] : tensor<?x8xf32>, tensor<4x8xbf16>)
// CHECK:   %[[WIDE:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK:   arith.mulf %{{.*}}, %[[WIDE]] {{.*}}: f32
func.func @linear_half_weight(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %h = loom.convert %w : tensor<4x8xf32> to tensor<4x8xbf16>
  %y = loom.linear %x, %h : (tensor<?x8xf32>, tensor<4x8xbf16>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A token embedding table kept in bf16: the lookup widens each element it
// gathers.
// CHECK-LABEL: func.func @embedding_half_table
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK:   %[[E:.*]] = tensor.extract %{{.*}} : tensor<16x8xbf16>
// CHECK:   %[[WIDE:.*]] = arith.extf %[[E]] : bf16 to f32
// CHECK:   linalg.yield %[[WIDE]] : f32
func.func @embedding_half_table(%ids: tensor<?xi32>, %t: tensor<16x8xbf16>) -> tensor<?x8xf32> {
  %x = loom.embedding %ids, %t : (tensor<?xi32>, tensor<16x8xbf16>) -> tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}

// -----

// A residual is the accumulator's starting value: the contraction's output
// operand, with no add of its own.
// CHECK-LABEL: func.func @linear_residual(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<4x8xf32>, %[[R:.*]]: tensor<?x4xf32>)
// CHECK-NOT: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]{{.*}}
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[R]] : tensor<?x4xf32>)
// CHECK: return %[[Y]]
func.func @linear_residual(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %r: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = loom.linear %x, %w residual %r : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// With a bias, one loop adds it to the residual to start the accumulator.
// CHECK-LABEL: func.func @linear_bias_residual(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4xf32>, %[[R:.*]]: tensor<?x4xf32>)
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[B]], %[[R]] : tensor<4xf32>, tensor<?x4xf32>)
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} outs(%[[INIT]] : tensor<?x4xf32>)
func.func @linear_bias_residual(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>, %r: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = loom.linear %x, %w, %b residual %r : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// An activation is an elementwise op in place on the contraction's result,
// marked as its epilogue (which the CPU target folds into the kernel call).
// CHECK-LABEL: func.func @linear_activation(
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} outs(%[[P]] : tensor<?x4xf32>) attrs = {loom.epilogue = #loom.activation<silu>}
// CHECK: math.exp
// CHECK: return %[[Y]]
func.func @linear_activation(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %y = loom.linear %x, %w activation silu : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: math.rsqrt
func.func @rms_norm(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = loom.rms_norm %x, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @gelu
// CHECK: linalg.generic
// CHECK: math.erf
func.func @gelu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = loom.activation gelu %x : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A weight-shared loop is emitted once, as an scf.for over the iterations.
// CHECK-LABEL: func.func @loop
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C3]]
// CHECK: scf.yield
// CHECK-NOT: scf.for
func.func @loop(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = loom.loop 3 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %y = loom.scale %h by 5.000000e-01 : tensor<?x8xf32>
    loom.yield %y : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}

// -----

// Attention over the KV cache: append this chunk, read back [0, pos + seq).
// CHECK-LABEL: func.func @cached_attention
// CHECK: memref.subview %{{.*}}[%{{.*}}, %{{.*}}, 0] [1, %{{.*}}, 4] [1, 1, 1]
// CHECK: bufferization.materialize_in_destination
// CHECK: bufferization.materialize_in_destination
// CHECK: bufferization.to_tensor
// CHECK: math.exp
// CHECK: tensor.collapse_shape
func.func @cached_attention(%q: tensor<?x8xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<2x?x4xf32>, %vc: memref<2x?x4xf32>, %pos: index, %slot: index) -> tensor<?x8xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 2 kv_heads = 1 head_dim = 4 causal : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<2x?x4xf32>, memref<2x?x4xf32>, index, index) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
