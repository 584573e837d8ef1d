// RUN: loom-opt %s --loom-stream-attention --canonicalize --cse | FileCheck %s
// RUN: loom-opt %s --loom-stream-attention="rows=0" | FileCheck %s --check-prefix=ALL

// A chunk of more than 16 rows attends in one pass: a thread per row and
// head (scf.parallel) runs over the keys it may see (scf.for) with a
// running maximum, sum and output, and writes output / sum. Shorter chunks
// (decode) split the keys into runs of 32 and merge the runs.

// rows=0: every chunk in one pass, decode's single rows too.
// ALL-LABEL:   func.func @window(
// ALL-NOT:       scf.if
// ALL:           scf.parallel
// ALL-NOT:       scf.parallel
// ALL:           return

// CHECK-LABEL: func.func @window(
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: tensor<?x8xf32>, %[[K:[a-z0-9]+]]: tensor<?x4xf32>, %[[V:[a-z0-9]+]]: tensor<?x4xf32>, %[[KC:[a-z0-9]+]]: memref<2x16x4xf32>, %[[VC:[a-z0-9]+]]: memref<2x16x4xf32>, %[[POS:[a-z0-9]+]]: index, %[[SLOT:[a-z0-9]+]]: index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[SCALE:.*]] = arith.constant 0.707106769 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// The chunk's keys and values go into the caches first.
// CHECK:         memref.subview %[[KC]][%[[SLOT]], %[[POS]], 0]
// CHECK:         bufferization.materialize_in_destination %[[K]]
// CHECK:         memref.subview %[[VC]][%[[SLOT]], %[[POS]], 0]
// CHECK:         bufferization.materialize_in_destination %[[V]]
// CHECK:         %[[SEQ:.*]] = tensor.dim %[[Q]]
// CHECK:         %[[LENGTH:.*]] = arith.addi %[[POS]], %[[SEQ]]
// CHECK:         %[[OUT:.*]] = memref.alloc(%[[SEQ]]) : memref<?x8xf32>
// CHECK:         %[[LONG:.*]] = arith.cmpi ugt, %[[SEQ]], %[[C16]]
// CHECK:         scf.if %[[LONG]] {
// CHECK:           scf.parallel (%[[ROW:.*]], %[[HEAD:.*]]) = (%{{.*}}, %{{.*}}) to (%[[SEQ]], %c4)
// Causal, window 3: keys max(0, pos + row - 2) .. pos + row.
// CHECK:             %[[OWN:.*]] = arith.addi %[[POS]], %[[ROW]]
// CHECK:             %[[LAST:.*]] = arith.addi %[[OWN]], %c1
// CHECK:             %[[START:.*]] = arith.addi %[[OWN]], %c-2
// CHECK:             %[[FIRST:.*]] = arith.maxsi %[[START]], %c0
// Heads 2h and 2h + 1 read kv head h.
// CHECK:             %[[KVH:.*]] = arith.divui %[[HEAD]], %c2
// CHECK:             %[[KVB:.*]] = arith.muli %[[KVH]], %c2
// CHECK:             tensor.extract %[[Q]][%[[ROW]],
// CHECK:             tensor.extract %[[Q]][%[[ROW]],
// CHECK:             %[[LOOP:.*]]:4 = scf.for %[[J:.*]] = %[[FIRST]] to %[[LAST]] step %c1 iter_args(%[[M:[a-z0-9]+]] = %[[NEGINF]], %[[L:[a-z0-9]+]] = %[[ZERO]], %[[O0:[a-z0-9]+]] = %[[ZERO]], %{{[a-z0-9]+}} = %[[ZERO]])
// Each key and value row is one vector read.
// CHECK:               %[[KVIEW:.*]] = memref.subview %[[KC]][%[[SLOT]], %[[J]], %[[KVB]]] [1, 1, 2] [1, 1, 1]
// CHECK:               %[[KROW:.*]] = vector.load %[[KVIEW]][%c0] {alignment = 8 : i64} : memref<2xf32, strided<[1], offset: ?>>, vector<2xf32>
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
// A short chunk: the keys in runs of 32, ceil(length / 32) of them, a
// thread a row, head and run, each storing its run's maximum, sum and
// outputs.
// CHECK:         } else {
// CHECK:           %[[ROUND:.*]] = arith.addi %[[LENGTH]], %c31
// CHECK:           %[[RUNS:.*]] = arith.divui %[[ROUND]], %c32
// CHECK:           %[[MAXIMA:.*]] = memref.alloc(%[[SEQ]], %[[RUNS]]) : memref<?x?x4xf32>
// CHECK:           %[[SUMS:.*]] = memref.alloc(%[[SEQ]], %[[RUNS]]) : memref<?x?x4xf32>
// CHECK:           %[[OUTPUTS:.*]] = memref.alloc(%[[SEQ]], %[[RUNS]]) : memref<?x?x8xf32>
// CHECK:           scf.parallel (%[[ROW:.*]], %[[HEAD:.*]], %[[SPAN:.*]]) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%[[SEQ]], %c4, %[[RUNS]])
// The run's keys: its 32, within those the row sees.
// CHECK:             %[[OWN:.*]] = arith.addi %[[POS]], %[[ROW]]
// CHECK:             %[[LAST:.*]] = arith.addi %[[OWN]], %c1
// CHECK:             %[[START:.*]] = arith.addi %[[OWN]], %c-2
// CHECK:             %[[FIRST:.*]] = arith.maxsi %[[START]], %c0
// CHECK:             %[[RUNFIRST:.*]] = arith.muli %[[SPAN]], %c32
// CHECK:             %[[FROM:.*]] = arith.maxsi %[[FIRST]], %[[RUNFIRST]]
// CHECK:             %[[RUNEND:.*]] = arith.addi %[[RUNFIRST]], %c32
// CHECK:             %[[TO:.*]] = arith.minsi %[[LAST]], %[[RUNEND]]
// CHECK:             %[[PART:.*]]:4 = scf.for %{{.*}} = %[[FROM]] to %[[TO]] step %c1 iter_args(%{{.*}} = %[[NEGINF]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]])
// CHECK:             memref.store %[[PART]]#2, %[[OUTPUTS]][%[[ROW]], %[[SPAN]],
// CHECK:             memref.store %[[PART]]#3, %[[OUTPUTS]][%[[ROW]], %[[SPAN]],
// CHECK:             memref.store %[[PART]]#0, %[[MAXIMA]][%[[ROW]], %[[SPAN]], %[[HEAD]]]
// CHECK:             memref.store %[[PART]]#1, %[[SUMS]][%[[ROW]], %[[SPAN]], %[[HEAD]]]
// Then a thread an output merges the runs: their maximum M, then
// sum_r l_r exp(m_r - M) and sum_r o_r exp(m_r - M).
// CHECK:           scf.parallel (%[[ROW:.*]], %[[COLUMN:.*]]) = (%{{.*}}, %{{.*}}) to (%[[SEQ]], %c8)
// CHECK:             %[[OF:.*]] = arith.divui %[[COLUMN]], %c2
// CHECK:             %[[MAX:.*]] = scf.for %[[R:.*]] = %c0 to %[[RUNS]] step %c1 iter_args(%[[ACC:.*]] = %[[NEGINF]]) -> (f32) {
// CHECK:               %[[MR:.*]] = memref.load %[[MAXIMA]][%[[ROW]], %[[R]], %[[OF]]]
// CHECK:               %[[MMAX:.*]] = arith.maximumf %[[ACC]], %[[MR]]
// CHECK:               scf.yield %[[MMAX]]
// CHECK:             %[[MERGED:.*]]:2 = scf.for %[[R:.*]] = %c0 to %[[RUNS]] step %c1 iter_args(%[[LT:.*]] = %[[ZERO]], %[[OT:.*]] = %[[ZERO]]) -> (f32, f32) {
// CHECK:               %[[MR:.*]] = memref.load %[[MAXIMA]][%[[ROW]], %[[R]], %[[OF]]]
// CHECK:               %[[SHIFT:.*]] = arith.subf %[[MR]], %[[MAX]]
// CHECK:               %[[W:.*]] = math.exp %[[SHIFT]]
// CHECK:               %[[LR:.*]] = memref.load %[[SUMS]][%[[ROW]], %[[R]], %[[OF]]]
// CHECK:               %[[OR:.*]] = memref.load %[[OUTPUTS]][%[[ROW]], %[[R]], %[[COLUMN]]]
// CHECK:               %[[LW:.*]] = arith.mulf %[[LR]], %[[W]]
// CHECK:               %[[LNEXT:.*]] = arith.addf %[[LT]], %[[LW]]
// CHECK:               %[[OW:.*]] = arith.mulf %[[OR]], %[[W]]
// CHECK:               %[[ONEXT:.*]] = arith.addf %[[OT]], %[[OW]]
// CHECK:               scf.yield %[[LNEXT]], %[[ONEXT]]
// CHECK:             %[[RESULT:.*]] = arith.divf %[[MERGED]]#1, %[[MERGED]]#0
// CHECK:             memref.store %[[RESULT]], %[[OUT]][%[[ROW]], %[[COLUMN]]]
// CHECK:         %[[T:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:         return %[[T]]
func.func @window(%q: tensor<?x8xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<2x16x4xf32>, %vc: memref<2x16x4xf32>, %pos: index, %slot: index) -> tensor<?x8xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 4 kv_heads = 2 head_dim = 2 causal window = 3 : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<2x16x4xf32>, memref<2x16x4xf32>, index, index) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// Not causal: every cached key, 0 .. pos + seq, in one pass or in runs.
// CHECK-LABEL: func.func @encoder(
// CHECK-SAME:    %[[POS:[a-z0-9]+]]: index, %{{[a-z0-9]+}}: index
// CHECK:         %[[LENGTH:.*]] = arith.addi %[[POS]], %{{.*}}
// CHECK:         scf.if
// CHECK:           scf.parallel
// CHECK-NOT:         arith.maxsi
// CHECK:             scf.for %{{.*}} = %c0 to %[[LENGTH]] step %c1
// CHECK:         } else {
// CHECK:           scf.parallel
// CHECK:             %[[RUNFIRST:.*]] = arith.muli %{{.*}}, %c32
// CHECK:             %[[RUNEND:.*]] = arith.addi %[[RUNFIRST]], %c32
// CHECK:             %[[TO:.*]] = arith.minsi %[[LENGTH]], %[[RUNEND]]
// CHECK:             scf.for %{{.*}} = %{{.*}} to %[[TO]] step %c1
// CHECK-NOT:     loom.cached_attention
func.func @encoder(%q: tensor<?x4xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<1x64x4xf32>, %vc: memref<1x64x4xf32>, %pos: index, %slot: index) -> tensor<?x4xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 4 : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<1x64x4xf32>, memref<1x64x4xf32>, index, index) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}

