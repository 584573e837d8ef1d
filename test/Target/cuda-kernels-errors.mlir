// RUN: not loom-opt %s --loom-cuda-kernels="chip=x86" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not loom-opt %s --loom-cuda-kernels="block-size=0" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not loom-opt %s --loom-cuda-kernels="format=elf" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not loom-opt %s --loom-cuda-kernels="threads=4" 2>&1 | FileCheck %s --check-prefix=OPTION

// Bad options of the CUDA target's kernel pipeline: a message, no crash.
// CHIP: error: the GPU architecture must be sm_NN (sm_80, sm_90a, ...), got 'x86'
// BLOCK: error: block-size must be in [1, 1024], got 0
// FORMAT: error: format must be isa, bin or fatbin, got 'elf'
// OPTION: no such option threads

func.func @f() {
  return
}
