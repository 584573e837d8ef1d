// RUN: loom-opt %s --loom-low-rank="rank=8" --split-input-file | FileCheck %s
// RUN: loom-opt %s --loom-low-rank="keep=0.25" --split-input-file | FileCheck %s --check-prefix=KEEP
// RUN: loom-opt %s --loom-low-rank="rank=8 layers=attention" --split-input-file | FileCheck %s --check-prefix=ATTN
// RUN: loom-opt %s --loom-low-rank="rank=8 exclude=down" --split-input-file | FileCheck %s --check-prefix=EXCL
// RUN: loom-opt %s --loom-low-rank="rank=8 layers=ffn" --split-input-file | FileCheck %s --check-prefix=FFN
// RUN: loom-opt %s --loom-low-rank="rank=8" --loom-derive-weights --split-input-file | FileCheck %s --check-prefix=DERIVED
// RUN: loom-opt %s --loom-low-rank --split-input-file | FileCheck %s --check-prefix=NONE
// RUN: loom-opt %s --loom-low-rank="rank=8 importance=true" --split-input-file | FileCheck %s --check-prefix=IMP

// A product x w^T becomes (x a^T) b^T, a and b the factors of w; the second
// product keeps the bias and the residual. keep=0.25 of a 64x48 weight is
// rank floor(0.25 * 64 * 48 / 112) = 6. Without rank or keep, nothing.

