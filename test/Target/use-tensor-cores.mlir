// RUN: loom-opt %s --split-input-file --loom-use-tensor-cores --canonicalize --cse | FileCheck %s
// RUN: loom-opt %s --split-input-file --loom-use-tensor-cores="warps-m=1 warps-n=1 tile-m=16 tile-n=8" --canonicalize --cse | FileCheck %s --check-prefix=SMALL

// A prompt's projection, x w^T (x: rows x 64, w: 128 x 64), as warp-level
// TF32 matrix products: blocks of 2 x 2 warps, each 32 x 32 outputs (2 x 4
// tiles of 16 x 8) in registers, 16 values of k a step, a lane's 4
// consecutive ones in one aligned 16-byte load.
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#o = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @prompt(
// CHECK-SAME: %[[X:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<128x64xf32>, %[[OUT:.*]]: memref<?x128xf32>)
// CHECK: %[[ROWS:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[ROWS]], %c64
// Rows (any number) on the grid's x, the 2 blocks of columns on its y.
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[BLOCKS]], {{.*}} = %c2, {{.*}} = %c1) threads(%[[T:[^,]*]], {{.*}}) in ({{.*}} = %c128, {{.*}} = %c1, {{.*}} = %c1)
// CHECK: %[[LANE:.*]] = arith.remui %[[T]], %c32
// The accumulators start from `out` (the product adds to it).
// CHECK-COUNT-32: memref.load %[[OUT]]
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c16 iter_args(
// CHECK-COUNT-4: vector.load %[[X]][{{.*}}] {alignment = 16 : i64} : memref<?x64xf32>, vector<4xf32>
// CHECK: nvvm.convert.float.to.tf32 %{{.*}} {rnd = #nvvm.fp_rnd_mode<rna>}
// CHECK-COUNT-4: vector.load %[[W]][{{.*}}] {alignment = 16 : i64} : memref<128x64xf32>, vector<4xf32>
// CHECK-COUNT-16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: scf.yield
// Each output inside the rows stored once (128 columns: no column edge):
// a guard for each of the lane's 4 rows, over its 8 outputs in them.
// CHECK: arith.cmpi ult, %{{.*}}, %[[ROWS]]
// CHECK-NOT: arith.andi
// CHECK-COUNT-8: memref.store %{{.*}}, %[[OUT]]
// CHECK: arith.cmpi ult, %{{.*}}, %[[ROWS]]
// CHECK-NOT: arith.andi
// CHECK-COUNT-8: memref.store %{{.*}}, %[[OUT]]
// CHECK: arith.cmpi ult, %{{.*}}, %[[ROWS]]
// CHECK-NOT: arith.andi
// CHECK-COUNT-8: memref.store %{{.*}}, %[[OUT]]
// CHECK: arith.cmpi ult, %{{.*}}, %[[ROWS]]
// CHECK-NOT: arith.andi
// CHECK-COUNT-8: memref.store %{{.*}}, %[[OUT]]
// CHECK-NOT: linalg.generic
// CHECK: gpu.terminator
func.func @prompt(%x: memref<?x64xf32>, %w: memref<128x64xf32>, %out: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x64xf32>, memref<128x64xf32>) outs(%out : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A weight kept in bf16: a lane's 4 values of k in one 8-byte load, each
// widened to f32 (exact in TF32) before the products.
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#o = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @half_weight(
// CHECK-SAME: %[[X:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<128x64xbf16>, %[[OUT:.*]]: memref<?x128xf32>)
// CHECK: scf.for
// CHECK: %[[V:.*]] = vector.load %[[W]][{{.*}}] {alignment = 8 : i64} : memref<128x64xbf16>, vector<4xbf16>
// CHECK: %[[E:.*]] = vector.extract %[[V]][0] : bf16 from vector<4xbf16>
// CHECK: %[[F:.*]] = arith.extf %[[E]] : bf16 to f32
// CHECK: nvvm.convert.float.to.tf32 %[[F]]
// CHECK-COUNT-16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled}
// CHECK-NOT: linalg.generic
// CHECK: gpu.terminator
func.func @half_weight(%x: memref<?x64xf32>, %w: memref<128x64xbf16>, %out: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x64xf32>, memref<128x64xbf16>) outs(%out : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: bf16, %c: f32):
    %e = arith.extf %b : bf16 to f32
    %p = arith.mulf %a, %e : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The edges: 97 columns (clamped loads, stores guarded by column too), k =
// 20 (one step of 16, then 4 values zeroed past k's end), and an x whose
// rows are a view (strided: loads one value at a time). One warp of one
// 16 x 8 tile a block here.
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#o = affine_map<(m, n, k) -> (m, n)>
// SMALL-LABEL: func.func @edges(
// SMALL-SAME: %[[X:.*]]: memref<?x20xf32, strided<[40, 1], offset: ?>>, %[[W:.*]]: memref<97x20xf32>, %[[OUT:.*]]: memref<?x97xf32>)
// SMALL: %[[ROWS:.*]] = memref.dim %[[X]], %c0
// SMALL: %[[BLOCKS:.*]] = arith.ceildivui %[[ROWS]], %c16
// SMALL: gpu.launch blocks({{.*}}) in ({{.*}} = %[[BLOCKS]], {{.*}} = %c13, {{.*}} = %c1) threads({{.*}}) in ({{.*}} = %c32, {{.*}} = %c1, {{.*}} = %c1)
// The row this lane loads, clamped to the last (its outputs are not stored).
// SMALL: %[[LAST:.*]] = arith.subi %[[ROWS]], %c1
// SMALL: %[[ROW:.*]] = arith.addi
// SMALL: %[[CLAMPED:.*]] = arith.minui %[[ROW]], %[[LAST]]
// SMALL: %[[COLUMN:.*]] = arith.minui %{{.*}}, %c96
// SMALL: memref.load %[[X]][%[[CLAMPED]], %{{.*}}] : memref<?x20xf32, strided<[40, 1], offset: ?>>
// SMALL: vector.load %[[W]][%[[COLUMN]], %{{.*}}] {alignment = 16 : i64} : memref<97x20xf32>, vector<4xf32>
// SMALL-COUNT-2: nvgpu.mma.sync
// The last 4 values of k, and 12 past its end, zero.
// SMALL: %[[K:.*]] = arith.addi %{{.*}}, %c16
// SMALL: %[[KCLAMPED:.*]] = arith.minui %[[K]], %c19
// SMALL: %[[V:.*]] = memref.load %[[X]][%[[CLAMPED]], %[[KCLAMPED]]]
// SMALL: %[[INSIDE:.*]] = arith.cmpi ult, %[[K]], %c20
// SMALL: arith.select %[[INSIDE]], %[[V]], %cst
// SMALL: memref.load %[[W]][%[[COLUMN]], %[[KCLAMPED]]]
// SMALL-COUNT-2: nvgpu.mma.sync
// SMALL: %[[ROWINSIDE:.*]] = arith.cmpi ult, %[[ROW]], %[[ROWS]]
// SMALL: %[[COLINSIDE:.*]] = arith.cmpi ult, %{{.*}}, %c97
// SMALL: %[[BOTH:.*]] = arith.andi %[[ROWINSIDE]], %[[COLINSIDE]]
// SMALL: scf.if %[[BOTH]]
// SMALL: memref.store %{{.*}}, %[[OUT]][%[[ROW]], %{{.*}}]
func.func @edges(%x: memref<?x20xf32, strided<[40, 1], offset: ?>>, %w: memref<97x20xf32>, %out: memref<?x97xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x20xf32, strided<[40, 1], offset: ?>>, memref<97x20xf32>) outs(%out : memref<?x97xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A weight that holds an output a column, w[k, n] (GPT-2's Conv1D): its
// values of k are a row apart, loaded one at a time (a group's lanes read
// 8 consecutive columns of a row).
#x = affine_map<(m, n, k) -> (m, k)>
#wt = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @columns(
// CHECK-SAME: %[[X:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<64x128xf32>, %[[OUT:.*]]: memref<?x128xf32>)
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK-COUNT-4: vector.load %[[X]]
// CHECK-NOT: vector.load
// CHECK-COUNT-16: memref.load %[[W]][%{{.*}}, %{{.*}}] : memref<64x128xf32>
// CHECK-COUNT-16: nvgpu.mma.sync
func.func @columns(%x: memref<?x64xf32>, %w: memref<64x128xf32>, %out: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#x, #wt, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x64xf32>, memref<64x128xf32>) outs(%out : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// What stays: a product in `prepare` (derived weights, computed on the
// host), a product of another form (x transposed), and one on tensors.
#x = affine_map<(m, n, k) -> (m, k)>
#xt = affine_map<(m, n, k) -> (k, m)>
#w = affine_map<(m, n, k) -> (n, k)>
#o = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @prepare(
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @prepare(%x: memref<?x64xf32>, %w: memref<128x64xf32>, %out: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<?x64xf32>, memref<128x64xf32>) outs(%out : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @x_transposed(
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @x_transposed(%x: memref<64x?xf32>, %w: memref<128x64xf32>, %out: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#xt, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<64x?xf32>, memref<128x64xf32>) outs(%out : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @on_tensors(
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @on_tensors(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %out: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %r = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x64xf32>, tensor<128x64xf32>) outs(%out : tensor<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}
