// RUN: loom-opt %s --loom-fuse-parallel-loops --split-input-file | FileCheck %s

// What --loom-fuse-parallel-loops must refuse. The pass has no diagnostics
// of its own (a loop left apart is still correct, one launch more); fused,
// each pair below could give wrong numbers, so each must stay two loops.

// One buffer written at transposed indices, the second loop not reading
// it: MLIR's own check (stores against loads) would let these fuse, and
// the two writes of an element could come in either order.
// CHECK-LABEL: func.func @transposed_write(
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %[[W:.*]][
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %[[W]][
// CHECK-NOT:     memref.alloca
func.func @transposed_write(%src: memref<4x4xf32>) -> memref<4x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %w = memref.alloc() : memref<4x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    memref.store %zero, %w[%i, %j] : memref<4x4xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %x = memref.load %src[%i, %j] : memref<4x4xf32>
    memref.store %x, %w[%j, %i] : memref<4x4xf32>
    scf.reduce
  }
  return %w : memref<4x4xf32>
}

// -----

// Two arguments may be one buffer: their writes stay apart.
// CHECK-LABEL: func.func @two_arguments(
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %arg0[
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %arg1[
func.func @two_arguments(%a: memref<8xf32>, %b: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %one, %a[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %r = arith.subi %c7, %i : index
    memref.store %two, %b[%r] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// Another view of the same buffer (a subview) is another buffer to MLIR's
// check but one to ours.
// CHECK-LABEL: func.func @two_views(
// CHECK:         scf.parallel
// CHECK:           memref.store
// CHECK:         scf.parallel
// CHECK:           memref.store
func.func @two_views(%src: memref<8xf32>) -> memref<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %w = memref.alloc() : memref<16xf32>
  %tail = memref.subview %w[4] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 4>>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %zero, %w[%i] : memref<16xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %x = memref.load %src[%i] : memref<8xf32>
    memref.store %x, %tail[%i] : memref<8xf32, strided<[1], offset: 4>>
    scf.reduce
  }
  return %w : memref<16xf32>
}

// -----

// A read of another element of what the first loop wrote (MLIR's check).
// CHECK-LABEL: func.func @shifted_read(
// CHECK:         scf.parallel
// CHECK:         scf.parallel
func.func @shifted_read(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %one = arith.constant 1.0 : f32
  %t = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c7) step (%c1) {
    memref.store %one, %t[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c7) step (%c1) {
    %n = arith.addi %i, %c1 : index
    %x = memref.load %t[%n] : memref<8xf32>
    memref.store %x, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}
