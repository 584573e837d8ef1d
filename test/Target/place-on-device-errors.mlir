// RUN: loom-opt %s --split-input-file --verify-diagnostics --loom-place-on-device

// Host code that reads a buffer of the device.
func.func @forward(%x: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{this would read or write GPU memory on the host; the CUDA target cannot compile it}}
  %v = memref.load %x[%c0] : memref<?xf32>
  return %v : f32
}

// -----

// A kernel that reads the host's bookkeeping.
func.func @forward(%flags: memref<4xi1>, %x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{a kernel reads a buffer of index or i1 elements, which the CUDA target keeps on the host}}
    %f = memref.load %flags[%c0] : memref<4xi1>
    scf.if %f {
      memref.store %one, %x[%c0] : memref<4xf32>
    }
    gpu.terminator
  }
  return
}

// -----

// A stack buffer that a kernel would read.
func.func @forward() {
  // expected-error @+1 {{a stack buffer on the host cannot hold data that kernels read; the CUDA target needs heap buffers}}
  %a = memref.alloca() : memref<4xf32>
  return
}

// -----

// A strided copy left on the host.
func.func @forward(%a: memref<4x4xf32>, %b: memref<4x2xf32>) {
  %s = memref.subview %a[0, 0] [4, 2] [1, 1] : memref<4x4xf32> to memref<4x2xf32, strided<[4, 1]>>
  // expected-error @+1 {{a copy between strided buffers on the host cannot be a GPU copy; lower it to a linalg copy first (--loom-lower-memref-copy)}}
  memref.copy %s, %b : memref<4x2xf32, strided<[4, 1]>> to memref<4x2xf32>
  return
}

// -----

// A function both prepare and forward_last reach is refused as
// --loom-map-to-gpu refuses it.
// expected-error @below {{'shared' is called both by prepare}}
func.func private @shared(%x: memref<4xf32>) {
  return
}
func.func @forward_last(%x: memref<4xf32>) {
  call @shared(%x) : (memref<4xf32>) -> ()
  return
}
func.func @prepare(%x: memref<4xf32>) {
  call @shared(%x) : (memref<4xf32>) -> ()
  return
}

// -----

// A kernel that allocates.
func.func @forward(%x: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{a kernel allocates a buffer; the CUDA target allocates on the host only}}
    %a = memref.alloc() : memref<4xf32>
    gpu.terminator
  }
  return
}


// -----

// A runtime function given a strided view of a device buffer.
func.func private @loom_exit_record(!llvm.ptr, memref<?xi32, strided<[?], offset: ?>>, i64)

func.func @forward(%ctx: !llvm.ptr) {
  %buffer = memref.alloc() : memref<8xi32>
  %view = memref.subview %buffer[0] [4] [2] : memref<8xi32> to memref<4xi32, strided<[2]>>
  %cast = memref.cast %view : memref<4xi32, strided<[2]>> to memref<?xi32, strided<[?], offset: ?>>
  %trip = arith.constant 4 : i64
  // expected-error @+1 {{a runtime function called on the host reads a strided GPU buffer, which the CUDA target cannot copy to the host}}
  call @loom_exit_record(%ctx, %cast, %trip) : (!llvm.ptr, memref<?xi32, strided<[?], offset: ?>>, i64) -> ()
  memref.dealloc %buffer : memref<8xi32>
  return
}

// -----

// A host read of a device buffer too large to copy back for one number.
func.func @forward(%n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %buffer = memref.alloc() : memref<64xf32>
  // expected-error @+1 {{this would read or write GPU memory on the host; the CUDA target cannot compile it}}
  %v = memref.load %buffer[%c0] : memref<64xf32>
  memref.dealloc %buffer : memref<64xf32>
  return %v : f32
}
