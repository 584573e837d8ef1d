// RUN: loom-opt %s --loom-emulate-gpu | FileCheck %s
// RUN: loom-opt %s --loom-emulate-gpu --convert-scf-to-cf --finalize-memref-to-llvm --convert-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// The CUDA target's test mode (targets/cuda/EmulateGpu.cpp): a launch runs
// its body in loops over blocks (z, y, x) and threads (z, y, x) on the host,
// ids and sizes replaced by the loops' variables and bounds, and device
// memory is host memory.

// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[X:.*]]: memref<?xf32>, %[[N:.*]]: index, %[[BLOCKS:.*]]: index)
// CHECK: %[[TMP:.*]] = memref.alloc(%[[N]]) : memref<?xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: scf.for %{{.*}} = %[[ZERO]] to %[[C1:.*]] step %[[ONE]]
// CHECK: scf.for %{{.*}} = %[[ZERO]] to %[[C1]] step %[[ONE]]
// CHECK: scf.for %[[BX:.*]] = %[[ZERO]] to %[[BLOCKS]] step %[[ONE]]
// CHECK: scf.for %{{.*}} = %[[ZERO]] to %[[C1]] step %[[ONE]]
// CHECK: scf.for %{{.*}} = %[[ZERO]] to %[[C1]] step %[[ONE]]
// CHECK: scf.for %[[TX:.*]] = %[[ZERO]] to %[[C64:.*]] step %[[ONE]]
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %[[C64]]
// CHECK: %[[I:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: memref.load %[[X]][%[[I]]]
// CHECK: memref.store %{{.*}}, %[[TMP]][%[[I]]]
// CHECK-NOT: gpu.
// CHECK: memref.copy %[[TMP]], %[[X]]
// CHECK: memref.dealloc %[[TMP]]
// LLVM-NOT: gpu.
func.func @scale(%x: memref<?xf32>, %n: index, %blocks: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  %tmp = gpu.alloc (%n) : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %blocks, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %sx : index
    %i = arith.addi %base, %tx : index
    %in = arith.cmpi ult, %i, %n : index
    scf.if %in {
      %v = memref.load %x[%i] : memref<?xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %tmp[%i] : memref<?xf32>
    }
    gpu.terminator
  }
  gpu.memcpy %x, %tmp : memref<?xf32>, memref<?xf32>
  gpu.dealloc %tmp : memref<?xf32>
  return
}
