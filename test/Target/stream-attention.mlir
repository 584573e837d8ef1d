// RUN: loom-opt %s --loom-stream-attention --canonicalize --cse | FileCheck %s
// RUN: loom-opt %s --loom-stream-attention="rows=0" | FileCheck %s --check-prefix=ALL

// A chunk of more than 16 rows attends in one pass: a thread per row and
// head (scf.parallel) runs over the keys it may see (scf.for) with a
// running maximum, sum and output, and writes output / sum. Shorter chunks
// keep loom.cached_attention.

// rows=0: every chunk, decode's single rows too.
// ALL-LABEL:   func.func @window(
// ALL:           %[[C0:.*]] = arith.constant 0 : index
// ALL:           arith.cmpi ugt, %{{.*}}, %[[C0]]

// CHECK-LABEL: func.func @window(
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: tensor<?x8xf32>, %[[K:[a-z0-9]+]]: tensor<?x4xf32>, %[[V:[a-z0-9]+]]: tensor<?x4xf32>, %[[KC:[a-z0-9]+]]: memref<2x16x4xf32>, %[[VC:[a-z0-9]+]]: memref<2x16x4xf32>, %[[POS:[a-z0-9]+]]: index, %[[SLOT:[a-z0-9]+]]: index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[SCALE:.*]] = arith.constant 0.707106769 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[SEQ:.*]] = tensor.dim %[[Q]]
// CHECK:         %[[LONG:.*]] = arith.cmpi ugt, %[[SEQ]], %[[C16]]
// CHECK:         scf.if %[[LONG]] -> (tensor<?x8xf32>) {
// The chunk's keys and values go into the caches first.
// CHECK:           memref.subview %[[KC]][%[[SLOT]], %[[POS]], 0]
// CHECK:           bufferization.materialize_in_destination %[[K]]
// CHECK:           memref.subview %[[VC]][%[[SLOT]], %[[POS]], 0]
// CHECK:           bufferization.materialize_in_destination %[[V]]
// CHECK:           %[[OUT:.*]] = memref.alloc(%[[SEQ]]) : memref<?x8xf32>
// CHECK:           scf.parallel (%[[ROW:.*]], %[[HEAD:.*]]) = (%{{.*}}, %{{.*}}) to (%[[SEQ]], %c4)
// Heads 2h and 2h + 1 read kv head h.
// CHECK:             %[[KVH:.*]] = arith.divui %[[HEAD]], %c2
// CHECK:             %[[KVB:.*]] = arith.muli %[[KVH]], %c2
// CHECK:             tensor.extract %[[Q]][%[[ROW]],
// CHECK:             tensor.extract %[[Q]][%[[ROW]],
// Causal, window 3: keys max(0, pos + row - 2) .. pos + row.
// CHECK:             %[[OWN:.*]] = arith.addi %[[POS]], %[[ROW]]
// CHECK:             %[[LAST:.*]] = arith.addi %[[OWN]], %c1
// CHECK:             %[[START:.*]] = arith.addi %[[OWN]], %c-2
// CHECK:             %[[FIRST:.*]] = arith.maxsi %[[START]], %c0
// CHECK:             %[[LOOP:.*]]:4 = scf.for %[[J:.*]] = %[[FIRST]] to %[[LAST]] step %c1 iter_args(%[[M:[a-z0-9]+]] = %[[NEGINF]], %[[L:[a-z0-9]+]] = %[[ZERO]], %[[O0:[a-z0-9]+]] = %[[ZERO]], %{{[a-z0-9]+}} = %[[ZERO]])
// Each key and value row is one vector read.
// CHECK:               %[[KVIEW:.*]] = memref.subview %[[KC]][%[[SLOT]], %[[J]], %[[KVB]]] [1, 1, 2] [1, 1, 1]
// CHECK:               %[[KROW:.*]] = vector.load %[[KVIEW]][%c0] : memref<2xf32, strided<[1], offset: ?>>, vector<2xf32>
// CHECK:               %[[VVIEW:.*]] = memref.subview %[[VC]][%[[SLOT]], %[[J]], %[[KVB]]] [1, 1, 2] [1, 1, 1]
// CHECK:               %[[VROW:.*]] = vector.load %[[VVIEW]][%c0]
// CHECK:               vector.extract %[[KROW]][0]
// CHECK:               vector.extract %[[KROW]][1]
// CHECK:               %[[S:.*]] = arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:               %[[MNEW:.*]] = arith.maximumf %[[M]], %[[S]]
// CHECK:               %[[CDIFF:.*]] = arith.subf %[[M]], %[[MNEW]]
// CHECK:               %[[C:.*]] = math.exp %[[CDIFF]]
// CHECK:               %[[PDIFF:.*]] = arith.subf %[[S]], %[[MNEW]]
// CHECK:               %[[P:.*]] = math.exp %[[PDIFF]]
// CHECK:               %[[LC:.*]] = arith.mulf %[[L]], %[[C]]
// CHECK:               %[[LNEW:.*]] = arith.addf %[[LC]], %[[P]]
// CHECK:               %[[OC:.*]] = arith.mulf %[[O0]], %[[C]]
// CHECK:               %[[V0:.*]] = vector.extract %[[VROW]][0]
// CHECK:               %[[PV:.*]] = arith.mulf %[[P]], %[[V0]]
// CHECK:               %[[ONEW:.*]] = arith.addf %[[OC]], %[[PV]]
// CHECK:               scf.yield %[[MNEW]], %[[LNEW]], %[[ONEW]], %{{.*}} : f32, f32, f32, f32
// CHECK:             %[[R0:.*]] = arith.divf %[[LOOP]]#2, %[[LOOP]]#1
// CHECK:             memref.store %[[R0]], %[[OUT]][%[[ROW]],
// CHECK:             %[[R1:.*]] = arith.divf %[[LOOP]]#3, %[[LOOP]]#1
// CHECK:             memref.store %[[R1]], %[[OUT]][%[[ROW]],
// CHECK:           %[[T:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:           scf.yield %[[T]]
// CHECK:         } else {
// CHECK:           %[[O:.*]] = loom.cached_attention %[[Q]], %[[K]], %[[V]], %[[KC]], %[[VC]], %[[POS]], %[[SLOT]] heads = 4 kv_heads = 2 head_dim = 2 causal window = 3
// CHECK:           scf.yield %[[O]]
func.func @window(%q: tensor<?x8xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<2x16x4xf32>, %vc: memref<2x16x4xf32>, %pos: index, %slot: index) -> tensor<?x8xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 4 kv_heads = 2 head_dim = 2 causal window = 3 : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<2x16x4xf32>, memref<2x16x4xf32>, index, index) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// Not causal: every cached key, 0 .. pos + seq.
// CHECK-LABEL: func.func @encoder(
// CHECK-SAME:    %[[POS:[a-z0-9]+]]: index, %{{[a-z0-9]+}}: index
// CHECK:         scf.if
// CHECK:           %[[LENGTH:.*]] = arith.addi %[[POS]], %{{.*}}
// CHECK:           scf.parallel
// CHECK-NOT:         arith.maxsi
// CHECK:             scf.for %{{.*}} = %c0 to %[[LENGTH]] step %c1
// CHECK:         } else {
// CHECK:           loom.cached_attention
func.func @encoder(%q: tensor<?x4xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<1x64x4xf32>, %vc: memref<1x64x4xf32>, %pos: index, %slot: index) -> tensor<?x4xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 4 : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<1x64x4xf32>, memref<1x64x4xf32>, index, index) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}

