// RUN: loom-opt %s --loom-place-on-device | FileCheck %s

// What host code of the CUDA target's device build reads from device memory
// (targets/cuda/PlaceOnDevice.cpp): a number a kernel computed (how many
// tokens still run an adaptive loop), from a small dense buffer, and the
// buffers a runtime function takes (the tokens' depths for the program's
// statistics); each is copied to a host buffer first.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME:    %[[CTX:[a-z0-9]+]]: !llvm.ptr, %[[N:[a-z0-9]+]]: index
// CHECK:         %[[COUNT:.*]] = gpu.alloc () : memref<1xi32>
// CHECK:         gpu.launch
// CHECK:           memref.store %{{.*}}, %[[COUNT]]
// CHECK:         %[[HOST:.*]] = memref.alloc() : memref<1xi32>
// CHECK-NEXT:    gpu.memcpy %[[HOST]], %[[COUNT]] : memref<1xi32>, memref<1xi32>
// CHECK-NEXT:    %[[V:.*]] = memref.load %[[HOST]][%{{.*}}] : memref<1xi32>
// CHECK-NEXT:    memref.dealloc %[[HOST]]
// The depths: copied to the host for the call, and back after it.
// CHECK:         %[[DEPTHS:.*]] = gpu.alloc (%[[N]]) : memref<?xi32>
// CHECK:         %[[CAST:.*]] = memref.cast %[[DEPTHS]]
// CHECK:         %[[DIM:.*]] = memref.dim %[[DEPTHS]], %{{.*}} : memref<?xi32>
// CHECK-NEXT:    %[[STAGED:.*]] = memref.alloc(%[[DIM]]) : memref<?xi32>
// CHECK-NEXT:    gpu.memcpy %[[STAGED]], %[[DEPTHS]]
// CHECK-NEXT:    %[[STAGEDCAST:.*]] = memref.cast %[[STAGED]] : memref<?xi32> to memref<?xi32, strided<[?], offset: ?>>
// CHECK-NEXT:    call @loom_exit_record(%[[CTX]], %[[STAGEDCAST]], %{{.*}})
// CHECK-NEXT:    gpu.memcpy %[[DEPTHS]], %[[STAGED]]
// CHECK-NEXT:    memref.dealloc %[[STAGED]]
// CHECK:         return %[[V]]
func.func private @loom_exit_record(!llvm.ptr, memref<?xi32, strided<[?], offset: ?>>, i64)

func.func @forward(%ctx: !llvm.ptr, %n: index) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %count = memref.alloc() : memref<1xi32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %zero, %count[%c0] : memref<1xi32>
    gpu.terminator
  }
  %v = memref.load %count[%c0] : memref<1xi32>
  %depths = memref.alloc(%n) : memref<?xi32>
  %cast = memref.cast %depths : memref<?xi32> to memref<?xi32, strided<[?], offset: ?>>
  %trip = arith.constant 4 : i64
  call @loom_exit_record(%ctx, %cast, %trip) : (!llvm.ptr, memref<?xi32, strided<[?], offset: ?>>, i64) -> ()
  memref.dealloc %depths : memref<?xi32>
  memref.dealloc %count : memref<1xi32>
  return %v : i32
}
