// RUN: loom-opt %s --loom-fuse-activation --split-input-file | FileCheck %s

// An activation of a product becomes the product's epilogue.

// CHECK-LABEL: func.func @product(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16xf32>, %[[W:.*]]: tensor<40x16xf32>, %[[B:.*]]: tensor<40xf32>)
// CHECK-NEXT:    %[[Y:.*]] = loom.linear %[[X]], %[[W]], %[[B]] activation gelu : (tensor<?x16xf32>, tensor<40x16xf32>, tensor<40xf32>) -> tensor<?x40xf32>
// CHECK-NEXT:    return %[[Y]]
func.func @product(%x: tensor<?x16xf32>, %w: tensor<40x16xf32>, %b: tensor<40xf32>) -> tensor<?x40xf32> {
  %0 = loom.linear %x, %w, %b : (tensor<?x16xf32>, tensor<40x16xf32>, tensor<40xf32>) -> tensor<?x40xf32>
  %1 = loom.activation gelu %0 : tensor<?x40xf32>
  return %1 : tensor<?x40xf32>
}

// -----

// An MLP is split; its up product takes the activation.
// CHECK-LABEL: func.func @mlp(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16xf32>, %[[WU:.*]]: tensor<40x16xf32>, %[[WD:.*]]: tensor<16x40xf32>)
// CHECK-NEXT:    %[[H:.*]] = loom.linear %[[X]], %[[WU]] activation relu : (tensor<?x16xf32>, tensor<40x16xf32>) -> tensor<?x40xf32>
// CHECK-NEXT:    %[[Y:.*]] = loom.linear %[[H]], %[[WD]] : (tensor<?x40xf32>, tensor<16x40xf32>) -> tensor<?x16xf32>
// CHECK-NEXT:    return %[[Y]]
func.func @mlp(%x: tensor<?x16xf32>, %wu: tensor<40x16xf32>, %wd: tensor<16x40xf32>) -> tensor<?x16xf32> {
  %0 = loom.mlp relu %x, %wu, %wd : (tensor<?x16xf32>, tensor<40x16xf32>, tensor<16x40xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Quantized products and products with a residual take it too (applied to
// the whole sum).
// CHECK-LABEL: func.func @quantized_residual(
// CHECK:         loom.linear %{{.*}}, %{{.*}} residual %{{.*}} format q8_0 activation silu
// CHECK-NOT:     loom.activation
func.func @quantized_residual(%x: tensor<?x64xf32>, %q: tensor<16x68xi8>, %r: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = loom.linear %x, %q residual %r format q8_0 : (tensor<?x64xf32>, tensor<16x68xi8>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %1 = loom.activation silu %0 : tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// Left alone: the product has another use (it would read the activated
// values), already has an activation, or is computed outside the loop body
// that activates it; an activation of something other than a product.
// CHECK-LABEL: func.func @left_alone(
// CHECK:         %[[P:.*]] = loom.linear %{{.*}}, %{{.*}} :
// CHECK:         loom.activation silu %[[P]]
// CHECK:         %[[Q:.*]] = loom.linear %{{.*}}, %{{.*}} activation relu
// CHECK:         loom.activation relu %[[Q]]
// CHECK:         %[[R:.*]] = loom.linear %{{.*}}, %{{.*}} :
// CHECK:         loom.loop
// CHECK:           loom.activation gelu %[[R]]
// CHECK:         loom.activation gelu_tanh %{{.*}} : tensor<?x16xf32>
func.func @left_alone(%x: tensor<?x16xf32>, %w: tensor<16x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %0 = loom.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %1 = loom.activation silu %0 : tensor<?x16xf32>
  %2 = loom.linear %x, %w activation relu : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %3 = loom.activation relu %2 : tensor<?x16xf32>
  %4 = loom.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %5 = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x16xf32> {
    %6 = loom.activation gelu %4 : tensor<?x16xf32>
    loom.yield %6 : tensor<?x16xf32>
  }
  %7 = loom.activation gelu_tanh %x : tensor<?x16xf32>
  return %0, %1, %3, %5, %7 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}
