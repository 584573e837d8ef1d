// RUN: loom-opt %s --loom-lower-exit-loops --split-input-file | FileCheck %s

// A gated adaptive loop becomes a plain loop that also carries the number
// of tokens still running: the runtime starts the run with its rows, rule
// (0: gate), threshold, trip count and iteration width, the body runs only
// while some token does, and after it loom_exit_step keeps the rows of the
// tokens that had left and returns how many still run.

// CHECK-LABEL: func.func @gated(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x8xf32>, %[[W:[a-z0-9]+]]: tensor<1x8xf32>, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK-DAG:     %[[ROWS:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK-DAG:     %[[THRESHOLD:.*]] = arith.constant 7.500000e-01 : f64
// CHECK-DAG:     %[[GATE:.*]] = arith.constant 0 : i64
// CHECK-DAG:     %[[TRIP:.*]] = arith.constant 4 : i64
// CHECK-DAG:     %[[WIDTH:.*]] = arith.constant 32 : i64
// CHECK:         call @loom_exit_begin(%[[CTX]], %[[ROWS]], %[[GATE]], %[[THRESHOLD]], %[[TRIP]], %[[WIDTH]]) : (!llvm.ptr, i64, i64, f64, i64, i64) -> ()
// CHECK:         %[[LOOP:.*]]:2 = loom.loop 4 times(%[[I:.*]]) iter_args(%[[H:.*]] = %[[X]], %[[RUNNING:.*]] = %[[ROWS]]) : tensor<?x8xf32>, i64 {
// CHECK:           %[[ANY:.*]] = arith.cmpi sgt, %[[RUNNING]], %{{.*}} : i64
// CHECK:           %[[IF:.*]]:2 = scf.if %[[ANY]] -> (tensor<?x8xf32>, i64) {
// CHECK:             %[[NEXT:.*]] = loom.scale %[[H]] by 5.000000e-01
// CHECK:             %[[LOGITS:.*]] = loom.linear %[[NEXT]], %[[W]]
// CHECK:             %[[KEPT:.*]] = memref.alloc
// CHECK:             %[[LEFT:.*]] = func.call @loom_exit_step(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, i64, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> i64
// CHECK:             %[[ROWS2:.*]] = bufferization.to_tensor %[[KEPT]] restrict writable
// CHECK:             scf.yield %[[ROWS2]], %[[LEFT]] : tensor<?x8xf32>, i64
// CHECK:           } else {
// CHECK:             scf.yield %[[H]], %[[RUNNING]] : tensor<?x8xf32>, i64
// CHECK:           }
// CHECK:           loom.yield %[[IF]]#0, %[[IF]]#1 : tensor<?x8xf32>, i64
// CHECK:         }
// CHECK:         call @loom_exit_end(%[[CTX]]) : (!llvm.ptr) -> ()
// CHECK:         return %[[LOOP]]#0
// CHECK-DAG:   func.func private @loom_exit_begin(!llvm.ptr, i64, i64, f64, i64, i64) attributes {llvm.emit_c_interface}
// CHECK-DAG:   func.func private @loom_exit_step({{.*}}) -> i64 attributes {llvm.emit_c_interface}
// CHECK-DAG:   func.func private @loom_exit_end(!llvm.ptr) attributes {llvm.emit_c_interface}
func.func @gated(%x: tensor<?x8xf32>, %w: tensor<1x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %0 = loom.loop 4 times(%i) iter_args(%h = %x) exit gate threshold = 0.75 {loom.kv_iteration_width = 32 : i64} : tensor<?x8xf32> {
    %next = loom.scale %h by 5.000000e-01 : tensor<?x8xf32>
    %logits = loom.linear %next, %w : (tensor<?x8xf32>, tensor<1x8xf32>) -> tensor<?x1xf32>
    loom.yield %next, %logits : tensor<?x8xf32>, tensor<?x1xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// Convergence (rule 1) passes an empty logits buffer.

// CHECK-LABEL: func.func @converging(
// CHECK:         %[[RULE:.*]] = arith.constant 1 : i64
// CHECK:         call @loom_exit_begin(%{{.*}}, %{{.*}}, %[[RULE]],
// CHECK:         scf.if
// CHECK:           %[[NONE:.*]] = memref.alloca() : memref<0x0xf32>
// CHECK:           %[[EMPTY:.*]] = memref.cast %[[NONE]]
// CHECK:           func.call @loom_exit_step(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[EMPTY]], %{{.*}})
// CHECK-NOT:     loom.loop {{.*}} exit
func.func @converging(%x: tensor<?x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %0 = loom.loop 6 times(%i) iter_args(%h = %x) exit converge threshold = 1.000000e-02 {loom.kv_iteration_width = 16 : i64} : tensor<?x8xf32> {
    %next = loom.scale %h by 5.000000e-01 : tensor<?x8xf32>
    loom.yield %next : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// Plain loops are left alone.

// CHECK-LABEL: func.func @plain(
// CHECK-NOT:     loom_exit
// CHECK:         loom.loop 2 times
func.func @plain(%x: tensor<?x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %next = loom.scale %h by 5.000000e-01 : tensor<?x8xf32>
    loom.yield %next : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}
