// RUN: loom-opt %s --verify-diagnostics --loom-merge-gpu-modules

// Modules compiled for different GPUs stay apart.
module attributes {gpu.container_module} {
  gpu.module @a [#nvvm.target<chip = "sm_80">] {
    gpu.func @a(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
  // expected-error @+1 {{cannot merge GPU modules with different targets}}
  gpu.module @b [#nvvm.target<chip = "sm_90a">] {
    gpu.func @b(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
