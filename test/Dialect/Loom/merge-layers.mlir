// RUN: loom-opt %s --loom-merge-layers="groups=l.1+l.2" | FileCheck %s
// RUN: loom-opt %s --loom-merge-layers="groups=l.0+l.1+l.2 mode=average" | FileCheck %s --check-prefix=AVERAGE
// RUN: loom-opt %s --loom-merge-layers | FileCheck %s --check-prefix=NONE

// Layers 1 and 2 merge into layer 1 (LaCo: w1 + (w2 + -w1)), layer 2 goes
// and its input is passed on.
// Averaged, three layers' weights are summed in order and scaled.

loom.param @l.0.w : tensor<8x8xf32>
loom.param @l.1.w : tensor<8x8xf32>
loom.param @l.2.w : tensor<8x8xf32>
func.func private @layer(%x: tensor<?x8xf32>, %w: tensor<8x8xf32> {loom.weight = "w"}) -> tensor<?x8xf32> attributes {loom.block} {
  %0 = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x8xf32>)
// CHECK-DAG:     %[[W0:.*]] = loom.weight @l.0.w
// CHECK-DAG:     %[[W1:.*]] = loom.weight @l.1.w
// CHECK:         %[[A:.*]] = call @layer(%[[X]], %[[W0]])
// CHECK:         %[[W2:.*]] = loom.weight @l.2.w
// CHECK:         %[[NEG:.*]] = loom.scale %[[W1]] by -1.000000e+00
// CHECK:         %[[D:.*]] = loom.add %[[W2]], %[[NEG]]
// CHECK:         %[[M:.*]] = loom.add %[[W1]], %[[D]] {loom.derived_name = "l.{1,2}.w.merged"}
// CHECK:         %[[B:.*]] = call @layer(%[[A]], %[[M]])
// CHECK-NEXT:    return %[[B]]
// AVERAGE-LABEL: func.func @forward(
// AVERAGE:         loom.scale %{{.*}} by 0.33333333333333331 {loom.derived_name = "l.{0,1,2}.w.mean"}
// AVERAGE:         call @layer(
// AVERAGE-NOT:     call @layer(
// NONE-COUNT-3:  call @layer(
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {loom.entry} {
  %w0 = loom.weight @l.0.w : tensor<8x8xf32>
  %w1 = loom.weight @l.1.w : tensor<8x8xf32>
  %w2 = loom.weight @l.2.w : tensor<8x8xf32>
  %0 = func.call @layer(%x, %w0) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %1 = func.call @layer(%0, %w1) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %2 = func.call @layer(%1, %w2) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}