loom.param @p.w : tensor<64x48xf32>
loom.param @p.b : tensor<64xf32>
// CHECK-LABEL: func.func @product(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x48xf32>, %[[R:[a-z0-9]+]]: tensor<?x64xf32>)
// CHECK:         %[[W:.*]] = loom.weight @p.w
// CHECK:         %[[B:.*]] = loom.weight @p.b
// CHECK:         %[[FA:.*]] = loom.low_rank %[[W]] part "a" rank 8 : (tensor<64x48xf32>) -> tensor<8x48xf32>
// CHECK:         %[[FB:.*]] = loom.low_rank %[[W]] part "b" rank 8 : (tensor<64x48xf32>) -> tensor<64x8xf32>
// CHECK:         %[[T:.*]] = loom.linear %[[X]], %[[FA]] : (tensor<?x48xf32>, tensor<8x48xf32>) -> tensor<?x8xf32>
// CHECK:         loom.linear %[[T]], %[[FB]], %[[B]] residual %[[R]] : (tensor<?x8xf32>, tensor<64x8xf32>, tensor<64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
// KEEP-LABEL: func.func @product(
// KEEP:         loom.low_rank %{{.*}} part "a" rank 6
// DERIVED:    loom.param @p.w.rank8.a : tensor<8x48xf32> init {
// DERIVED:    loom.param @p.w.rank8.b : tensor<64x8xf32> init {
// DERIVED-LABEL: func.func @product(
// DERIVED-NOT:   loom.low_rank
// DERIVED:       return
// IMP-LABEL: func.func @product(
// IMP:         %[[I:.*]] = loom.weight @p.w.importance : tensor<48xf32>
// IMP:         loom.low_rank %{{.*}} importance %[[I]] part "a" rank 8
// IMP:         loom.low_rank %{{.*}} importance %[[I]] part "b" rank 8
// IMP-LABEL: func.func @stack(
// IMP-DAG:     loom.weight @l.0.down.importance : tensor<64xf32>
// IMP-DAG:     loom.weight @l.1.down.importance : tensor<64xf32>
// NONE-LABEL: func.func @product(
// NONE-NOT:     loom.low_rank
func.func @product(%x: tensor<?x48xf32>, %r: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = loom.weight @p.w : tensor<64x48xf32>
  %b = loom.weight @p.b : tensor<64xf32>
  %y = loom.linear %x, %w, %b residual %r : (tensor<?x48xf32>, tensor<64x48xf32>, tensor<64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Factors no smaller than the weight (8 * (16 + 16) >= 16 * 16): left alone.

loom.param @s.w : tensor<16x16xf32>
// CHECK-LABEL: func.func @small(
// CHECK-NOT:     loom.low_rank
func.func @small(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %w = loom.weight @s.w : tensor<16x16xf32>
  %y = loom.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A block's layers: the attention and the gated MLP become products, each
// factored on its own; layers=attention leaves the MLP whole, and an
// excluded name leaves its product alone (the others still split). Each
// call gets its own derived factors.

loom.param @l.0.q : tensor<32x32xf32>
loom.param @l.0.k : tensor<32x32xf32>
loom.param @l.0.v : tensor<32x32xf32>
loom.param @l.0.o : tensor<32x32xf32>
loom.param @l.0.gate : tensor<64x32xf32>
loom.param @l.0.up : tensor<64x32xf32>
loom.param @l.0.down : tensor<32x64xf32>
loom.param @l.1.q : tensor<32x32xf32>
loom.param @l.1.k : tensor<32x32xf32>
loom.param @l.1.v : tensor<32x32xf32>
loom.param @l.1.o : tensor<32x32xf32>
loom.param @l.1.gate : tensor<64x32xf32>
loom.param @l.1.up : tensor<64x32xf32>
loom.param @l.1.down : tensor<32x64xf32>
// CHECK-LABEL: func.func private @layer(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x32xf32>, %[[Q:[a-z0-9]+]]: tensor<32x32xf32>, %[[K:[a-z0-9]+]]: tensor<32x32xf32>, %[[V:[a-z0-9]+]]: tensor<32x32xf32>, %[[O:[a-z0-9]+]]: tensor<32x32xf32>, %[[G:[a-z0-9]+]]: tensor<64x32xf32>, %[[U:[a-z0-9]+]]: tensor<64x32xf32>, %[[D:[a-z0-9]+]]: tensor<32x64xf32>)
// CHECK-NOT:     loom.attention
// CHECK-NOT:     loom.gated_mlp
// CHECK-DAG:     loom.low_rank %[[Q]] part "a" rank 8
// CHECK-DAG:     loom.low_rank %[[K]] part "a" rank 8
// CHECK-DAG:     loom.low_rank %[[V]] part "a" rank 8
// CHECK-DAG:     loom.low_rank %[[O]] part "a" rank 8
// CHECK-DAG:     loom.low_rank %[[G]] part "a" rank 8
// CHECK-DAG:     loom.low_rank %[[U]] part "a" rank 8
// CHECK-DAG:     loom.low_rank %[[D]] part "a" rank 8
// CHECK-DAG:     loom.attend
// CHECK-DAG:     loom.activation silu
// CHECK-DAG:     loom.mul
// CHECK:         return
// ATTN-LABEL: func.func private @layer(
// ATTN-NOT:     loom.attention
// ATTN-COUNT-4: loom.low_rank %{{.*}} part "b"
// ATTN-NOT:     loom.low_rank
// ATTN:         loom.gated_mlp silu
// FFN-LABEL: func.func private @layer(
// FFN-SAME:    %[[G:[a-z0-9]+]]: tensor<64x32xf32>, %[[U:[a-z0-9]+]]: tensor<64x32xf32>, %[[D:[a-z0-9]+]]: tensor<32x64xf32>)
// FFN:         loom.attention
// FFN-DAG:     loom.low_rank %[[G]] part "a"
// FFN-DAG:     loom.low_rank %[[U]] part "a"
// FFN-DAG:     loom.low_rank %[[D]] part "a"
// FFN:         return
// EXCL-LABEL: func.func private @layer(
// EXCL-SAME:    %[[D:[a-z0-9]+]]: tensor<32x64xf32>)
// EXCL-NOT:     loom.low_rank %[[D]]
// EXCL:         loom.linear %{{.*}}, %[[D]] :
// EXCL-NOT:     loom.low_rank %[[D]]
// EXCL:         return
// DERIVED-LABEL: func.func @stack(
// DERIVED-DAG:   loom.weight @l.0.down.rank8.b
// DERIVED-DAG:   loom.weight @l.1.down.rank8.b
func.func private @layer(%x: tensor<?x32xf32>, %q: tensor<32x32xf32>, %k: tensor<32x32xf32>, %v: tensor<32x32xf32>, %o: tensor<32x32xf32>, %g: tensor<64x32xf32>, %u: tensor<64x32xf32>, %d: tensor<32x64xf32>) -> tensor<?x32xf32> {
  %a = loom.attention %x, %q, %k, %v, %o heads = 4 kv_heads = 4 head_dim = 8 causal : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %y = loom.gated_mlp silu %a, %g, %u, %d : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @stack(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %q0 = loom.weight @l.0.q : tensor<32x32xf32>
  %k0 = loom.weight @l.0.k : tensor<32x32xf32>
  %v0 = loom.weight @l.0.v : tensor<32x32xf32>
  %o0 = loom.weight @l.0.o : tensor<32x32xf32>
  %g0 = loom.weight @l.0.gate : tensor<64x32xf32>
  %u0 = loom.weight @l.0.up : tensor<64x32xf32>
  %d0 = loom.weight @l.0.down : tensor<32x64xf32>
  %q1 = loom.weight @l.1.q : tensor<32x32xf32>
  %k1 = loom.weight @l.1.k : tensor<32x32xf32>
  %v1 = loom.weight @l.1.v : tensor<32x32xf32>
  %o1 = loom.weight @l.1.o : tensor<32x32xf32>
  %g1 = loom.weight @l.1.gate : tensor<64x32xf32>
  %u1 = loom.weight @l.1.up : tensor<64x32xf32>
  %d1 = loom.weight @l.1.down : tensor<32x64xf32>
  %0 = func.call @layer(%x, %q0, %k0, %v0, %o0, %g0, %u0, %d0) : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %1 = func.call @layer(%0, %q1, %k1, %v1, %o1, %g1, %u1, %d1) : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  return %1 : tensor<?x32xf32>
}
