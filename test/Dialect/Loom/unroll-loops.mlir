// RUN: loom-opt %s --loom-unroll-loops --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @unroll
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[G:.*]]: tensor<8xf32>)
// CHECK-NOT: loom.loop
// CHECK: %[[N0:.*]] = loom.rms_norm %[[X]], %[[G]]
// CHECK: %[[A0:.*]] = loom.add %[[X]], %[[N0]]
// CHECK: %[[N1:.*]] = loom.rms_norm %[[A0]], %[[G]]
// CHECK: %[[A1:.*]] = loom.add %[[A0]], %[[N1]]
// CHECK: %[[N2:.*]] = loom.rms_norm %[[A1]], %[[G]]
// CHECK: %[[A2:.*]] = loom.add %[[A1]], %[[N2]]
// CHECK-NOT: loom.rms_norm
// CHECK: return %[[A2]]
func.func @unroll(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = loom.loop 3 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %n = loom.rms_norm %h, %g eps = 1.0e-5 : tensor<?x8xf32>, tensor<8xf32>
    %a = loom.add %h, %n : tensor<?x8xf32>, tensor<?x8xf32>
    loom.yield %a : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// The iteration index becomes a constant per copy; several carried values
// are threaded through (here they swap every iteration).
// CHECK-LABEL: func.func @index_and_swap
// CHECK-SAME: (%[[A:.*]]: tensor<?x8xf32>, %[[B:.*]]: tensor<?x8xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[S0:.*]] = call @step(%[[C0]], %[[A]])
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[S1:.*]] = call @step(%[[C1]], %[[B]])
// CHECK: return %[[S0]], %[[S1]]
func.func private @step(index, tensor<?x8xf32>) -> tensor<?x8xf32>
func.func @index_and_swap(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %r:2 = loom.loop 2 times(%i) iter_args(%p = %a, %q = %b) : tensor<?x8xf32>, tensor<?x8xf32> {
    %s = func.call @step(%i, %p) : (index, tensor<?x8xf32>) -> tensor<?x8xf32>
    loom.yield %q, %s : tensor<?x8xf32>, tensor<?x8xf32>
  }
  return %r#0, %r#1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Nested loops unroll inside out: 2 x 2 copies of the innermost body.
// CHECK-LABEL: func.func @nested
// CHECK-NOT: loom.loop
// CHECK-COUNT-4: loom.scale
// CHECK-NOT: loom.scale
// CHECK: return
func.func @nested(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %1 = loom.loop 2 times(%j) iter_args(%k = %h) : tensor<?x8xf32> {
      %s = loom.scale %k by 0.5 : tensor<?x8xf32>
      loom.yield %s : tensor<?x8xf32>
    }
    loom.yield %1 : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// Weight-shared block: every copy calls the same function with the same
// weights.
loom.param @w : tensor<8x8xf32>
func.func private @block(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @shared
// CHECK: %[[W:.*]] = loom.weight @w
// CHECK: %[[Y0:.*]] = call @block(%{{.*}}, %[[W]])
// CHECK: %[[Y1:.*]] = call @block(%[[Y0]], %[[W]])
// CHECK: return %[[Y1]]
func.func @shared(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %y = func.call @block(%h, %w) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    loom.yield %y : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// A loop that tokens may leave early stays a loop: its depth is decided
// per token at run time.
// CHECK-LABEL: func.func @adaptive
// CHECK: loom.loop 3 times(%{{.*}}) iter_args(%{{.*}} = %{{.*}}) exit converge threshold = 1.000000e-01
func.func @adaptive(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = loom.loop 3 times(%i) iter_args(%h = %x) exit converge threshold = 0.1 : tensor<?x8xf32> {
    %n = loom.rms_norm %h, %g eps = 1.0e-5 : tensor<?x8xf32>, tensor<8xf32>
    loom.yield %n : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}
