// RUN: loom-opt %s --loom-lower-low-rank-calls --split-input-file | FileCheck %s

// A factor calls the runtime's kernel with the model context, the weight,
// the importance (an empty buffer if none), a new result buffer, the part
// (0: a, 1: b) and the rank. Factors inside a param's init are left to
// `prepare`.

// CHECK-LABEL: func.func @factors(
// CHECK-SAME:    %[[W:[a-z0-9]+]]: tensor<64x48xf32>, %[[I:[a-z0-9]+]]: tensor<48xf32>, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[A:.*]] = memref.alloc() : memref<16x48xf32>
// CHECK:         %[[NONE:.*]] = memref.alloca() : memref<0xf32>
// CHECK:         %[[PARTA:.*]] = arith.constant 0 : i64
// CHECK:         %[[RANK:.*]] = arith.constant 16 : i64
// CHECK:         call @loom_low_rank(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %[[PARTA]], %[[RANK]]) : (!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64) -> ()
// CHECK:         %[[TA:.*]] = bufferization.to_tensor %[[A]] restrict writable
// CHECK:         %[[B:.*]] = memref.alloc() : memref<64x16xf32>
// CHECK:         %[[IMP:.*]] = bufferization.to_buffer %[[I]] read_only
// CHECK:         %[[PARTB:.*]] = arith.constant 1 : i64
// CHECK:         call @loom_low_rank(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %[[PARTB]], %{{.*}})
// CHECK:         %[[TB:.*]] = bufferization.to_tensor %[[B]] restrict writable
// CHECK:         return %[[TA]], %[[TB]]
func.func @factors(%w: tensor<64x48xf32>, %i: tensor<48xf32>, %ctx: !llvm.ptr {loom.context}) -> (tensor<16x48xf32>, tensor<64x16xf32>) {
  %a = loom.low_rank %w part "a" rank 16 : (tensor<64x48xf32>) -> tensor<16x48xf32>
  %b = loom.low_rank %w importance %i part "b" rank 16 : (tensor<64x48xf32>, tensor<48xf32>) -> tensor<64x16xf32>
  return %a, %b : tensor<16x48xf32>, tensor<64x16xf32>
}

// -----

// CHECK-LABEL: loom.param @w.rank4.a
// CHECK:         loom.low_rank
loom.param @w : tensor<8x8xf32>
loom.param @w.rank4.a : tensor<4x8xf32> init {
  %0 = loom.weight @w : tensor<8x8xf32>
  %1 = loom.low_rank %0 part "a" rank 4 : (tensor<8x8xf32>) -> tensor<4x8xf32>
  loom.yield %1 : tensor<4x8xf32>
}
