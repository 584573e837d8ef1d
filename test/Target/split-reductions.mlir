// RUN: loom-opt %s --split-input-file --loom-split-reductions="rows=4 ways=16" | FileCheck %s

// The CUDA target's split of row sums of few rows
// (targets/cuda/SplitReductions.cpp): a norm's variance over 64 values, at
// most `rows` rows: 16 partial sums a row over k split as [k / 16, 16],
// the lane innermost, the per-row mean read as it was, then their sum into
// the accumulator; more rows, the sum as it was.

// CHECK: #[[SPLIT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK: #[[PARTIAL:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @variance(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[MEAN:.*]]: tensor<?xf32>, %[[ACC:.*]]: tensor<?xf32>)
// CHECK: %[[R:.*]] = tensor.dim %[[ACC]], %c0
// CHECK: %[[FEW:.*]] = arith.cmpi ule, %[[R]], %c4
// CHECK: scf.if %[[FEW]] -> (tensor<?xf32>) {
// CHECK: %[[XS:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1, 2]] output_shape [%[[R]], 4, 16] : tensor<?x64xf32> into tensor<?x4x16xf32>
// CHECK: %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<?x16xf32>
// CHECK: %[[PARTS:.*]] = linalg.generic {indexing_maps = [#[[SPLIT]], #[[ROW]], #[[PARTIAL]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[XS]], %[[MEAN]] : tensor<?x4x16xf32>, tensor<?xf32>) outs(%[[ZEROS]] : tensor<?x16xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[SUM:.*]] = linalg.generic {{{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[PARTS]] : tensor<?x16xf32>) outs(%[[ACC]] : tensor<?xf32>)
// CHECK: arith.addf
// CHECK: scf.yield %[[SUM]]
// CHECK: } else {
// CHECK: %[[KEPT:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]] : {{.*}}) outs(%[[ACC]] : tensor<?xf32>)
// CHECK: scf.yield %[[KEPT]]
func.func @variance(%x: tensor<?x64xf32>, %mean: tensor<?xf32>, %acc: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>, affine_map<(r, k) -> (r)>], iterator_types = ["parallel", "reduction"]} ins(%x, %mean : tensor<?x64xf32>, tensor<?xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %m: f32, %s: f32):
    %d = arith.subf %a, %m : f32
    %sq = arith.mulf %d, %d : f32
    %t = arith.addf %s, %sq : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// What stays: a maximum (not a sum), a sum whose accumulator is read
// elsewhere in the body, rows of 24 values (16 does not divide them), of
// 16 (fewer than two partial sums' worth), of a dynamic length, a sum that
// reads its indices, and a sum over the rows rather than along them.
// CHECK-LABEL: func.func @kept(
// CHECK-NOT: scf.if
// CHECK-COUNT-7: linalg.generic
// CHECK-NOT: scf.if
func.func @kept(%x: tensor<?x64xf32>, %y: tensor<?x24xf32>, %z: tensor<?x16xf32>, %d: tensor<?x?xf32>, %acc: tensor<?xf32>, %cols: tensor<64xf32>) {
  %max = linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x64xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.maximumf %s, %a : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %reread = linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x64xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %s: f32):
    %p = arith.mulf %a, %s : f32
    %t = arith.addf %s, %p : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %short = linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>], iterator_types = ["parallel", "reduction"]} ins(%y : tensor<?x24xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %s, %a : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %one = linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>], iterator_types = ["parallel", "reduction"]} ins(%z : tensor<?x16xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %s, %a : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %dynamic = linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>], iterator_types = ["parallel", "reduction"]} ins(%d : tensor<?x?xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %s, %a : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %indexed = linalg.generic {indexing_maps = [affine_map<(r, k) -> (r, k)>, affine_map<(r, k) -> (r)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x64xf32>) outs(%acc : tensor<?xf32>) {
  ^bb0(%a: f32, %s: f32):
    %i = linalg.index 1 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    %p = arith.mulf %a, %f : f32
    %t = arith.addf %s, %p : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %columns = linalg.generic {indexing_maps = [affine_map<(k, r) -> (r, k)>, affine_map<(k, r) -> (k)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x64xf32>) outs(%cols : tensor<64xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %s, %a : f32
    linalg.yield %t : f32
  } -> tensor<64xf32>
  return
}
