// RUN: loom-opt %s --loom-prune-heads="keep=m.0.o=1,m.1.o=3" | FileCheck %s
// RUN: not loom-opt %s --loom-prune-heads="keep=m.0.o" 2>&1 | FileCheck %s --check-prefix=MALFORMED
// RUN: not loom-opt %s --loom-prune-heads="keep=m.0.q=1" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not loom-opt %s --loom-prune-heads="keep=m.0.o=5" 2>&1 | FileCheck %s --check-prefix=MORE
// RUN: loom-opt %s --loom-prune-heads="count=1" | FileCheck %s --check-prefix=COUNT
// RUN: not loom-opt %s --loom-prune-heads="count=4" 2>&1 | FileCheck %s --check-prefix=NONE-LEFT
// RUN: not loom-opt %s --loom-prune-heads="count=1 ratio=0.5" 2>&1 | FileCheck %s --check-prefix=BOTH

// Per-layer counts (global pruning): layer 0 keeps 1 of its 4 head groups,
// layer 1 keeps 3, layer 2 (no count, ratio 0) all 4. The block is copied
// per layer, each copy with its layer's heads (and so its KV width).
// CHECK-LABEL: func.func private @attend(
// CHECK:         loom.attention {{.*}} heads = 2 kv_heads = 1 head_dim = 4
// CHECK-LABEL: func.func private @attend_1(
// CHECK:         loom.attention {{.*}} heads = 6 kv_heads = 3 head_dim = 4
// CHECK-LABEL: func.func private @attend_2(
// CHECK-NOT:     loom.prune_heads
// CHECK:         loom.attention {{.*}} heads = 8 kv_heads = 4 head_dim = 4
// CHECK-LABEL: func.func @stack(
// CHECK:         call @attend(
// CHECK:         call @attend_1(
// CHECK:         call @attend_2(
// MALFORMED: error: --loom-prune-heads: bad count 'm.0.o' (expected NAME=N, N at least 1)
// UNKNOWN: error: --loom-prune-heads: no attention has the output weight 'm.0.q'
// A count instead of a ratio: one group of each attention goes.
// COUNT-LABEL: func.func private @attend(
// COUNT:         loom.attention {{.*}} heads = 6 kv_heads = 3 head_dim = 4
// COUNT-NOT:     func.func private @attend_1
// NONE-LEFT: error: --loom-prune-heads: removing 4 of its 4 head groups leaves the attention none
// BOTH: error: --loom-prune-heads: give a ratio or a count of head groups, not both
// MORE: error: --loom-prune-heads: a count keeps 5 head groups of an attention of 4

loom.param @m.0.q : tensor<32x32xf32>
loom.param @m.0.k : tensor<16x32xf32>
loom.param @m.0.v : tensor<16x32xf32>
loom.param @m.0.o : tensor<32x32xf32>
loom.param @m.1.q : tensor<32x32xf32>
loom.param @m.1.k : tensor<16x32xf32>
loom.param @m.1.v : tensor<16x32xf32>
loom.param @m.1.o : tensor<32x32xf32>
loom.param @m.2.q : tensor<32x32xf32>
loom.param @m.2.k : tensor<16x32xf32>
loom.param @m.2.v : tensor<16x32xf32>
loom.param @m.2.o : tensor<32x32xf32>
func.func private @attend(%x: tensor<?x32xf32>, %q: tensor<32x32xf32>, %k: tensor<16x32xf32>, %v: tensor<16x32xf32>, %o: tensor<32x32xf32>) -> tensor<?x32xf32> {
  %y = loom.attention %x, %q, %k, %v, %o heads = 8 kv_heads = 4 head_dim = 4 causal : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @stack(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %q0 = loom.weight @m.0.q : tensor<32x32xf32>
  %k0 = loom.weight @m.0.k : tensor<16x32xf32>
  %v0 = loom.weight @m.0.v : tensor<16x32xf32>
  %o0 = loom.weight @m.0.o : tensor<32x32xf32>
  %q1 = loom.weight @m.1.q : tensor<32x32xf32>
  %k1 = loom.weight @m.1.k : tensor<16x32xf32>
  %v1 = loom.weight @m.1.v : tensor<16x32xf32>
  %o1 = loom.weight @m.1.o : tensor<32x32xf32>
  %q2 = loom.weight @m.2.q : tensor<32x32xf32>
  %k2 = loom.weight @m.2.k : tensor<16x32xf32>
  %v2 = loom.weight @m.2.v : tensor<16x32xf32>
  %o2 = loom.weight @m.2.o : tensor<32x32xf32>
  %y0 = func.call @attend(%x, %q0, %k0, %v0, %o0) : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %y1 = func.call @attend(%y0, %q1, %k1, %v1, %o1) : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %y2 = func.call @attend(%y1, %q2, %k2, %v2, %o2) : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y2 : tensor<?x32xf32>
}
