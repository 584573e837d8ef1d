// RUN: loom-opt %s --loom-fuse-gate-up --split-input-file | FileCheck %s

// A gated MLP becomes one gate-and-up product, loom.glu and the down
// projection.

// CHECK-LABEL: func.func @swiglu(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16xf32>, %[[WG:.*]]: tensor<40x16xf32>, %[[WU:.*]]: tensor<40x16xf32>, %[[WD:.*]]: tensor<16x40xf32>)
// CHECK:         %[[W:.*]] = loom.concat %[[WG]], %[[WU]] axis = 0 : (tensor<40x16xf32>, tensor<40x16xf32>) -> tensor<80x16xf32>
// CHECK:         %[[H:.*]] = loom.linear %[[X]], %[[W]] : (tensor<?x16xf32>, tensor<80x16xf32>) -> tensor<?x80xf32>
// CHECK:         %[[A:.*]] = loom.glu silu %[[H]] : tensor<?x80xf32> -> tensor<?x40xf32>
// CHECK:         %[[Y:.*]] = loom.linear %[[A]], %[[WD]] : (tensor<?x40xf32>, tensor<16x40xf32>) -> tensor<?x16xf32>
// CHECK:         return %[[Y]]
func.func @swiglu(%x: tensor<?x16xf32>, %wg: tensor<40x16xf32>, %wu: tensor<40x16xf32>, %wd: tensor<16x40xf32>) -> tensor<?x16xf32> {
  %0 = loom.gated_mlp silu %x, %wg, %wu, %wd : (tensor<?x16xf32>, tensor<40x16xf32>, tensor<40x16xf32>, tensor<16x40xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Biases go with their projections.
// CHECK-LABEL: func.func @biased(
// CHECK:         %[[B:.*]] = loom.concat %{{.*}}, %{{.*}} axis = 0 : (tensor<40xf32>, tensor<40xf32>) -> tensor<80xf32>
// CHECK:         loom.linear %{{.*}}, %{{.*}}, %[[B]]
// CHECK:         loom.glu gelu
// CHECK:         loom.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x40xf32>, tensor<16x40xf32>, tensor<16xf32>)
func.func @biased(%x: tensor<?x16xf32>, %wg: tensor<40x16xf32>, %wu: tensor<40x16xf32>, %wd: tensor<16x40xf32>, %bg: tensor<40xf32>, %bu: tensor<40xf32>, %bd: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = loom.gated_mlp gelu %x, %wg, %wu, %wd b_gate %bg b_up %bu b_down %bd : (tensor<?x16xf32>, tensor<40x16xf32>, tensor<40x16xf32>, tensor<16x40xf32>, tensor<40xf32>, tensor<40xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Left alone: a bias on the gate only.
// CHECK-LABEL: func.func @half_biased(
// CHECK:         loom.gated_mlp
func.func @half_biased(%x: tensor<?x16xf32>, %wg: tensor<40x16xf32>, %wu: tensor<40x16xf32>, %wd: tensor<16x40xf32>, %bg: tensor<40xf32>) -> tensor<?x16xf32> {
  %0 = loom.gated_mlp silu %x, %wg, %wu, %wd b_gate %bg : (tensor<?x16xf32>, tensor<40x16xf32>, tensor<40x16xf32>, tensor<16x40xf32>, tensor<40xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
