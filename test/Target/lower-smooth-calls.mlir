// RUN: loom-opt %s --loom-lower-smooth-calls --split-input-file | FileCheck %s

// Smoothing scales call the runtime's kernel with the model context, the
// weight, the importance, a new result buffer, alpha and whether the
// inverse is asked for. Scales inside a param's init are left to `prepare`.

// CHECK-LABEL: func.func @scales(
// CHECK-SAME:    %[[W:[a-z0-9]+]]: tensor<64x48xf32>, %[[I:[a-z0-9]+]]: tensor<48xf32>, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[S:.*]] = memref.alloc() : memref<48xf32>
// CHECK:         %[[ALPHA:.*]] = arith.constant 5.000000e-01 : f64
// CHECK:         %[[PLAIN:.*]] = arith.constant 0 : i64
// CHECK:         call @loom_smooth_scales(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ALPHA]], %[[PLAIN]]) : (!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, f64, i64) -> ()
// CHECK:         %[[TS:.*]] = bufferization.to_tensor %[[S]] restrict writable
// CHECK:         %[[INV:.*]] = memref.alloc() : memref<48xf32>
// CHECK:         %[[ALPHA2:.*]] = arith.constant 2.500000e-01 : f64
// CHECK:         %[[INVERSE:.*]] = arith.constant 1 : i64
// CHECK:         call @loom_smooth_scales(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ALPHA2]], %[[INVERSE]])
// CHECK:         %[[TI:.*]] = bufferization.to_tensor %[[INV]] restrict writable
// CHECK:         return %[[TS]], %[[TI]]
func.func @scales(%w: tensor<64x48xf32>, %i: tensor<48xf32>, %ctx: !llvm.ptr {loom.context}) -> (tensor<48xf32>, tensor<48xf32>) {
  %s = loom.smooth_scales %w, %i alpha 5.000000e-01 : (tensor<64x48xf32>, tensor<48xf32>) -> tensor<48xf32>
  %v = loom.smooth_scales %w, %i alpha 2.500000e-01 inverse : (tensor<64x48xf32>, tensor<48xf32>) -> tensor<48xf32>
  return %s, %v : tensor<48xf32>, tensor<48xf32>
}

// -----

// CHECK-LABEL: loom.param @g.smoothed
// CHECK:         loom.smooth_scales
// CHECK-NOT:     call @loom_smooth_scales
loom.param @w : tensor<8x4xf32>
loom.param @w.importance : tensor<4xf32>
loom.param @g.smoothed : tensor<4xf32> init {
  %w = loom.weight @w : tensor<8x4xf32>
  %i = loom.weight @w.importance : tensor<4xf32>
  %s = loom.smooth_scales %w, %i alpha 5.000000e-01 inverse : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  loom.yield %s : tensor<4xf32>
}
