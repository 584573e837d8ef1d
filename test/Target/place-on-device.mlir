// RUN: loom-opt %s --loom-place-on-device | FileCheck %s

// The CUDA target's placement (targets/cuda/PlaceOnDevice.cpp): after the
// mapping, the buffers of what the forward entry points reach are device
// memory; the deallocation's bookkeeping (i1, index) and prepare's buffers
// stay on the host.

// CHECK-LABEL: func.func @forward(
// A constant global is copied to the device once a call, at the start ...
// CHECK-NEXT: %[[HOST:.*]] = memref.get_global @freqs
// CHECK-NEXT: %[[FREQS:.*]] = gpu.alloc () : memref<4xf32>
// CHECK-NEXT: gpu.memcpy %[[FREQS]], %[[HOST]]
// CHECK: %[[BUF:.*]] = gpu.alloc (%arg1) : memref<?xf32>
// CHECK: %[[KEEP:.*]] = memref.alloc() : memref<2xi1>
// CHECK: memref.store %{{.*}}, %[[KEEP]]
// CHECK: gpu.launch
// CHECK: memref.load %[[FREQS]]
// CHECK: memref.store %{{.*}}, %[[BUF]]
// CHECK: %[[OUT:.*]] = gpu.alloc (%arg1) : memref<?xf32>
// CHECK-NEXT: gpu.memcpy %[[OUT]], %[[BUF]]
// A second read of the global uses the same copy.
// CHECK: gpu.launch
// CHECK: memref.load %[[FREQS]]
// The bookkeeping's own copies stay on the host.
// CHECK: %[[KEPT:.*]] = memref.alloc() : memref<2xi1>
// CHECK-NEXT: memref.copy %[[KEEP]], %[[KEPT]]
// CHECK-NEXT: gpu.dealloc %[[BUF]]
// CHECK-NEXT: memref.dealloc %[[KEPT]]
// CHECK-NEXT: memref.dealloc %[[KEEP]]
// ... and freed at each return.
// CHECK-NEXT: gpu.dealloc %[[FREQS]]
// CHECK-NEXT: return %[[OUT]]
// CHECK-LABEL: func.func @prepare(
// CHECK: memref.alloc(%arg0)
// CHECK-NEXT: memref.dealloc

memref.global "private" constant @freqs : memref<4xf32> = dense<[1.0, 0.5, 0.25, 0.125]>

func.func @forward(%a: memref<?xf32>, %n: index) -> memref<?xf32> {
  %buf = memref.alloc(%n) : memref<?xf32>
  %bookkeeping = memref.alloc() : memref<2xi1>
  %c0 = arith.constant 0 : index
  %true = arith.constant true
  memref.store %true, %bookkeeping[%c0] : memref<2xi1>
  %f = memref.get_global @freqs : memref<4xf32>
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %f[%c0] : memref<4xf32>
    memref.store %v, %buf[%c0] : memref<?xf32>
    gpu.terminator
  }
  %out = memref.alloc(%n) : memref<?xf32>
  memref.copy %buf, %out : memref<?xf32> to memref<?xf32>
  %second = memref.get_global @freqs : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %second[%c1] : memref<4xf32>
    memref.store %v, %buf[%c1] : memref<?xf32>
    gpu.terminator
  }
  %kept = memref.alloc() : memref<2xi1>
  memref.copy %bookkeeping, %kept : memref<2xi1> to memref<2xi1>
  memref.dealloc %buf : memref<?xf32>
  memref.dealloc %kept : memref<2xi1>
  memref.dealloc %bookkeeping : memref<2xi1>
  return %out : memref<?xf32>
}

// A helper on the bookkeeping alone (the deallocation's) may serve prepare
// and the entry points both.
func.func private @helper(%flags: memref<2xi1>) {
  return
}

func.func @forward_last(%flags: memref<2xi1>) {
  call @helper(%flags) : (memref<2xi1>) -> ()
  return
}

func.func @prepare(%n: index) {
  %flags = memref.alloc() : memref<2xi1>
  call @helper(%flags) : (memref<2xi1>) -> ()
  memref.dealloc %flags : memref<2xi1>
  %tmp = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %tmp : memref<?xf32>
  return
}
