// RUN: loom-opt %s --loom-fuse-residual --split-input-file | FileCheck %s

// A residual add of a product becomes the product's starting value.

// CHECK-LABEL: func.func @attention_out(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16xf32>, %[[A:.*]]: tensor<?x16xf32>, %[[W:.*]]: tensor<16x16xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK-NEXT:    %[[Y:.*]] = loom.linear %[[A]], %[[W]], %[[B]] residual %[[X]] : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
// CHECK-NEXT:    return %[[Y]]
func.func @attention_out(%x: tensor<?x16xf32>, %a: tensor<?x16xf32>, %w: tensor<16x16xf32>, %b: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = loom.linear %a, %w, %b : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %1 = loom.add %x, %0 : tensor<?x16xf32>, tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// The product may be either operand.
// CHECK-LABEL: func.func @product_first(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16xf32>, %[[A:.*]]: tensor<?x16xf32>, %[[W:.*]]: tensor<16x16xf32>)
// CHECK-NEXT:    loom.linear %[[A]], %[[W]] residual %[[X]]
// CHECK-NOT:     loom.add
func.func @product_first(%x: tensor<?x16xf32>, %a: tensor<?x16xf32>, %w: tensor<16x16xf32>) -> tensor<?x16xf32> {
  %0 = loom.linear %a, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %1 = loom.add %0, %x : tensor<?x16xf32>, tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// An MLP is split so that its down projection takes the residual.
// CHECK-LABEL: func.func @mlp(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16xf32>, %[[WU:.*]]: tensor<40x16xf32>, %[[WD:.*]]: tensor<16x40xf32>, %[[BU:.*]]: tensor<40xf32>, %[[BD:.*]]: tensor<16xf32>)
// CHECK-NEXT:    %[[H:.*]] = loom.linear %[[X]], %[[WU]], %[[BU]] : (tensor<?x16xf32>, tensor<40x16xf32>, tensor<40xf32>) -> tensor<?x40xf32>
// CHECK-NEXT:    %[[G:.*]] = loom.activation gelu_tanh %[[H]] : tensor<?x40xf32>
// CHECK-NEXT:    %[[Y:.*]] = loom.linear %[[G]], %[[WD]], %[[BD]] residual %[[X]]
// CHECK-NEXT:    return %[[Y]]
func.func @mlp(%x: tensor<?x16xf32>, %wu: tensor<40x16xf32>, %wd: tensor<16x40xf32>, %bu: tensor<40xf32>, %bd: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = loom.mlp gelu_tanh %x, %wu, %wd b_up %bu b_down %bd : (tensor<?x16xf32>, tensor<40x16xf32>, tensor<16x40xf32>, tensor<40xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %1 = loom.add %x, %0 : tensor<?x16xf32>, tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// Left alone: the product has another use (it would be computed twice).
// CHECK-LABEL: func.func @shared_product(
// CHECK:         %[[P:.*]] = loom.linear
// CHECK-NOT:     residual
// CHECK:         loom.add %{{.*}}, %[[P]]
func.func @shared_product(%x: tensor<?x16xf32>, %a: tensor<?x16xf32>, %w: tensor<16x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %0 = loom.linear %a, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %1 = loom.add %x, %0 : tensor<?x16xf32>, tensor<?x16xf32>
  return %1, %0 : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Left alone: a broadcast rank-1 addend is a bias, not a residual.
// CHECK-LABEL: func.func @broadcast(
// CHECK:         loom.linear %{{.*}}, %{{.*}} :
// CHECK:         loom.add
func.func @broadcast(%a: tensor<?x16xf32>, %w: tensor<16x16xf32>, %v: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = loom.linear %a, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %1 = loom.add %0, %v : tensor<?x16xf32>, tensor<16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// Left alone: a product that already has a residual, and a product computed
// outside the loop body that adds it (it would be recomputed per iteration).
// CHECK-LABEL: func.func @already_and_outside(
// CHECK:         %[[P:.*]] = loom.linear %{{.*}}, %{{.*}} residual
// CHECK:         loom.add %{{.*}}, %[[P]]
// CHECK:         %[[Q:.*]] = loom.linear %{{.*}}, %{{.*}} :
// CHECK:         loom.loop
// CHECK:           loom.add %{{.*}}, %[[Q]]
func.func @already_and_outside(%x: tensor<?x16xf32>, %a: tensor<?x16xf32>, %w: tensor<16x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %0 = loom.linear %a, %w residual %x : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %1 = loom.add %x, %0 : tensor<?x16xf32>, tensor<?x16xf32>
  %2 = loom.linear %a, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %3 = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x16xf32> {
    %4 = loom.add %h, %2 : tensor<?x16xf32>, tensor<?x16xf32>
    loom.yield %4 : tensor<?x16xf32>
  }
  return %1, %3 : tensor<?x16xf32>, tensor<?x16xf32>
}
