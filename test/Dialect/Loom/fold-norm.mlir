// RUN: loom-opt %s --loom-fold-norm --split-input-file | FileCheck %s

// An RMSNorm read only by products: its scale goes into their weights.

// CHECK-LABEL: func.func @folded(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[W1:.*]]: tensor<16x8xf32>, %[[W2:.*]]: tensor<4x8xf32>)
// CHECK:         %[[N:.*]] = loom.rms_norm %[[X]] eps = 1.000000e-05 : tensor<?x8xf32>
// CHECK:         %[[S1:.*]] = loom.mul %[[W1]], %[[G]] : tensor<16x8xf32>, tensor<8xf32>
// CHECK:         loom.linear %[[N]], %[[S1]]
// CHECK:         %[[S2:.*]] = loom.mul %[[W2]], %[[G]] : tensor<4x8xf32>, tensor<8xf32>
// CHECK:         loom.linear %[[N]], %[[S2]]
func.func @folded(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %w1: tensor<16x8xf32>, %w2: tensor<4x8xf32>) -> (tensor<?x16xf32>, tensor<?x4xf32>) {
  %n = loom.rms_norm %x, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %a = loom.linear %n, %w1 : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %b = loom.linear %n, %w2 : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %a, %b : tensor<?x16xf32>, tensor<?x4xf32>
}

// -----

// Left alone: a norm read by something else too (a residual), and a product
// whose weight is also an embedding table (tied).

loom.param @table : tensor<50x8xf32>

// CHECK-LABEL: func.func @kept(
// CHECK:         loom.rms_norm %{{.*}}, %{{.*}} eps
// CHECK:         loom.rms_norm %{{.*}}, %{{.*}} eps
// CHECK-NOT:     loom.mul
func.func @kept(%ids: tensor<?xi32>, %g: tensor<8xf32>, %w: tensor<8x8xf32>) -> (tensor<?x8xf32>, tensor<?x50xf32>) {
  %t = loom.weight @table : tensor<50x8xf32>
  %x = loom.embedding %ids, %t : (tensor<?xi32>, tensor<50x8xf32>) -> tensor<?x8xf32>
  %n = loom.rms_norm %x, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %a = loom.linear %n, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %r = loom.add %n, %a : tensor<?x8xf32>, tensor<?x8xf32>
  %m = loom.rms_norm %r, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %head = loom.weight @table : tensor<50x8xf32>
  %logits = loom.linear %m, %head : (tensor<?x8xf32>, tensor<50x8xf32>) -> tensor<?x50xf32>
  return %r, %logits : tensor<?x8xf32>, tensor<?x50xf32>
}

// -----

// A product that reads the norm both as its input and as its residual: the
// residual needs the scaled norm, so the scale stays.
// CHECK-LABEL: func.func @own_residual(
// CHECK:         loom.rms_norm %{{.*}}, %{{.*}} eps
// CHECK-NOT:     loom.mul
func.func @own_residual(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %n = loom.rms_norm %x, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %y = loom.linear %n, %w residual %n : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A norm whose product sits in a loop's body (another block): left alone.
// CHECK-LABEL: func.func @in_loop(
// CHECK:         loom.rms_norm %{{.*}}, %{{.*}} eps
// CHECK-NOT:     loom.mul
func.func @in_loop(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %n = loom.rms_norm %x, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %r = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %y = loom.linear %n, %w residual %h : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
    loom.yield %y : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}