// A static chunk of 20 rows: the branch folds to the one pass.
// CHECK-LABEL: func.func @static_rows(
// CHECK:         memref.alloc() : memref<20x4xf32>
// CHECK-NOT:     scf.if
// CHECK:         scf.parallel
// CHECK-NOT:     memref.alloc
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
// CHECK:         } else {
// In runs, the first slice alone stores the head's maximum and sum.
// CHECK:           scf.parallel (%[[ROW:.*]], %[[SLICE:.*]], %[[SPAN:.*]]) = (%c0, %c0, %c0) to (%{{.*}}, %c2, %{{.*}})
// CHECK-COUNT-32:    memref.store %{{.*}}, %{{.*}}[%[[ROW]], %[[SPAN]], %{{.*}}] : memref<?x?x64xf32>
// CHECK:             %[[FIRSTSLICE:.*]] = arith.cmpi eq, %[[SLICE]], %c0
// CHECK:             scf.if %[[FIRSTSLICE]] {
// CHECK:               memref.store %{{.*}}, %{{.*}}[%[[ROW]], %[[SPAN]], %c0] : memref<?x?x1xf32>
// CHECK:               memref.store %{{.*}}, %{{.*}}[%[[ROW]], %[[SPAN]], %c0] : memref<?x?x1xf32>
func.func @sliced(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>, %v: tensor<?x64xf32>, %kc: memref<1x64x64xf32>, %vc: memref<1x64x64xf32>, %pos: index, %slot: index) -> tensor<?x64xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 64 causal : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, memref<1x64x64xf32>, memref<1x64x64xf32>, index, index) -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}

