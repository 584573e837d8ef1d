// RUN: loom-opt %s --convert-loom-to-linalg --split-input-file | FileCheck %s

// Mixing along the sequence (SequencePatterns.cpp): a cumulative sum and a
// causal linear attention are each an scf.for over the rows that adds one
// row to a running state and reads the row's result off it. Without a
// state the sum starts at 0; with one it starts from the state, or from 0
// at position 0, and the last value is written back. Their numbers are
// checked end to end (test/Integration/seed-architectures.test, Flowformer,
// prefill then decode); this checks the structure.

// CHECK-LABEL: func.func @cumsum(
// CHECK-SAME: %[[X:.*]]: tensor<?x4x2xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x2xf32>)
// CHECK: %[[SEQ:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4x2xf32>
// CHECK: %[[R:.*]]:2 = scf.for %[[I:.*]] = %{{.*}} to %[[SEQ]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]], %[[OUT:.*]] = %{{.*}}) -> (tensor<4x2xf32>, tensor<?x4x2xf32>)
// CHECK:   %[[ROW:.*]] = tensor.extract_slice %[[X]][%[[I]], 0, 0] [1, 4, 2] [1, 1, 1] : tensor<?x4x2xf32> to tensor<4x2xf32>
// CHECK:   %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[ROW]] : tensor<4x2xf32>) outs(%[[ACC]] : tensor<4x2xf32>)
// CHECK:     arith.addf
// CHECK:   %[[NEXT:.*]] = tensor.insert_slice %[[SUM]] into %[[OUT]][%[[I]], 0, 0] [1, 4, 2] [1, 1, 1]
// CHECK:   scf.yield %[[SUM]], %[[NEXT]]
// CHECK: return %[[R]]#1
func.func @cumsum(%x: tensor<?x4x2xf32>) -> tensor<?x4x2xf32> {
  %0 = loom.cumsum %x : (tensor<?x4x2xf32>) -> tensor<?x4x2xf32>
  return %0 : tensor<?x4x2xf32>
}

// -----

// With a state: 0 where pos is 0, else the state; the final sum goes back.
// CHECK-LABEL: func.func @cumsum_state(
// CHECK-SAME: %[[X:.*]]: tensor<?x8xf32>, %[[S:.*]]: memref<8xf32>, %[[POS:.*]]: index
// CHECK: %[[CUR:.*]] = bufferization.to_tensor %[[S]] restrict : memref<8xf32> to tensor<8xf32>
// CHECK: %[[FRESH:.*]] = arith.cmpi eq, %[[POS]], %{{.*}} : index
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[CUR]] : tensor<8xf32>)
// CHECK:   arith.select %[[FRESH]]
// CHECK: %[[R:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]], %{{.*}} = %{{.*}})
// CHECK: bufferization.materialize_in_destination %[[R]]#0 in writable %[[S]] : (tensor<8xf32>, memref<8xf32>) -> ()
// CHECK: return %[[R]]#1
func.func @cumsum_state(%x: tensor<?x8xf32>, %s: memref<8xf32>, %pos: index) -> tensor<?x8xf32> {
  %0 = loom.cumsum %x state %s at %pos : (tensor<?x8xf32>, memref<8xf32>, index) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Linear attention, 4 query heads over 2 kv heads of width 2, values 3
// wide: per row, S[g, d, e] += k[g, d] v[g, e], then o[h, e] = 0.5 * sum_d
// q[h, d] S[h floordiv 2, d, e].
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[G:.*]] = affine_map<(d0, d1, d2) -> (d0 floordiv 2, d1, d2)>
// CHECK-LABEL: func.func @linear_attend(
// CHECK: %[[QH:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 4, 2] : tensor<?x8xf32> into tensor<?x4x2xf32>
// CHECK: %[[R:.*]]:2 = scf.for %[[I:.*]] = {{.*}} -> (tensor<2x2x3xf32>, tensor<?x4x3xf32>)
// CHECK:   linalg.generic {indexing_maps = [#[[K]], #[[V]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK:   linalg.generic {indexing_maps = [#[[K]], #[[G]], #[[V]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK:     arith.mulf %{{.*}}, %cst
// CHECK: tensor.collapse_shape %[[R]]#1 {{\[\[}}0], [1, 2]] : tensor<?x4x3xf32> into tensor<?x12xf32>
func.func @linear_attend(%q: tensor<?x8xf32>, %k: tensor<?x4xf32>, %v: tensor<?x6xf32>) -> tensor<?x12xf32> {
  %0 = loom.linear_attend %q, %k, %v heads = 4 kv_heads = 2 head_dim = 2 scale = 0.5 : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x6xf32>) -> tensor<?x12xf32>
  return %0 : tensor<?x12xf32>
}

// -----

// Positions: offset + row index, as floats.
// CHECK-LABEL: func.func @positions(
// CHECK-SAME: %[[IDS:.*]]: tensor<?xi32>, %[[POS:.*]]: index
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x1xf32>)
// CHECK:   %[[ROW:.*]] = linalg.index 0 : index
// CHECK:   %[[P:.*]] = arith.addi %[[POS]], %[[ROW]] : index
// CHECK:   arith.index_castui %[[P]] : index to i64
// CHECK:   arith.uitofp
func.func @positions(%ids: tensor<?xi32>, %pos: index) -> tensor<?x1xf32> {
  %0 = loom.positions %ids offset %pos : tensor<?xi32> -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}
