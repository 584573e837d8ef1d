// Generated loops on the runtime's threads: outermost scf.parallel loops
// with enough work move into functions over a range of their first
// dimension (loom-outline-parallel-loops); in the LLVM dialect, calls of
// those become loom_parallel_loop calls on the model context's threads, with
// the captured values in a stack struct and a task that unpacks them
// (loom-lower-parallel-calls). The model context is the function's
// `loom.context` argument; without one, loops stay serial.

// RUN: loom-opt %s --loom-outline-parallel-loops | FileCheck %s
// RUN: loom-opt %s --loom-outline-parallel-loops --convert-scf-to-cf --expand-strided-metadata --finalize-memref-to-llvm --convert-arith-to-llvm --convert-index-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts --loom-lower-parallel-calls | FileCheck %s --check-prefix=LLVM

// Rows of 768: 4 operations an element (load, multiply, store, reduce), so
// tasks take at least ceil(16384 / 3072) = 6 rows.
// CHECK-LABEL: func.func @rows(
// CHECK-SAME:      %[[IN:[a-z0-9]+]]: memref<?x768xf32>, %[[OUT:[a-z0-9]+]]: memref<?x768xf32>, %[[S:[a-z0-9]+]]: f32, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = memref.dim %[[IN]]
// CHECK-NEXT:    call @rows_parallel(%[[C0]], %[[N]], %[[CTX]], %[[IN]], %[[S]], %[[OUT]])
// CHECK-NOT:     scf.parallel
// CHECK:         return
func.func @rows(%in: memref<?x768xf32>, %out: memref<?x768xf32>, %s: f32, %ctx: !llvm.ptr {loom.context}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c768 = arith.constant 768 : index
  %n = memref.dim %in, %c0 : memref<?x768xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c768) step (%c1, %c1) {
    %x = memref.load %in[%i, %j] : memref<?x768xf32>
    %y = arith.mulf %x, %s : f32
    memref.store %y, %out[%i, %j] : memref<?x768xf32>
  }
  return
}
// CHECK:       func.func private @rows_parallel(%[[B:.*]]: index, %[[E:.*]]: index, %{{.*}}: !llvm.ptr, %{{.*}}: memref<?x768xf32>, %{{.*}}: f32, %{{.*}}: memref<?x768xf32>) attributes {loom.parallel_grain = 6 : i64}
// CHECK-DAG:     %[[Z:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[W:.*]] = arith.constant 768 : index
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = (%[[B]], %[[Z]]) to (%[[E]], %[[W]])
// CHECK:           arith.mulf
// CHECK:         return

// Too little work in all (4 x 4), a loop with a reduction, and a loop with
// a step other than 1 stay where they are.
// CHECK-LABEL: func.func @stays(
// CHECK-COUNT-3: scf.parallel
// CHECK-NOT:     call
func.func @stays(%m: memref<4x4xf32>, %v: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    memref.store %zero, %m[%i, %j] : memref<4x4xf32>
  }
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %x = memref.load %v[%i] : memref<?xf32>
    scf.reduce(%x : f32) {
    ^bb0(%a: f32, %b: f32):
      %t = arith.addf %a, %b : f32
      scf.reduce.return %t : f32
    }
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c2) {
    memref.store %zero, %v[%i] : memref<?xf32>
  }
  return %sum : f32
}

// Only the outermost of nested loops moves; the inner one goes with it.
// CHECK-LABEL: func.func @nested(
// CHECK:         call @nested_parallel(
// CHECK:       func.func private @nested_parallel(
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK:             scf.parallel
func.func @nested(%m: memref<?x64x64xf32>, %n: index, %ctx: !llvm.ptr {loom.context}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      scf.parallel (%k) = (%c0) to (%c64) step (%c1) {
        memref.store %one, %m[%i, %j, %k] : memref<?x64x64xf32>
      }
    }
  }
  return
}

// LLVM-LABEL: llvm.func @rows(
// LLVM:         %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// LLVM:         %[[SLOT:.*]] = llvm.alloca %[[ONE]] x !llvm.struct<(ptr, ptr, ptr, i64, i64, i64, i64, i64, f32, ptr, ptr, i64, i64, i64, i64, i64)>
// LLVM:         %[[PACKED:.*]] = llvm.insertvalue {{.*}}[15]
// LLVM:         llvm.store %[[PACKED]], %[[SLOT]]
// LLVM:         %[[TASK:.*]] = llvm.mlir.addressof @rows_parallel_task
// LLVM:         %[[GRAIN:.*]] = llvm.mlir.constant(6 : i64)
// LLVM:         llvm.call @loom_parallel_loop(%[[MCTX:.*]], %[[TASK]], %[[SLOT]], %{{.*}}, %{{.*}}, %[[GRAIN]])
// LLVM-NOT:     llvm.call @rows_parallel(
// LLVM:       llvm.func @rows_parallel(
// LLVM-NOT:     loom.parallel_grain
// LLVM:       llvm.func internal @rows_parallel_task(%[[CTX:.*]]: !llvm.ptr, %[[B:.*]]: i64, %[[E:.*]]: i64)
// LLVM:         %[[S:.*]] = llvm.load %[[CTX]] : !llvm.ptr -> !llvm.struct<(ptr, ptr, ptr, i64, i64, i64, i64, i64, f32,
// LLVM:         llvm.call @rows_parallel(%[[B]], %[[E]], {{.*}}) : (i64, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i64, f32, !llvm.ptr,

// A loop inside a sequential loop captures the outer induction variable;
// the captured values' stack slot sits in the caller's entry block, so that
// the sequential loop does not grow the stack.
// CHECK-LABEL: func.func @inside_for(
// CHECK:         scf.for %[[I:.*]] =
// CHECK:           call @inside_for_parallel(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[I]])
// CHECK:       func.func private @inside_for_parallel(%{{.*}}: index, %{{.*}}: index, %{{.*}}: !llvm.ptr, %{{.*}}: memref<?x4x512xf32>, %{{.*}}: index)
func.func @inside_for(%m: memref<?x4x512xf32>, %n: index, %ctx: !llvm.ptr {loom.context}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c512 = arith.constant 512 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    scf.parallel (%r, %j) = (%c0, %c0) to (%n, %c512) step (%c1, %c1) {
      memref.store %one, %m[%r, %i, %j] : memref<?x4x512xf32>
    }
  }
  return
}

// LLVM-LABEL: llvm.func @inside_for(
// LLVM-NEXT:    llvm.mlir.constant(1 : i64)
// LLVM-NEXT:    %[[SLOT:.*]] = llvm.alloca
// LLVM:         ^bb{{[0-9]+}}
// LLVM:         llvm.store %{{.*}}, %[[SLOT]]
// LLVM:         llvm.call @loom_parallel_loop(%{{.*}}, %{{.*}}, %[[SLOT]],

// The runtime's entry point, declared once.
// LLVM:       llvm.func @loom_parallel_loop(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64)

// A function without a model context has no threads to use: its loops stay.
// CHECK-LABEL: func.func @no_context(
// CHECK-NOT:     call
// CHECK:         scf.parallel
func.func @no_context(%in: memref<?x768xf32>, %out: memref<?x768xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c768 = arith.constant 768 : index
  %n = memref.dim %in, %c0 : memref<?x768xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c768) step (%c1, %c1) {
    %x = memref.load %in[%i, %j] : memref<?x768xf32>
    memref.store %x, %out[%i, %j] : memref<?x768xf32>
  }
  return
}
