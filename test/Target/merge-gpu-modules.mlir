// RUN: loom-opt %s --loom-merge-gpu-modules | FileCheck %s

// The CUDA target's kernels in one module (targets/cuda/MergeGpuModules.cpp):
// the launches name the kernels where they moved; a kernel whose name the
// first module holds already is renamed.

// CHECK: gpu.module @first_kernel {
// CHECK-DAG: gpu.func @first_kernel(
// CHECK-DAG: gpu.func @second_kernel(
// CHECK-DAG: gpu.func @first_kernel_0(
// CHECK: }
// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @forward(
// CHECK: gpu.launch_func @first_kernel::@first_kernel
// CHECK: gpu.launch_func @first_kernel::@second_kernel
// CHECK: gpu.launch_func @first_kernel::@first_kernel_0

module attributes {gpu.container_module} {
  gpu.module @first_kernel {
    gpu.func @first_kernel(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @second_kernel {
    gpu.func @second_kernel(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @third {
    gpu.func @first_kernel(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @forward(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @first_kernel::@first_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @second_kernel::@second_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @third::@first_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
}
