// RUN: loom-opt %s --loom-prune-ffn="ratio=0.25" --split-input-file | FileCheck %s
// RUN: loom-opt %s --loom-prune-ffn="ratio=0.25 importance=true" --split-input-file | FileCheck %s --check-prefix=AWARE
// RUN: loom-opt %s --loom-prune-ffn="ratio=0" --split-input-file | FileCheck %s --check-prefix=ZERO

// Each feed-forward network keeps 48 - floor(0.25 * 48) = 36 neurons: its
// gate and up weights (and biases) lose rows, its down weight columns, all
// chosen by scores of the original weights. With importance, each call
// passes its layer's calibrated activations (`NAME.importance` of the down
// weight) to the block.

loom.param @l.0.gate : tensor<48x16xf32>
loom.param @l.0.up : tensor<48x16xf32>
loom.param @l.0.down : tensor<16x48xf32>
// CHECK-LABEL: func.func private @layer(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16xf32>, %[[G:.*]]: tensor<48x16xf32>, %[[U:.*]]: tensor<48x16xf32>, %[[D:.*]]: tensor<16x48xf32>)
// CHECK:         %[[G2:.*]] = loom.prune_neurons %[[G]] axis 0 keep 36 scores(%[[U]], %[[D]], %[[G]]) : {{.*}} -> tensor<36x16xf32>
// CHECK:         %[[U2:.*]] = loom.prune_neurons %[[U]] axis 0 keep 36 scores(%[[U]], %[[D]], %[[G]]) : {{.*}} -> tensor<36x16xf32>
// CHECK:         %[[D2:.*]] = loom.prune_neurons %[[D]] axis 1 keep 36 scores(%[[U]], %[[D]], %[[G]]) : {{.*}} -> tensor<16x36xf32>
// CHECK:         loom.gated_mlp silu %[[X]], %[[G2]], %[[U2]], %[[D2]]
// AWARE-LABEL: func.func private @layer(
// AWARE-SAME:    %[[IMP:[a-z0-9]+]]: tensor<48xf32>)
// AWARE:         loom.prune_neurons %{{.*}} axis 0 keep 36 scores(%{{.*}}, %{{.*}}, %{{.*}}) importance %[[IMP]]
// AWARE-LABEL: func.func @forward(
// AWARE:         %[[I:.*]] = loom.weight @l.0.down.importance : tensor<48xf32>
// AWARE:         call @layer(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[I]])
// ZERO-NOT:      loom.prune_neurons
func.func private @layer(%x: tensor<?x16xf32>, %g: tensor<48x16xf32>, %u: tensor<48x16xf32>, %d: tensor<16x48xf32>) -> tensor<?x16xf32> {
  %y = loom.gated_mlp silu %x, %g, %u, %d : (tensor<?x16xf32>, tensor<48x16xf32>, tensor<48x16xf32>, tensor<16x48xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %g = loom.weight @l.0.gate : tensor<48x16xf32>
  %u = loom.weight @l.0.up : tensor<48x16xf32>
  %d = loom.weight @l.0.down : tensor<16x48xf32>
  %y = func.call @layer(%x, %g, %u, %d) : (tensor<?x16xf32>, tensor<48x16xf32>, tensor<48x16xf32>, tensor<16x48xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A plain MLP: the up bias loses entries, the down bias stays. Outside a
// block, the importance is a weight of its own.
loom.param @u : tensor<8x4xf32>
loom.param @d : tensor<4x8xf32>
loom.param @bu : tensor<8xf32>
loom.param @bd : tensor<4xf32>
// CHECK-LABEL: func.func @mlp(
// CHECK:         %[[BU:.*]] = loom.prune_neurons %{{.*}} axis 0 keep 6 scores(%{{.*}}, %{{.*}}) : (tensor<8xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<6xf32>
// CHECK:         loom.mlp gelu %{{.*}}, %{{.*}}, %{{.*}} b_up %[[BU]] b_down %{{.*}} : (tensor<?x4xf32>, tensor<6x4xf32>, tensor<4x6xf32>, tensor<6xf32>, tensor<4xf32>)
// AWARE-LABEL: func.func @mlp(
// AWARE:         %[[I:.*]] = loom.weight @d.importance : tensor<8xf32>
// AWARE:         loom.prune_neurons %{{.*}} importance %[[I]]
func.func @mlp(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %u = loom.weight @u : tensor<8x4xf32>
  %d = loom.weight @d : tensor<4x8xf32>
  %bu = loom.weight @bu : tensor<8xf32>
  %bd = loom.weight @bd : tensor<4xf32>
  %y = loom.mlp gelu %x, %u, %d b_up %bu b_down %bd : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

