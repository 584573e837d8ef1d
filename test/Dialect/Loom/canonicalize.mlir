// RUN: loom-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @transpose_transpose
// CHECK-SAME: (%[[W:.*]]: tensor<4x8xf32>)
// CHECK-NOT: loom.transpose
// CHECK: return %[[W]]
func.func @transpose_transpose(%w: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = loom.transpose %w : tensor<4x8xf32> -> tensor<8x4xf32>
  %1 = loom.transpose %0 : tensor<8x4xf32> -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @scale_by_one
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-NOT: loom.scale
// CHECK: return %[[X]]
func.func @scale_by_one(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.scale %x by 1.0 : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @scale_by_half
// CHECK: loom.scale %{{.*}} by 5.000000e-01
func.func @scale_by_half(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.scale %x by 0.5 : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @split_of_concat
// CHECK-SAME: (%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<2x8xf32>)
// CHECK-NOT: loom.concat
// CHECK-NOT: loom.split
// CHECK: return %[[B]], %[[A]]
func.func @split_of_concat(%a: tensor<4x8xf32>, %b: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<4x8xf32>) {
  %c = loom.concat %a, %b axis = 0 : (tensor<4x8xf32>, tensor<2x8xf32>) -> tensor<6x8xf32>
  %x, %y = loom.split %c axis = 0 sizes = [4, 2] : tensor<6x8xf32> -> tensor<4x8xf32>, tensor<2x8xf32>
  return %y, %x : tensor<2x8xf32>, tensor<4x8xf32>
}

// -----

// Different sizes: the split is not the inverse of the concat.
// CHECK-LABEL: func.func @split_of_concat_other_sizes
// CHECK: loom.concat
// CHECK: loom.split
func.func @split_of_concat_other_sizes(%a: tensor<4x8xf32>, %b: tensor<2x8xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %c = loom.concat %a, %b axis = 0 : (tensor<4x8xf32>, tensor<2x8xf32>) -> tensor<6x8xf32>
  %x, %y = loom.split %c axis = 0 sizes = [3, 3] : tensor<6x8xf32> -> tensor<3x8xf32>, tensor<3x8xf32>
  return %x, %y : tensor<3x8xf32>, tensor<3x8xf32>
}

// -----

// Different axis: not an inverse either.
// CHECK-LABEL: func.func @split_of_concat_other_axis
// CHECK: loom.concat
// CHECK: loom.split
func.func @split_of_concat_other_axis(%a: tensor<4x8xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %c = loom.concat %a, %a axis = 0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %x, %y = loom.split %c axis = 1 sizes = [4, 4] : tensor<8x8xf32> -> tensor<8x4xf32>, tensor<8x4xf32>
  return %x, %y : tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

// CHECK-LABEL: func.func @trivial_concat_slice
// CHECK-SAME: (%[[A:.*]]: tensor<4x8xf32>)
// CHECK-NOT: loom.concat
// CHECK-NOT: loom.slice
// CHECK: return %[[A]], %[[A]]
func.func @trivial_concat_slice(%a: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %c = loom.concat %a axis = 0 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = loom.slice %a axis = 1 offset = 0 size = 8 : tensor<4x8xf32> -> tensor<4x8xf32>
  return %c, %s : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A loop that runs once is its body, with the iteration index 0.
// CHECK-LABEL: func.func @single_trip_loop
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[T:.*]]: tensor<4x8xf32>)
// CHECK-NOT: loom.loop
// CHECK: %[[A:.*]] = loom.add %[[X]], %[[X]]
// CHECK: %[[R:.*]] = loom.embedding_row %[[T]][0]
// CHECK: %[[B:.*]] = loom.add %[[A]], %[[R]]
// CHECK: return %[[B]]
func.func @single_trip_loop(%x: tensor<?x8xf32>, %t: tensor<4x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.loop 1 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %a = loom.add %h, %h : tensor<?x8xf32>, tensor<?x8xf32>
    %r = loom.embedding_row %t[0] : tensor<4x8xf32> -> tensor<8xf32>
    %b = loom.add %a, %r : tensor<?x8xf32>, tensor<8xf32>
    loom.yield %b : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// The index of a single-trip loop becomes the constant 0.
// CHECK-LABEL: func.func @single_trip_loop_index
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: call @use_index(%[[C0]]
// CHECK-NOT: loom.loop
func.func private @use_index(index, tensor<?x8xf32>) -> tensor<?x8xf32>
func.func @single_trip_loop_index(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.loop 1 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %y = func.call @use_index(%i, %h) : (index, tensor<?x8xf32>) -> tensor<?x8xf32>
    loom.yield %y : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// A loop that yields its iter_arg unchanged, once: the result is the init.
// CHECK-LABEL: func.func @single_trip_identity
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @single_trip_identity(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = loom.loop 1 times(%i) iter_args(%h = %x) : tensor<4xf32> {
    loom.yield %h : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

// Loops that run more than once stay.
// CHECK-LABEL: func.func @multi_trip_loop
// CHECK: loom.loop 3 times
func.func @multi_trip_loop(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.loop 3 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %a = loom.add %h, %h : tensor<?x8xf32>, tensor<?x8xf32>
    loom.yield %a : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// A parameter that is an alias of another reads the other directly.
loom.param @shared : tensor<8x4xf32>
loom.param @alias : tensor<8x4xf32> init {
  %0 = loom.weight @shared : tensor<8x4xf32>
  loom.yield %0 : tensor<8x4xf32>
}
// CHECK-LABEL: func.func @weight_alias
// CHECK: loom.weight @shared : tensor<8x4xf32>
// CHECK-NOT: loom.weight @alias
func.func @weight_alias() -> tensor<8x4xf32> {
  %0 = loom.weight @alias : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// A derived parameter that is not a plain alias is left alone.
loom.param @a : tensor<8x4xf32>
loom.param @t : tensor<4x8xf32> init {
  %0 = loom.weight @a : tensor<8x4xf32>
  %1 = loom.transpose %0 : tensor<8x4xf32> -> tensor<4x8xf32>
  loom.yield %1 : tensor<4x8xf32>
}
// CHECK-LABEL: func.func @weight_derived
// CHECK: loom.weight @t : tensor<4x8xf32>
func.func @weight_derived() -> tensor<4x8xf32> {
  %0 = loom.weight @t : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