// A head of 48 values: slices of 24, the largest divisor of 48 up to 32.
// CHECK-LABEL: func.func @slices_of_24(
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%{{.*}}, %c2)
// CHECK-COUNT-24:  memref.store %{{.*}} : memref<?x48xf32>
// CHECK-NOT:       memref.store
// CHECK:         } else {
func.func @slices_of_24(%q: tensor<?x48xf32>, %k: tensor<?x48xf32>, %v: tensor<?x48xf32>, %kc: memref<1x64x48xf32>, %vc: memref<1x64x48xf32>, %pos: index, %slot: index) -> tensor<?x48xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 48 causal : (tensor<?x48xf32>, tensor<?x48xf32>, tensor<?x48xf32>, memref<1x64x48xf32>, memref<1x64x48xf32>, index, index) -> tensor<?x48xf32>
  return %o : tensor<?x48xf32>
}

// A cache whose rows are not contiguous cannot be read a row at a time
// (vector.load): left to the generic lowering.
// CHECK-LABEL: func.func @strided_cache(
// CHECK-NOT:     scf.if
// CHECK:         loom.cached_attention
func.func @strided_cache(%q: tensor<?x4xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<1x64x4xf32, strided<[512, 8, 2]>>, %vc: memref<1x64x4xf32>, %pos: index, %slot: index) -> tensor<?x4xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 4 causal : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<1x64x4xf32, strided<[512, 8, 2]>>, memref<1x64x4xf32>, index, index) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}

