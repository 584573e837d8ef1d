// RUN: loom-opt %s --loom-expand-exit-loops --split-input-file | FileCheck %s

// An adaptive loop as generated code (--kernels=generated, the CUDA
// target's device build): a plain loop carrying per token whether it left,
// the gate's cumulative probability and survival (f64) and its depth; one
// parallel loop over the tokens applies the exit rule after the body, a
// second keeps the rows of tokens that had left. The numbers are checked
// against PyTorch in test/Integration/early-exit.test (CPU) and
// cuda-emulated.test (the device build); this checks the structure.

// The function that caches rows is cloned with the left flags and the
// iterations left (this one included): each cache write first puts running
// tokens' rows in its slot of this iteration and of every later one (a
// view whose first stride is max_seq * the loop's iteration width), then
// caches the rows with those of tokens that left replaced by the slot's.
// CHECK-LABEL: func.func private @layer_exit(
// CHECK-SAME:    %[[H:[a-z0-9]+]]: tensor<?x8xf32>, %[[KC:[a-z0-9]+]]: memref<?xf32>, %{{.*}}: memref<?xf32>, %[[POS:[a-z0-9]+]]: index, %{{.*}}: index, %[[LEFT:[a-z0-9]+]]: tensor<?xi32>, %[[COPIES:[a-z0-9]+]]: index)
// CHECK:         %[[MAX:.*]] = arith.divui
// CHECK:         %[[SLOT:.*]] = memref.reinterpret_cast %[[KC]]
// CHECK:         %[[WIDTH:.*]] = arith.constant 8 : index
// CHECK:         %[[APART:.*]] = arith.muli %[[MAX]], %[[WIDTH]] : index
// CHECK:         %[[SPAN:.*]] = memref.reinterpret_cast %[[KC]] to offset: [%{{.*}}], sizes: [%[[COPIES]], %[[MAX]], 8], strides: [%[[APART]], 8, 1] : memref<?xf32> to memref<?x?x8xf32, strided<[?, 8, 1], offset: ?>>
// CHECK:         %[[ROWS:.*]] = memref.subview %[[SPAN]][0, %[[POS]], 0] [%[[COPIES]], %{{.*}}, 8] [1, 1, 1]
// CHECK:         %[[BEFORE:.*]] = bufferization.to_tensor %[[ROWS]] restrict
// CHECK:         %[[WRITTEN:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[LEFT]], %[[BEFORE]] : tensor<?x8xf32>, tensor<?xi32>, tensor<?x?x8xf32>)
// CHECK:           arith.cmpi eq
// CHECK:           arith.select
// CHECK:         %[[KEPT:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[LEFT]], %[[BEFORE]] : {{.*}}) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK:         bufferization.materialize_in_destination %[[WRITTEN]] in writable %[[ROWS]]
// CHECK:         linalg.generic
// CHECK:         %[[VKEPT:.*]] = linalg.generic
// CHECK:         bufferization.materialize_in_destination
// CHECK:         loom.cached_attention %[[H]], %[[KEPT]], %[[VKEPT]], %[[SLOT]],

// The original, which nothing calls any more, is gone.
// CHECK-NOT:   func.func private @layer(

