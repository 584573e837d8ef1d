// RUN: loom-opt %s --loom-prune-ffn="ratio=0.25 keep=m.0.down=8,m.2.down=16" | FileCheck %s

// Per-layer counts (LayerCounts.h, global pruning), through
// --loom-prune-ffn: layers 0 and 2 keep 8 and 16 neurons by name, layer 1
// follows the ratio (48 - 12 = 36). Their block is copied
// per layer first, each copy pruned to its layer's width.
loom.param @m.0.gate : tensor<48x16xf32>
loom.param @m.0.up : tensor<48x16xf32>
loom.param @m.0.down : tensor<16x48xf32>
loom.param @m.1.gate : tensor<48x16xf32>
loom.param @m.1.up : tensor<48x16xf32>
loom.param @m.1.down : tensor<16x48xf32>
loom.param @m.2.gate : tensor<48x16xf32>
loom.param @m.2.up : tensor<48x16xf32>
loom.param @m.2.down : tensor<16x48xf32>
// CHECK-LABEL: func.func private @ffn(
// CHECK:         loom.gated_mlp {{.*}}tensor<8x16xf32>
// CHECK-LABEL: func.func private @ffn_1(
// CHECK:         loom.gated_mlp {{.*}}tensor<36x16xf32>
// CHECK-LABEL: func.func private @ffn_2(
// CHECK:         loom.gated_mlp {{.*}}tensor<16x16xf32>
// CHECK-LABEL: func.func @stack(
// CHECK:         call @ffn(
// CHECK:         call @ffn_1(
// CHECK:         call @ffn_2(
func.func private @ffn(%x: tensor<?x16xf32>, %g: tensor<48x16xf32>, %u: tensor<48x16xf32>, %d: tensor<16x48xf32>) -> tensor<?x16xf32> {
  %y = loom.gated_mlp silu %x, %g, %u, %d : (tensor<?x16xf32>, tensor<48x16xf32>, tensor<48x16xf32>, tensor<16x48xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @stack(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %g0 = loom.weight @m.0.gate : tensor<48x16xf32>
  %u0 = loom.weight @m.0.up : tensor<48x16xf32>
  %d0 = loom.weight @m.0.down : tensor<16x48xf32>
  %g1 = loom.weight @m.1.gate : tensor<48x16xf32>
  %u1 = loom.weight @m.1.up : tensor<48x16xf32>
  %d1 = loom.weight @m.1.down : tensor<16x48xf32>
  %g2 = loom.weight @m.2.gate : tensor<48x16xf32>
  %u2 = loom.weight @m.2.up : tensor<48x16xf32>
  %d2 = loom.weight @m.2.down : tensor<16x48xf32>
  %y0 = func.call @ffn(%x, %g0, %u0, %d0) : (tensor<?x16xf32>, tensor<48x16xf32>, tensor<48x16xf32>, tensor<16x48xf32>) -> tensor<?x16xf32>
  %y1 = func.call @ffn(%y0, %g1, %u1, %d1) : (tensor<?x16xf32>, tensor<48x16xf32>, tensor<48x16xf32>, tensor<16x48xf32>) -> tensor<?x16xf32>
  %y2 = func.call @ffn(%y1, %g2, %u2, %d2) : (tensor<?x16xf32>, tensor<48x16xf32>, tensor<48x16xf32>, tensor<16x48xf32>) -> tensor<?x16xf32>
  return %y2 : tensor<?x16xf32>
}
