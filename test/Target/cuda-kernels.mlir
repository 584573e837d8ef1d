// REQUIRES: cuda-toolkit
// RUN: loom-opt %s --loom-cuda-kernels="chip=sm_90a format=isa" | FileCheck %s
// RUN: loom-opt %s --loom-cuda-kernels="chip=sm_80 format=bin" | FileCheck %s --check-prefix=BIN
// RUN: loom-opt %s --loom-cuda-kernels="chip=sm_90a format=fatbin" | FileCheck %s --check-prefix=BIN

// The CUDA target's kernel pipeline (targets/cuda/CudaTarget.cpp) on
// bufferized linalg: each loop nest becomes a kernel (one thread an output
// element, 256 a block, a guard at the edge), compiled to PTX for the chip
// with libdevice's math, and assembled by the toolkit's ptxas (sm_80) and
// fatbinary (sm_90a) into the host module; the host launches it through
// gpu.launch_func, which MLIR's host lowering turns into the runtime's
// mgpuLaunchKernel. Nothing here runs on a GPU.

// CHECK-LABEL: llvm.func @add_exp(
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @add_exp_kernel::@add_exp_kernel blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}})
// One binary holds every kernel (one ptxas run).
// CHECK: gpu.binary @add_exp_kernel
// CHECK-SAME: .target sm_90a
// CHECK-SAME: .entry add_exp_kernel
// CHECK-SAME: ld.global.b32
// CHECK-SAME: ex2.approx
// CHECK-SAME: .entry row_sum_kernel
// CHECK-SAME: add.rn.f32
// CHECK-LABEL: llvm.func @row_sum(
// CHECK: gpu.launch_func {{.*}} @add_exp_kernel::@row_sum_kernel
// CHECK-NOT: gpu.binary
// BIN: gpu.binary @add_exp_kernel
// BIN-NOT: gpu.binary

func.func @add_exp(%a: memref<?xf32>, %b: memref<?xf32>, %c: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a, %b : memref<?xf32>, memref<?xf32>) outs(%c : memref<?xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %s = arith.addf %x, %y : f32
    %e = math.exp %s : f32
    linalg.yield %e : f32
  }
  return
}

// A reduction: each thread sums one row.
func.func @row_sum(%x: memref<?x64xf32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<?x64xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return
}