// CHECK-LABEL: func.func @gated(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x8xf32>, %[[W:[a-z0-9]+]]: tensor<1x8xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// The run's threshold (--exit-threshold, --full-depth) from the runtime.
// CHECK:         %[[MODEL:.*]] = arith.constant 7.500000e-01 : f64
// CHECK:         %[[T:.*]] = call @loom_exit_threshold(%[[CTX]], %[[MODEL]]) : (!llvm.ptr, f64) -> f64
// CHECK:         %[[LOOP:.*]]:5 = loom.loop 3 times(%[[I:.*]]) iter_args(%[[HH:.*]] = %[[X]], %[[L:.*]] = %{{.*}}, %[[CDF:.*]] = %{{.*}}, %[[S:.*]] = %{{.*}}, %[[D:.*]] = %{{.*}}) : tensor<?x8xf32>, tensor<?xi32>, tensor<?xf64>, tensor<?xf64>, tensor<?xi32> {
// CHECK-NOT:       exit
// An iteration runs only while some token has not left (the host reads
// the count).
// CHECK:           %[[COUNT:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[L]] : tensor<?xi32>) outs(%{{.*}} : tensor<1xi32>)
// CHECK:           %[[RUNNING:.*]] = tensor.extract %[[COUNT]]
// CHECK:           %[[ANY:.*]] = arith.cmpi sgt, %[[RUNNING]]
// CHECK:           %[[IF:.*]]:5 = scf.if %[[ANY]]
// CHECK:           %[[TRIP:.*]] = arith.constant 3 : index
// CHECK:           %[[LEFTN:.*]] = arith.subi %[[TRIP]], %[[I]] : index
// CHECK:           %[[NEXT:.*]] = func.call @layer_exit(%[[HH]], {{.*}}, %[[L]], %[[LEFTN]])
// CHECK:           %[[LOGITS:.*]] = loom.linear %[[NEXT]], %[[W]]
// CHECK:           %[[LAST:.*]] = arith.cmpi sge
// The rule: sigmoid of the logit, probability (the survival on the last
// iteration), cumulative sum against the threshold when it is in (0, 1).
// CHECK:           %[[RULE:.*]]:4 = linalg.generic {{.*}} ins(%[[L]], %[[CDF]], %[[S]], %[[D]], %[[LOGITS]] :
// CHECK:             arith.cmpf ogt, %[[T]]
// CHECK:             arith.extf {{.*}} : f32 to f64
// CHECK:             math.exp
// CHECK:             arith.select %[[LAST]]
// CHECK:             arith.cmpf olt, %[[T]]
// CHECK:             arith.cmpf oge, %{{.*}}, %[[T]] : f64
// CHECK:             arith.ori %[[LAST]]
// CHECK:           %[[KEPTROWS:.*]] = linalg.generic {{.*}} ins(%[[HH]], %[[NEXT]], %[[L]] :
// CHECK:             scf.yield %[[KEPTROWS]], %[[RULE]]#0, %[[RULE]]#1, %[[RULE]]#2, %[[RULE]]#3
// CHECK:           } else {
// CHECK:             scf.yield %[[HH]], %[[L]], %[[CDF]], %[[S]], %[[D]]
// CHECK:           }
// CHECK:           loom.yield %[[IF]]#0, %[[IF]]#1, %[[IF]]#2, %[[IF]]#3, %[[IF]]#4
// The depths, for the program's statistics.
// CHECK:         %[[DEPTHS:.*]] = bufferization.to_buffer %[[LOOP]]#4
// CHECK:         call @loom_exit_record(%[[CTX]], %{{.*}}, %{{.*}}) : (!llvm.ptr, memref<?xi32, strided<[?], offset: ?>>, i64) -> ()
// CHECK:         return %[[LOOP]]#0
func.func private @layer(%h: tensor<?x8xf32>, %kc: memref<?xf32>, %vc: memref<?xf32>, %pos: index, %start: index) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %len = memref.dim %kc, %c0 : memref<?xf32>
  %max = arith.divui %len, %c16 : index
  %off = arith.muli %start, %max : index
  %stride = arith.muli %max, %c8 : index
  %k = memref.reinterpret_cast %kc to offset: [%off], sizes: [1, %max, 8], strides: [%stride, 8, 1] : memref<?xf32> to memref<1x?x8xf32, strided<[?, 8, 1], offset: ?>>
  %v = memref.reinterpret_cast %vc to offset: [%off], sizes: [1, %max, 8], strides: [%stride, 8, 1] : memref<?xf32> to memref<1x?x8xf32, strided<[?, 8, 1], offset: ?>>
  %y = loom.cached_attention %h, %h, %h, %k, %v, %pos, %c0 heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, memref<1x?x8xf32, strided<[?, 8, 1], offset: ?>>, memref<1x?x8xf32, strided<[?, 8, 1], offset: ?>>, index, index) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

