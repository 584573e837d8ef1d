// RUN: loom-opt %s --split-input-file --loom-split-products="rows=4 ways=32" | FileCheck %s

// The CUDA target's split of products of few rows
// (targets/cuda/SplitProducts.cpp): at most `rows` rows, 32 partial sums an
// output over k split as [k / 32, 32], the lane innermost, then their sum
// into the accumulator; more rows, the product as it was.

// CHECK-LABEL: func.func @product(
// CHECK-SAME: %[[X:.*]]: tensor<?x128xf32>, %[[W:.*]]: tensor<96x128xf32>, %[[ACC:.*]]: tensor<?x96xf32>)
// CHECK: %[[M:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[FEW:.*]] = arith.cmpi ule, %[[M]], %c4
// CHECK: scf.if %[[FEW]] -> (tensor<?x96xf32>) {
// CHECK: %[[XS:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1, 2]] output_shape [%[[M]], 4, 32] : tensor<?x128xf32> into tensor<?x4x32xf32>
// CHECK: %[[WS:.*]] = tensor.expand_shape %[[W]] {{\[\[}}0], [1, 2]] output_shape [96, 4, 32] : tensor<96x128xf32> into tensor<96x4x32xf32>
// CHECK: %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<?x96x32xf32>
// CHECK: %[[PARTIAL:.*]] = linalg.generic {{{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[XS]], %[[WS]] : {{.*}}) outs(%[[ZEROS]] : tensor<?x96x32xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[SUM:.*]] = linalg.generic {{{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[PARTIAL]] : tensor<?x96x32xf32>) outs(%[[ACC]] : tensor<?x96xf32>)
// CHECK: scf.yield %[[SUM]]
// CHECK: } else {
// CHECK: %[[KEPT:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[ACC]] : tensor<?x96xf32>)
// CHECK: scf.yield %[[KEPT]]
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#o = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @product(%x: tensor<?x128xf32>, %w: tensor<96x128xf32>, %acc: tensor<?x96xf32>) -> tensor<?x96xf32> {
  %r = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x128xf32>, tensor<96x128xf32>) outs(%acc : tensor<?x96xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x96xf32>
  return %r : tensor<?x96xf32>
}

// -----

// A weight kept in bf16: the partial sums widen it as they read it.
// CHECK-LABEL: func.func @half_weight(
// CHECK: scf.if
// CHECK: tensor.expand_shape %{{.*}} : tensor<96x128xbf16> into tensor<96x4x32xbf16>
// CHECK: linalg.generic {{{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x4x32xf32>, tensor<96x4x32xbf16>)
// CHECK: %[[WIDE:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.mulf %{{.*}}, %[[WIDE]] : f32
#xh = affine_map<(d0, d1, d2) -> (d0, d2)>
#wh = affine_map<(d0, d1, d2) -> (d1, d2)>
#oh = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @half_weight(%x: tensor<?x128xf32>, %w: tensor<96x128xbf16>, %acc: tensor<?x96xf32>) -> tensor<?x96xf32> {
  %r = linalg.generic {indexing_maps = [#xh, #wh, #oh], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x128xf32>, tensor<96x128xbf16>) outs(%acc : tensor<?x96xf32>) {
  ^bb0(%a: f32, %b: bf16, %c: f32):
    %e = arith.extf %b : bf16 to f32
    %p = arith.mulf %a, %e : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x96xf32>
  return %r : tensor<?x96xf32>
}

// -----

// Left alone: a reduction that 32 does not divide, a product of another
// shape (w as [k, n]), and another body.
// CHECK-LABEL: func.func @not_split(
// CHECK-NOT: scf.if
// CHECK-NOT: expand_shape
#x2 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w2 = affine_map<(d0, d1, d2) -> (d1, d2)>
#wkn = affine_map<(d0, d1, d2) -> (d2, d1)>
#o2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @not_split(%x: tensor<?x100xf32>, %w: tensor<8x100xf32>, %acc: tensor<?x8xf32>,
                     %y: tensor<?x128xf32>, %v: tensor<128x8xf32>, %u: tensor<8x128xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %r = linalg.generic {indexing_maps = [#x2, #w2, #o2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x100xf32>, tensor<8x100xf32>) outs(%acc : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  %t = linalg.generic {indexing_maps = [#x2, #wkn, #o2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%y, %v : tensor<?x128xf32>, tensor<128x8xf32>) outs(%acc : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  %q = linalg.generic {indexing_maps = [#x2, #w2, #o2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%y, %u : tensor<?x128xf32>, tensor<8x128xf32>) outs(%acc : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.maximumf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  return %r, %t, %q : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}
