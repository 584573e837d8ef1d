// RUN: loom-opt %s --loom-extract-submodel="ffn=4" --split-input-file | FileCheck %s
// RUN: loom-opt %s --loom-extract-submodel="ffn=8" --split-input-file | FileCheck %s --check-prefix=ALL
// RUN: loom-opt %s --loom-extract-submodel --split-input-file | FileCheck %s --check-prefix=ALL

// The first 4 of 8 neurons: rows of the gate and up weights and biases,
// columns of the down weight, as views of the original weights. All of a
// network's neurons, or no setting, change nothing.

loom.param @l.g : tensor<8x4xf32>
loom.param @l.u : tensor<8x4xf32>
loom.param @l.d : tensor<4x8xf32>
loom.param @l.bu : tensor<8xf32>
// CHECK-LABEL: func.func @gated(
// CHECK-DAG:     %[[G:.*]] = loom.weight @l.g
// CHECK-DAG:     %[[U:.*]] = loom.weight @l.u
// CHECK-DAG:     %[[D:.*]] = loom.weight @l.d
// CHECK:         %[[G4:.*]] = loom.slice %[[G]] axis = 0 offset = 0 size = 4 : tensor<8x4xf32> -> tensor<4x4xf32>
// CHECK:         %[[U4:.*]] = loom.slice %[[U]] axis = 0 offset = 0 size = 4
// CHECK:         %[[D4:.*]] = loom.slice %[[D]] axis = 1 offset = 0 size = 4 : tensor<4x8xf32> -> tensor<4x4xf32>
// CHECK:         loom.gated_mlp silu %{{.*}}, %[[G4]], %[[U4]], %[[D4]] :
// ALL-LABEL: func.func @gated(
// ALL-NOT:     loom.slice
func.func @gated(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %g = loom.weight @l.g : tensor<8x4xf32>
  %u = loom.weight @l.u : tensor<8x4xf32>
  %d = loom.weight @l.d : tensor<4x8xf32>
  %y = loom.gated_mlp silu %x, %g, %u, %d : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @plain(
// CHECK:         %[[B4:.*]] = loom.slice %{{.*}} axis = 0 offset = 0 size = 4 : tensor<8xf32> -> tensor<4xf32>
// CHECK:         loom.mlp gelu %{{.*}}, %{{.*}}, %{{.*}} b_up %[[B4]] :
func.func @plain(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %u = loom.weight @l.u : tensor<8x4xf32>
  %d = loom.weight @l.d : tensor<4x8xf32>
  %b = loom.weight @l.bu : tensor<8xf32>
  %y = loom.mlp gelu %x, %u, %d b_up %b : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