func.func @gated(%x: tensor<?x8xf32>, %w: tensor<1x8xf32>, %kc: memref<?xf32>, %vc: memref<?xf32>, %pos: index, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %0 = loom.loop 3 times(%i) iter_args(%h = %x) exit gate threshold = 0.75 {loom.kv_iteration_width = 8 : i64} : tensor<?x8xf32> {
    %c8 = arith.constant 8 : index
    %start = arith.muli %i, %c8 : index
    %next = func.call @layer(%h, %kc, %vc, %pos, %start) : (tensor<?x8xf32>, memref<?xf32>, memref<?xf32>, index, index) -> tensor<?x8xf32>
    %logits = loom.linear %next, %w : (tensor<?x8xf32>, tensor<1x8xf32>) -> tensor<?x1xf32>
    loom.yield %next, %logits : tensor<?x8xf32>, tensor<?x1xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// An original that is also called outside the adaptive loop stays.
// CHECK-LABEL: func.func private @layer_exit(
// CHECK-LABEL: func.func private @layer(
// CHECK:         loom.cached_attention
// CHECK-LABEL: func.func @both(
// CHECK:         call @layer(
// CHECK:         loom.loop 3 times
// CHECK:           call @layer_exit(
func.func private @layer(%h: tensor<?x8xf32>, %kc: memref<?xf32>, %vc: memref<?xf32>, %pos: index, %start: index) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %len = memref.dim %kc, %c0 : memref<?xf32>
  %max = arith.divui %len, %c16 : index
  %off = arith.muli %start, %max : index
  %stride = arith.muli %max, %c8 : index
  %k = memref.reinterpret_cast %kc to offset: [%off], sizes: [1, %max, 8], strides: [%stride, 8, 1] : memref<?xf32> to memref<1x?x8xf32, strided<[?, 8, 1], offset: ?>>
  %v = memref.reinterpret_cast %vc to offset: [%off], sizes: [1, %max, 8], strides: [%stride, 8, 1] : memref<?xf32> to memref<1x?x8xf32, strided<[?, 8, 1], offset: ?>>
  %y = loom.cached_attention %h, %h, %h, %k, %v, %pos, %c0 heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, memref<1x?x8xf32, strided<[?, 8, 1], offset: ?>>, memref<1x?x8xf32, strided<[?, 8, 1], offset: ?>>, index, index) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

func.func @both(%x: tensor<?x8xf32>, %w: tensor<1x8xf32>, %kc: memref<?xf32>, %vc: memref<?xf32>, %pos: index, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %first = func.call @layer(%x, %kc, %vc, %pos, %c0) : (tensor<?x8xf32>, memref<?xf32>, memref<?xf32>, index, index) -> tensor<?x8xf32>
  %0 = loom.loop 3 times(%i) iter_args(%h = %first) exit gate threshold = 0.75 {loom.kv_iteration_width = 8 : i64} : tensor<?x8xf32> {
    %c8 = arith.constant 8 : index
    %start = arith.muli %i, %c8 : index
    %next = func.call @layer(%h, %kc, %vc, %pos, %start) : (tensor<?x8xf32>, memref<?xf32>, memref<?xf32>, index, index) -> tensor<?x8xf32>
    %logits = loom.linear %next, %w : (tensor<?x8xf32>, tensor<1x8xf32>) -> tensor<?x1xf32>
    loom.yield %next, %logits : tensor<?x8xf32>, tensor<?x1xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// Convergence: each row's squared change and squared size in f64, then
// sqrt(change / size) < threshold (a zero row only if it stays zero).

// CHECK-LABEL: func.func @converging(
// CHECK:         loom.loop 6 times
// CHECK:           %[[NEXT:.*]] = loom.scale
// CHECK:           %[[SUMS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %[[NEXT]] : tensor<?x8xf32>, tensor<?x8xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf64>, tensor<?xf64>)
// CHECK:           linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SUMS]]#0, %[[SUMS]]#1 :
// CHECK:             math.sqrt
// CHECK:             arith.cmpf olt
// CHECK:         call @loom_exit_record
func.func @converging(%x: tensor<?x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %0 = loom.loop 6 times(%i) iter_args(%h = %x) exit converge threshold = 1.000000e-02 : tensor<?x8xf32> {
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
