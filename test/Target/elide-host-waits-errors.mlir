// RUN: loom-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(loom-elide-host-waits))" | FileCheck %s

// The waits --loom-elide-host-waits must keep. The pass has no diagnostics
// of its own (a wait kept is still correct, only slower); without each
// wait below, the host could read or free what the GPU has not finished.

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @count(%x: memref<1xf32>) kernel {
      gpu.return
    }
  }

  // A number copied to the host, which reads it (a loop's exit count).
  // CHECK-LABEL: func.func @host_reads(
  // CHECK:         gpu.memcpy
  // CHECK-NEXT:    gpu.wait [
  // CHECK-NEXT:    memref.load
  func.func @host_reads(%x: memref<1xf32>) -> f32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %staging = memref.alloc() : memref<1xf32>
    %t0 = gpu.wait async
    %t1 = gpu.launch_func async [%t0] @kernels::@count blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<1xf32>)
    %t2 = gpu.memcpy async [%t1] %staging, %x : memref<1xf32>, memref<1xf32>
    gpu.wait [%t2]
    %v = memref.load %staging[%c0] : memref<1xf32>
    memref.dealloc %staging : memref<1xf32>
    return %v : f32
  }

  // A host buffer copied to the device, which the host then frees; and a
  // device copy from a global the host may write.
  memref.global "private" @state : memref<4xf32> = dense<0.0>
  // CHECK-LABEL: func.func @host_source(
  // CHECK:         gpu.memcpy
  // CHECK-NEXT:    gpu.wait [
  // CHECK-NEXT:    memref.dealloc
  // CHECK:         gpu.memcpy
  // CHECK-NEXT:    gpu.wait [
  func.func @host_source(%x: memref<4xf32>) {
    %staging = memref.alloc() : memref<4xf32>
    %t0 = gpu.wait async
    %t1 = gpu.memcpy async [%t0] %x, %staging : memref<4xf32>, memref<4xf32>
    gpu.wait [%t1]
    memref.dealloc %staging : memref<4xf32>
    %state = memref.get_global @state : memref<4xf32>
    %t2 = gpu.wait async
    %t3 = gpu.memcpy async [%t2] %x, %state : memref<4xf32>, memref<4xf32>
    gpu.wait [%t3]
    return
  }

  // The copy is behind a later device operation in the chain: still kept.
  // CHECK-LABEL: func.func @copy_earlier_in_chain(
  // CHECK:         gpu.dealloc
  // CHECK-NEXT:    gpu.wait [
  func.func @copy_earlier_in_chain(%x: memref<1xf32>, %n: index) {
    %staging = memref.alloc() : memref<1xf32>
    %t0 = gpu.wait async
    %buffer, %t1 = gpu.alloc async [%t0] (%n) : memref<?xf32>
    %t2 = gpu.memcpy async [%t1] %staging, %x : memref<1xf32>, memref<1xf32>
    %t3 = gpu.dealloc async [%t2] %buffer : memref<?xf32>
    gpu.wait [%t3]
    memref.dealloc %staging : memref<1xf32>
    return
  }

  // A token from elsewhere (a block argument): its work is not seen.
  // CHECK-LABEL: func.func @token_argument(
  // CHECK:         gpu.wait [
  func.func @token_argument(%t: !gpu.async.token) {
    gpu.wait [%t]
    return
  }

  // Memory shared with the host, which reads it without a copy.
  // CHECK-LABEL: func.func @shared_memory(
  // CHECK:         gpu.memcpy
  // CHECK-NEXT:    gpu.wait [
  func.func @shared_memory(%x: memref<4xf32>) {
    %t0 = gpu.wait async
    %shared, %t1 = gpu.alloc async [%t0] host_shared () : memref<4xf32>
    %t2 = gpu.memcpy async [%t1] %shared, %x : memref<4xf32>, memref<4xf32>
    gpu.wait [%t2]
    return
  }
}
