// RUN: loom-opt %s --loom-lower-library-calls --split-input-file --verify-diagnostics

// A kernel call passes the model context; a function without one cannot
// make it.

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @no_context(%x: memref<?x4xf32>, %w: memref<8x4xf32>, %out: memref<?x8xf32>) {
  // expected-error @+1 {{library calls pass the model context, but the enclosing function has no 'loom.context' argument}}
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "loom_sgemm_nt"} ins(%x, %w : memref<?x4xf32>, memref<8x4xf32>) outs(%out : memref<?x8xf32>) {
  ^bb0(%l: f32, %r: f32, %acc: f32):
    %p = arith.mulf %l, %r : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Before bufferization there are no buffers to pass.

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @tensors(%x: tensor<?x4xf32>, %w: tensor<8x4xf32>, %out: tensor<?x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  // expected-error @+1 {{library calls need buffers: bufferize first}}
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "loom_sgemm_nt"} ins(%x, %w : tensor<?x4xf32>, tensor<8x4xf32>) outs(%out : tensor<?x8xf32>) {
  ^bb0(%l: f32, %r: f32, %acc: f32):
    %p = arith.mulf %l, %r : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// The kernels are f32: a product of another element type has none.

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @half(%x: memref<?x4xf16>, %w: memref<8x4xf16>, %out: memref<?x8xf16>, %ctx: !llvm.ptr {loom.context}) {
  // expected-error @+1 {{the runtime has no 'loom_sgemm_nt' kernel for 'memref<?x4xf16>'; its products take f32 activations}}
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], library_call = "loom_sgemm_nt"} ins(%x, %w : memref<?x4xf16>, memref<8x4xf16>) outs(%out : memref<?x8xf16>) {
  ^bb0(%l: f16, %r: f16, %acc: f16):
    %p = arith.mulf %l, %r : f16
    %s = arith.addf %acc, %p : f16
    linalg.yield %s : f16
  }
  return
}

// -----

// A scalar operand is no buffer a kernel can take.
#a = affine_map<(i, j) -> (i, j)>
#s = affine_map<(i, j) -> ()>
#trait = {indexing_maps = [#a, #s, #a],
          iterator_types = ["parallel", "parallel"],
          library_call = "loom_sgemm_nt"}
func.func @scalar(%x: memref<?x4xf32>, %s: f32, %out: memref<?x4xf32>, %ctx: !llvm.ptr {loom.context}) {
  // expected-error @below {{the runtime has no 'loom_sgemm_nt' kernel for 'f32'}}
  linalg.generic #trait ins(%x, %s : memref<?x4xf32>, f32) outs(%out : memref<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  return
}
