// RUN: loom-opt %s --loom-fuse-parallel-loops --split-input-file | FileCheck %s

// Adjacent parallel loops over the same space become one loop, so one
// kernel launch on the GPU (targets/cuda/LoopFusion.cpp). What must stay
// apart is in loop-fusion-errors.mlir.

// A reduction's initial fill runs in the reduction's loop, before it.
// CHECK-LABEL: func.func @fill_then_reduce(
// CHECK:         %[[S:.*]] = memref.alloc() : memref<16xf32>
// CHECK:         scf.parallel (%[[I:.*]]) =
// CHECK-NEXT:      memref.store %{{.*}}, %[[S]][%[[I]]]
// CHECK-NEXT:      scf.for
// CHECK:             memref.load %[[S]][%[[I]]]
// CHECK:             memref.store %{{.*}}, %[[S]][%[[I]]]
// CHECK-NOT:     scf.parallel
// The scratch store that kept other loops apart during the fusion is gone.
// CHECK-NOT:     memref.alloca
// CHECK:         return
func.func @fill_then_reduce(%a: memref<16x8xf32>) -> memref<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %s = memref.alloc() : memref<16xf32>
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    memref.store %zero, %s[%i] : memref<16xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %k] : memref<16x8xf32>
      %acc = memref.load %s[%i] : memref<16xf32>
      %sum = arith.addf %acc, %x : f32
      memref.store %sum, %s[%i] : memref<16xf32>
    }
    scf.reduce
  }
  return %s : memref<16xf32>
}

// -----

// Elementwise steps over one 2-D space, each reading the element the one
// before wrote (scores, then the mask), fuse; the indices are matched by
// their place among the loops' induction variables.
// CHECK-LABEL: func.func @scores_then_mask(
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK:           memref.store %{{.*}}, %[[T:.*]][%[[I]], %[[J]]]
// CHECK:           memref.load %[[T]][%[[I]], %[[J]]]
// CHECK:           arith.select
// CHECK:           memref.store %{{.*}}, %[[T]][%[[I]], %[[J]]]
// CHECK-NOT:     scf.parallel
func.func @scores_then_mask(%a: memref<4x4xf32>) -> memref<4x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %low = arith.constant -1.0e30 : f32
  %t = memref.alloc() : memref<4x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<4x4xf32>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %t[%i, %j] : memref<4x4xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %x = memref.load %t[%i, %j] : memref<4x4xf32>
    %later = arith.cmpi ugt, %j, %i : index
    %m = arith.select %later, %low, %x : f32
    memref.store %m, %t[%i, %j] : memref<4x4xf32>
    scf.reduce
  }
  return %t : memref<4x4xf32>
}
