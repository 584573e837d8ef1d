// RUN: loom-opt %s --split-input-file --verify-diagnostics --loom-map-to-gpu
// RUN: not loom-opt %s --split-input-file --loom-map-to-gpu="block-size=0" 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: not loom-opt %s --split-input-file --loom-map-to-gpu="block-size=2048" 2>&1 | FileCheck %s --check-prefix=SIZE-BIG

// SIZE: error: block-size must be in [1, 1024], got 0
// SIZE-BIG: error: block-size must be in [1, 1024], got 2048

// A function prepare (host) and forward (GPU) both call.
// expected-error @+1 {{'shared' is called both by prepare, which runs on the host, and by the forward entry points, which run on the GPU}}
func.func private @shared(%x: memref<4xf32>) {
  return
}
func.func @forward(%x: memref<4xf32>) {
  call @shared(%x) : (memref<4xf32>) -> ()
  return
}
func.func @prepare(%x: memref<4xf32>) {
  call @shared(%x) : (memref<4xf32>) -> ()
  return
}

// -----

// A loop on the host that sums device memory into a value the host uses.
func.func @forward(%x: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{this loop would compute its results on the host from GPU memory; the CUDA target cannot compile it}}
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %x[%i] : memref<?xf32>
    %s = arith.addf %acc, %v : f32
    scf.yield %s : f32
  }
  return %sum : f32
}
