// RUN: loom-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(loom-elide-host-waits))" | FileCheck %s

// The waits --loom-elide-host-waits removes: after work that only touches
// device memory, the host goes on queueing (the GPU runs a thread's work in
// order, on its one stream). The IR is what `gpu-async-region` makes.

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @scale(%x: memref<?xf32>) kernel {
      gpu.return
    }
  }

  // Launches, allocations, a device copy, a fill and a deallocation, then
  // a branch: the block's wait goes; so does the one before a call.
  // CHECK-LABEL: func.func @layer(
  // CHECK-NOT:     gpu.wait [
  // CHECK:         cf.br ^bb1
  // CHECK:       ^bb1:
  // CHECK-NOT:     gpu.wait [
  // CHECK:         call @other
  // CHECK-NOT:     gpu.wait [
  // CHECK:         return
  func.func @layer(%x: memref<?xf32>, %n: index) {
    %c1 = arith.constant 1 : index
    %zero = arith.constant 0.0 : f32
    %t0 = gpu.wait async
    %buffer, %t1 = gpu.alloc async [%t0] (%n) : memref<?xf32>
    %t2 = gpu.launch_func async [%t1] @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buffer : memref<?xf32>)
    %t3 = gpu.memcpy async [%t2] %x, %buffer : memref<?xf32>, memref<?xf32>
    %t4 = gpu.memset async [%t3] %buffer, %zero : memref<?xf32>, f32
    %t5 = gpu.dealloc async [%t4] %buffer : memref<?xf32>
    gpu.wait [%t5]
    cf.br ^bb1
  ^bb1:
    %t6 = gpu.wait async
    %t7 = gpu.launch_func async [%t6] @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    gpu.wait [%t7]
    call @other(%x) : (memref<?xf32>) -> ()
    %t8 = gpu.wait async
    %t9 = gpu.launch_func async [%t8] @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    gpu.wait [%t9]
    return
  }
  func.func private @other(%x: memref<?xf32>)

  // A constant table copied to the device (RoPE's frequencies): the host
  // never changes it, so nothing waits for the copy.
  memref.global "private" constant @table : memref<8xf32> = dense<1.0>
  // CHECK-LABEL: func.func @table_copy(
  // CHECK:         gpu.memcpy
  // CHECK-NOT:     gpu.wait [
  // CHECK:         cf.br
  func.func @table_copy() {
    %table = memref.get_global @table : memref<8xf32>
    %t0 = gpu.wait async
    %device, %t1 = gpu.alloc async [%t0] () : memref<8xf32>
    %t2 = gpu.memcpy async [%t1] %device, %table : memref<8xf32>, memref<8xf32>
    %t3 = gpu.dealloc async [%t2] %device : memref<8xf32>
    gpu.wait [%t3]
    cf.br ^bb1
  ^bb1:
    return
  }

  // An entry point: its waits go, and it waits for the thread's stream
  // (all it queued) before it returns, so its results are then complete.
  // CHECK-LABEL: func.func @forward(
  // CHECK-NOT:     gpu.wait [
  // CHECK:         cf.br ^bb1
  // CHECK:       ^bb1:
  // CHECK-NOT:     gpu.wait [
  // CHECK:         gpu.launch_func
  // CHECK-NEXT:    %[[STREAM:.*]] = gpu.wait async
  // CHECK-NEXT:    gpu.wait [%[[STREAM]]]
  // CHECK-NEXT:    return
  func.func @forward(%x: memref<?xf32>) attributes {loom.entry} {
    %c1 = arith.constant 1 : index
    %t0 = gpu.wait async
    %t1 = gpu.launch_func async [%t0] @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    gpu.wait [%t1]
    cf.br ^bb1
  ^bb1:
    %t2 = gpu.wait async
    %t3 = gpu.launch_func async [%t2] @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    gpu.wait [%t3]
    return
  }
}