// A static chunk of 20 rows: the branch folds to the one pass.
// CHECK-LABEL: func.func @static_rows(
// CHECK-NOT:     scf.if
// CHECK:         memref.alloc() : memref<20x4xf32>
// CHECK:         scf.parallel
// CHECK-NOT:     loom.cached_attention
// CHECK:         return
func.func @static_rows(%q: tensor<20x4xf32>, %k: tensor<20x4xf32>, %v: tensor<20x4xf32>, %kc: memref<1x64x4xf32>, %vc: memref<1x64x4xf32>, %pos: index, %slot: index) -> tensor<20x4xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 4 causal : (tensor<20x4xf32>, tensor<20x4xf32>, tensor<20x4xf32>, memref<1x64x4xf32>, memref<1x64x4xf32>, index, index) -> tensor<20x4xf32>
  return %o : tensor<20x4xf32>
}

// A head of 64 values: two threads a row and head, each computing every
// score and 32 of the outputs (its values at 32 s .. 32 s + 31).
// CHECK-LABEL: func.func @sliced(
// (One head: its dimension of the loop folds away.)
// CHECK:         scf.parallel (%[[ROW:.*]], %[[SLICE:.*]]) = (%c0, %c0) to (%{{.*}}, %c2)
// CHECK:           %[[FROM:.*]] = arith.muli %[[SLICE]], %c32
// CHECK:           scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:             memref.subview %{{.*}}[%{{.*}}, %{{.*}}, 0] [1, 1, 64]
// CHECK:             memref.subview %{{.*}}[%{{.*}}, %{{.*}}, %[[FROM]]] [1, 1, 32]
// CHECK-COUNT-32:  memref.store %{{.*}}, %{{.*}}[%[[ROW]], %{{.*}}] : memref<?x64xf32>
// CHECK-NOT:       memref.store
func.func @sliced(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>, %v: tensor<?x64xf32>, %kc: memref<1x64x64xf32>, %vc: memref<1x64x64xf32>, %pos: index, %slot: index) -> tensor<?x64xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 64 causal : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, memref<1x64x64xf32>, memref<1x64x64xf32>, index, index) -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}

// Heads of more than 64 values do not fit a thread's registers: left alone.
// CHECK-LABEL: func.func @wide_heads(
// CHECK-NOT:     scf.if
// CHECK:         loom.cached_attention
// ALL-LABEL:   func.func @wide_heads(
// ALL-NOT:       scf.if
// ALL:           loom.cached_attention
func.func @wide_heads(%q: tensor<?x128xf32>, %k: tensor<?x128xf32>, %v: tensor<?x128xf32>, %kc: memref<1x64x128xf32>, %vc: memref<1x64x128xf32>, %pos: index, %slot: index) -> tensor<?x128xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 128 causal : (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, memref<1x64x128xf32>, memref<1x64x128xf32>, index, index) -> tensor<?x128xf32>
  return %o : tensor<?x128xf32>
}
