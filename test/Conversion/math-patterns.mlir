// RUN: loom-opt %s --convert-loom-to-linalg --split-input-file | FileCheck %s

// The tensor math of forward bodies (MathPatterns.cpp): broadcasting binary
// ops, math functions and reductions, each one linalg.generic (a reduction
// two). Their numbers are checked end to end
// (test/Integration/tensor-primitives.test); this checks the structure. The
// lowering cannot fail: the ops' verifiers refuse what it could not lower
// (test/Dialect/Loom/invalid.mlir).

// Broadcasting: a [seq, 1] column is read at column 0 of every row, a [1]
// value everywhere; the sequence length comes from an operand that has it.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ONE:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-LABEL: func.func @broadcast(
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c0
// CHECK: tensor.empty(%[[N]]) : tensor<?x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[COL]], #[[ID]], #[[ID]]]
// CHECK: arith.subf
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ONE]], #[[ID]]]
// CHECK: arith.divf
func.func @broadcast(%c: tensor<?x1xf32>, %x: tensor<?x8xf32>, %s: tensor<1xf32>) -> tensor<?x8xf32> {
  %0 = loom.sub %c, %x : tensor<?x1xf32>, tensor<?x8xf32>
  %1 = loom.div %0, %s : tensor<?x8xf32>, tensor<1xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// A mean: the sum over the last dimension, then its division into the kept
// unit dimension.
// CHECK-LABEL: func.func @reduce_mean(
// CHECK: %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<?xf32>) outs(%{{.*}} : tensor<?x1xf32>)
// CHECK: arith.divf %{{.*}}, %cst
func.func @reduce_mean(%x: tensor<?x8xf32>) -> tensor<?x1xf32> {
  %0 = loom.reduce mean %x : tensor<?x8xf32> -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// A constant integral exponent is multiplications (exact for negative
// bases); any other is math.powf.
// CHECK-LABEL: func.func @pow(
// CHECK: linalg.generic
// CHECK-NOT: math.powf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: linalg.generic
// CHECK: math.powf
func.func @pow(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %three = arith.constant dense<3.0> : tensor<1xf32>
  %half = arith.constant dense<0.5> : tensor<1xf32>
  %0 = loom.pow %x, %three : tensor<?x8xf32>, tensor<1xf32>
  %1 = loom.pow %0, %half : tensor<?x8xf32>, tensor<1xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// Math functions are one elementwise loop each; sigmoid is 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @unary(
// CHECK: linalg.generic
// CHECK: math.rsqrt
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.divf
func.func @unary(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.unary rsqrt %x : tensor<?x8xf32>
  %1 = loom.unary sigmoid %0 : tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// max and min propagate NaN (PyTorch's maximum and minimum).
// CHECK-LABEL: func.func @max_min(
// CHECK: arith.maximumf
// CHECK: arith.minimumf
func.func @max_min(%x: tensor<?x8xf32>, %r: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = loom.max %x, %r : tensor<?x8xf32>, tensor<8xf32>
  %1 = loom.min %0, %r : tensor<?x8xf32>, tensor<8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// A reduction over heads [seq, H, D] keeps both leading axes; the norm is
// the square root of the sum of squares.
// CHECK-LABEL: func.func @reduce_heads(
// CHECK: %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<?x4xf32>) outs(%{{.*}} : tensor<?x4x1xf32>)
// CHECK: math.sqrt
func.func @reduce_heads(%h: tensor<?x4x16xf32>) -> tensor<?x4x1xf32> {
  %0 = loom.reduce norm2 %h : tensor<?x4x16xf32> -> tensor<?x4x1xf32>
  return %0 : tensor<?x4x1xf32>
}

// -----

// topk: each element's place (how many elements are ahead of it) in one
// generic reducing over the row, then the k places' values and indices
// summed out of the row in a second; gather reads x at the clamped index.
// CHECK-LABEL: func.func @topk_gather(
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   arith.cmpf ogt
// CHECK:   arith.cmpf oeq
// CHECK:   arith.cmpi ult
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[P]], %{{.*}} : tensor<?x8xf32>, tensor<?x8xf32>) outs(%{{.*}}, %{{.*}} : tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[R]]#1 : tensor<?x2xf32>)
// CHECK:   math.roundeven
// CHECK:   arith.minimumf
// CHECK:   tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<?x8xf32>
func.func @topk_gather(%x: tensor<?x8xf32>) -> tensor<?x2xf32> {
  %v, %i = loom.topk %x k = 2 : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xf32>
  %g = loom.gather %x, %i : (tensor<?x8xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %g : tensor<?x2xf32>
}