// A head of 128 values: its query does not fit a thread's registers beside
// a key's row, so each thread reads both a chunk of 32 values at a time, the
// query from a dense buffer; 4 slices of 32 outputs.
// CHECK-LABEL: func.func @wide_heads(
// CHECK:         %[[Q:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x128xf32> to memref<?x128xf32>
// CHECK:         scf.if
// CHECK:         scf.parallel (%[[ROW:.*]], %{{.*}}) = (%c0, %c0) to (%{{.*}}, %c4)
// CHECK:           scf.for
// CHECK:             vector.load %{{.*}} {alignment = 16 : i64} : memref<32xf32, strided<[1], offset: ?>>, vector<32xf32>
// CHECK:             vector.load %[[Q]][%[[ROW]], %c0] {alignment = 16 : i64} : memref<?x128xf32>, vector<32xf32>
// CHECK:             vector.load %[[Q]][%[[ROW]], %c32]
// CHECK:             vector.load %[[Q]][%[[ROW]], %c64]
// CHECK:             vector.load %[[Q]][%[[ROW]], %c96]
// CHECK:         } else {
// CHECK-NOT:     loom.cached_attention
func.func @wide_heads(%q: tensor<?x128xf32>, %k: tensor<?x128xf32>, %v: tensor<?x128xf32>, %kc: memref<1x64x128xf32>, %vc: memref<1x64x128xf32>, %pos: index, %slot: index) -> tensor<?x128xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 128 causal : (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, memref<1x64x128xf32>, memref<1x64x128xf32>, index, index) -> tensor<?x128xf32>
  return %o : tensor<?x128xf32>
}

// Heads of more than 128 values keep the generic lowering.
// CHECK-LABEL: func.func @wider_heads(
// CHECK-NOT:     scf.if
// CHECK:         loom.cached_attention
// ALL-LABEL:   func.func @wider_heads(
// ALL-NOT:       scf.if
// ALL:           loom.cached_attention
func.func @wider_heads(%q: tensor<?x256xf32>, %k: tensor<?x256xf32>, %v: tensor<?x256xf32>, %kc: memref<1x64x256xf32>, %vc: memref<1x64x256xf32>, %pos: index, %slot: index) -> tensor<?x256xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 1 kv_heads = 1 head_dim = 256 causal : (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, memref<1x64x256xf32>, memref<1x64x256xf32>, index, index) -> tensor<?x256xf32>
  return %o : tensor<?x256xf32>
}

// A cache slot of the runtime's (a view at a dynamic offset): nothing is
// known of its rows' alignment, so they are read without a hint...
// CHECK-LABEL: func.func @unknown_rows(
// CHECK:         scf.for
// CHECK:           vector.load %{{.*}}[%c0] : memref<4xf32, strided<[1], offset: ?>>, vector<4xf32>
func.func @unknown_rows(%q: tensor<?x8xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>, %vc: memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>, %pos: index, %slot: index) -> tensor<?x8xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 2 kv_heads = 1 head_dim = 4 causal : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>, memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>, index, index) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// ...unless the op states that its rows start at multiples of 4 values
// (row_alignment, as the runtime binding does): 16-byte reads.
// CHECK-LABEL: func.func @aligned_rows(
// CHECK:         scf.for
// CHECK:           vector.load %{{.*}}[%c0] {alignment = 16 : i64} : memref<4xf32, strided<[1], offset: ?>>, vector<4xf32>
func.func @aligned_rows(%q: tensor<?x8xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>, %vc: memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>, %pos: index, %slot: index) -> tensor<?x8xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 2 kv_heads = 1 head_dim = 4 causal row_alignment = 4 : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>, memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>, index, index) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
