// RUN: loom-opt %s --loom-extract-submodel="ffn=4" --split-input-file | FileCheck %s
// RUN: loom-opt %s --loom-extract-submodel="ffn=8" --split-input-file | FileCheck %s --check-prefix=ALL
// RUN: loom-opt %s --loom-extract-submodel --split-input-file | FileCheck %s --check-prefix=ALL
// RUN: loom-opt %s --loom-extract-submodel="heads=1" --split-input-file | FileCheck %s --check-prefix=HEADS

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

// -----

// heads=1: the first of 2 key/value head groups and its 2 query heads:
// rows [0, 16) of the query weight and bias, [0, 8) of the key and value
// weights, columns [0, 16) of the output weight.
loom.param @a.q : tensor<32x32xf32>
loom.param @a.k : tensor<16x32xf32>
loom.param @a.v : tensor<16x32xf32>
loom.param @a.o : tensor<32x32xf32>
loom.param @a.bq : tensor<32xf32>
// HEADS-LABEL: func.func @attend(
// HEADS-DAG:     %[[Q:.*]] = loom.slice %{{.*}} axis = 0 offset = 0 size = 16 : tensor<32x32xf32> -> tensor<16x32xf32>
// HEADS-DAG:     %[[K:.*]] = loom.slice %{{.*}} axis = 0 offset = 0 size = 8 : tensor<16x32xf32> -> tensor<8x32xf32>
// HEADS-DAG:     %[[O:.*]] = loom.slice %{{.*}} axis = 1 offset = 0 size = 16 : tensor<32x32xf32> -> tensor<32x16xf32>
// HEADS-DAG:     %[[BQ:.*]] = loom.slice %{{.*}} axis = 0 offset = 0 size = 16 : tensor<32xf32> -> tensor<16xf32>
// HEADS:         loom.attention %{{.*}}, %[[Q]], %[[K]], %{{.*}}, %[[O]] bq %[[BQ]] heads = 2 kv_heads = 1 head_dim = 8 causal
func.func @attend(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %q = loom.weight @a.q : tensor<32x32xf32>
  %k = loom.weight @a.k : tensor<16x32xf32>
  %v = loom.weight @a.v : tensor<16x32xf32>
  %o = loom.weight @a.o : tensor<32x32xf32>
  %bq = loom.weight @a.bq : tensor<32xf32>
  %y = loom.attention %x, %q, %k, %v, %o bq %bq heads = 4 kv_heads = 2 head_dim = 8 causal : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
