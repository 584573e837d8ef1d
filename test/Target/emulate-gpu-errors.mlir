// RUN: loom-opt %s --split-input-file --verify-diagnostics --loom-emulate-gpu

// Threads that wait for each other cannot run one after another.
func.func @barrier(%x: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{cannot emulate a launch whose threads synchronize}}
    gpu.barrier
    gpu.terminator
  }
  return
}

// -----

// An asynchronous launch.
func.func @async(%x: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %t = gpu.wait async
  // expected-error @+1 {{cannot emulate an asynchronous launch}}
  %done = gpu.launch async [%t] blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    gpu.terminator
  }
  gpu.wait [%done]
  return
}

// -----

// A warp's lanes compute a tensor-core product together.
func.func @warp_product(%a: vector<4x1xf32>, %b: vector<2x1xf32>, %c: vector<2x2xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{cannot emulate a warp-level operation (the tensor cores' products: build without them)}}
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
    gpu.terminator
  }
  return
}
