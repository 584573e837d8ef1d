// RUN: loom-opt %s --loom-low-rank="ranks=m.0.w=4,m.1.w=8" | FileCheck %s
// RUN: loom-opt %s --loom-low-rank="ranks=m.0.w=4,m.1.w=4" | FileCheck %s --check-prefix=SAME
// RUN: not loom-opt %s --loom-low-rank="ranks=m.0.w" 2>&1 | FileCheck %s --check-prefix=MALFORMED
// RUN: not loom-opt %s --loom-low-rank="ranks=m.0.w=4,m.2.w=4" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not loom-opt %s --loom-low-rank="ranks=m.0.w=40" 2>&1 | FileCheck %s --check-prefix=ABOVE

// Per-weight ranks (loomc --low-rank-energy): the product of layer 0 is
// factored at rank 4, layer 1's at 8; their block is copied per layer
// first. Equal ranks keep one block. A weight without a rank, with no
// rank or keep either, stays whole.
// CHECK-LABEL: func.func private @layer(
// CHECK:         loom.low_rank %{{.*}} part "a" rank 4
// CHECK-LABEL: func.func private @layer_1(
// CHECK:         loom.low_rank %{{.*}} part "a" rank 8
// CHECK-LABEL: func.func @stack(
// CHECK:         call @layer(
// CHECK:         call @layer_1(
// SAME-NOT:      func.func private @layer_1
// SAME:          loom.low_rank %{{.*}} part "a" rank 4
// MALFORMED: error: --loom-low-rank: bad count 'm.0.w' (expected NAME=N, N at least 1)
// UNKNOWN: error: --loom-low-rank: no selected product has the weight 'm.2.w'
// ABOVE: error: --loom-low-rank: rank 40 is above the smaller side of this product's weight 'tensor<32x32xf32>'

loom.param @m.0.w : tensor<32x32xf32>
loom.param @m.1.w : tensor<32x32xf32>
func.func private @layer(%x: tensor<?x32xf32>, %w: tensor<32x32xf32>) -> tensor<?x32xf32> {
  %y = loom.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @stack(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %w0 = loom.weight @m.0.w : tensor<32x32xf32>
  %w1 = loom.weight @m.1.w : tensor<32x32xf32>
  %y0 = func.call @layer(%x, %w0) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %y1 = func.call @layer(%y0, %w1) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y1 : tensor<?x32xf32>
}
