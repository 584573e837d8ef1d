// RUN: loom-opt %s --loom-drop-layers="layers=m.layers.1,m.layers.3" | FileCheck %s
// RUN: loom-opt %s --loom-drop-layers | FileCheck %s --check-prefix=NONE
// RUN: loom-opt %s --loom-drop-layers="count=2 scores=m.layers.0=0.5,m.layers.1=0.01,m.layers.2=0.3,m.layers.3=0.02" | FileCheck %s
// RUN: loom-opt %s --loom-drop-layers="count=1 scores=m.layers.0=0.5,m.layers.1=0.25,m.layers.2=0.5,m.layers.3=0.25" | FileCheck %s --check-prefix=TIE

// With a count, the layers of least block influence go (here 1 and 3, the
// same as naming them); of equal scores, the later layer.
// TIE-LABEL: func.func @forward
// TIE: call @Block(%{{.*}}, %{{.*}}, %{{.*}})
// TIE: call @Block
// TIE: call @Block
// TIE-NOT: call @Block
// TIE-NOT: loom.param @m.layers.3.

// Layers are named by their weights' checkpoint names without the names the
// block gives them. A removed layer's output is its input; its params go,
// the others stay as they are.

// CHECK-NOT: loom.param @m.layers.1.
// CHECK-NOT: loom.param @m.layers.3.
// CHECK-DAG: loom.param @m.layers.0.norm.weight
// CHECK-DAG: loom.param @m.layers.2.norm.weight
// CHECK-DAG: loom.param @m.head.weight
// CHECK-LABEL: func.func @forward
// CHECK: %[[L0:.*]] = call @Block(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK: %[[L2:.*]] = call @Block(%[[L0]], %{{.*}}, %{{.*}})
// CHECK-NOT: call @Block
// CHECK: loom.linear %[[L2]]

// NONE-COUNT-4: call @Block

loom.param @m.layers.0.norm.weight : tensor<8xf32>
loom.param @m.layers.0.mlp.weight : tensor<8x8xf32>
loom.param @m.layers.1.norm.weight : tensor<8xf32>
loom.param @m.layers.1.mlp.weight : tensor<8x8xf32>
loom.param @m.layers.2.norm.weight : tensor<8xf32>
loom.param @m.layers.2.mlp.weight : tensor<8x8xf32>
loom.param @m.layers.3.norm.weight : tensor<8xf32>
loom.param @m.layers.3.mlp.weight : tensor<8x8xf32>
loom.param @m.head.weight : tensor<5x8xf32>
func.func private @Block(%x: tensor<?x8xf32>,
                         %n: tensor<8xf32> {loom.weight = "norm.weight"},
                         %w: tensor<8x8xf32> {loom.weight = "mlp.weight"})
    -> tensor<?x8xf32> attributes {loom.block} {
  %h = loom.rms_norm %x, %n eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %y = loom.linear %h, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %r = loom.add %x, %y : tensor<?x8xf32>, tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x5xf32> attributes {loom.entry} {
  %n0 = loom.weight @m.layers.0.norm.weight : tensor<8xf32>
  %w0 = loom.weight @m.layers.0.mlp.weight : tensor<8x8xf32>
  %n1 = loom.weight @m.layers.1.norm.weight : tensor<8xf32>
  %w1 = loom.weight @m.layers.1.mlp.weight : tensor<8x8xf32>
  %n2 = loom.weight @m.layers.2.norm.weight : tensor<8xf32>
  %w2 = loom.weight @m.layers.2.mlp.weight : tensor<8x8xf32>
  %n3 = loom.weight @m.layers.3.norm.weight : tensor<8xf32>
  %w3 = loom.weight @m.layers.3.mlp.weight : tensor<8x8xf32>
  %h0 = call @Block(%x, %n0, %w0) : (tensor<?x8xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %h1 = call @Block(%h0, %n1, %w1) : (tensor<?x8xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %h2 = call @Block(%h1, %n2, %w2) : (tensor<?x8xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %h3 = call @Block(%h2, %n3, %w3) : (tensor<?x8xf32>, tensor<8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %wh = loom.weight @m.head.weight : tensor<5x8xf32>
  %y = loom.linear %h3, %wh : (tensor<?x8xf32>, tensor<5x8xf32>) -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}
