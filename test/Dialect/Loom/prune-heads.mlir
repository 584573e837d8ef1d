// RUN: loom-opt %s --loom-prune-heads="ratio=0.5" | FileCheck %s
// RUN: loom-opt %s --loom-prune-heads="ratio=0.5 importance=true" | FileCheck %s --check-prefix=AWARE
// RUN: loom-opt %s --loom-prune-heads="ratio=0" | FileCheck %s --check-prefix=ZERO

// 4 query heads of 8 in 2 groups (2 key/value heads): half the groups go,
// so 2 query heads and 1 key/value head stay. The query weight and bias
// keep 16 rows, the key and value weights 8, the output weight 16 columns,
// all chosen from the original weights; the output bias stays.

loom.param @l.0.q : tensor<32x32xf32>
loom.param @l.0.k : tensor<16x32xf32>
loom.param @l.0.v : tensor<16x32xf32>
loom.param @l.0.o : tensor<32x32xf32>
loom.param @l.0.bq : tensor<32xf32>
loom.param @l.0.bo : tensor<32xf32>
// CHECK-LABEL: func.func private @layer(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x32xf32>, %[[Q:[a-z0-9]+]]: tensor<32x32xf32>, %[[K:[a-z0-9]+]]: tensor<16x32xf32>, %[[V:[a-z0-9]+]]: tensor<16x32xf32>, %[[O:[a-z0-9]+]]: tensor<32x32xf32>, %[[BQ:[a-z0-9]+]]: tensor<32xf32>, %[[BO:[a-z0-9]+]]: tensor<32xf32>)
// CHECK:         %[[Q2:.*]] = loom.prune_heads %[[Q]] part "q" keep 1 heads = 4 kv_heads = 2 head_dim = 8 scores(%[[Q]], %[[K]], %[[V]], %[[O]]) : {{.*}} -> tensor<16x32xf32>
// CHECK:         %[[K2:.*]] = loom.prune_heads %[[K]] part "kv" keep 1 {{.*}} -> tensor<8x32xf32>
// CHECK:         %[[V2:.*]] = loom.prune_heads %[[V]] part "kv" keep 1 {{.*}} -> tensor<8x32xf32>
// CHECK:         %[[O2:.*]] = loom.prune_heads %[[O]] part "o" keep 1 {{.*}} -> tensor<32x16xf32>
// CHECK:         %[[BQ2:.*]] = loom.prune_heads %[[BQ]] part "q" keep 1 {{.*}} -> tensor<16xf32>
// CHECK:         loom.attention %[[X]], %[[Q2]], %[[K2]], %[[V2]], %[[O2]] bq %[[BQ2]] bo %[[BO]] heads = 2 kv_heads = 1 head_dim = 8 causal
// AWARE-LABEL: func.func private @layer(
// AWARE-SAME:    %[[IMP:[a-z0-9]+]]: tensor<32xf32>)
// AWARE:         loom.prune_heads {{.*}} importance %[[IMP]]
// AWARE-LABEL: func.func @forward(
// AWARE:         loom.weight @l.0.o.importance : tensor<32xf32>
// ZERO-NOT:      loom.prune_heads
func.func private @layer(%x: tensor<?x32xf32>, %q: tensor<32x32xf32>, %k: tensor<16x32xf32>, %v: tensor<16x32xf32>, %o: tensor<32x32xf32>, %bq: tensor<32xf32>, %bo: tensor<32xf32>) -> tensor<?x32xf32> {
  %y = loom.attention %x, %q, %k, %v, %o bq %bq bo %bo heads = 4 kv_heads = 2 head_dim = 8 causal : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %q = loom.weight @l.0.q : tensor<32x32xf32>
  %k = loom.weight @l.0.k : tensor<16x32xf32>
  %v = loom.weight @l.0.v : tensor<16x32xf32>
  %o = loom.weight @l.0.o : tensor<32x32xf32>
  %bq = loom.weight @l.0.bq : tensor<32xf32>
  %bo = loom.weight @l.0.bo : tensor<32xf32>
  %y = func.call @layer(%x, %q, %k, %v, %o, %bq, %bo) : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
