// RUN: not loom-opt %s --loom-convert-weights="type=f8" 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: not loom-opt %s --loom-convert-weights="type=f32" 2>&1 | FileCheck %s --check-prefix=TYPE32

// TYPE: error: --loom-convert-weights: unknown type 'f8'; expected bf16 or f16
// TYPE32: error: --loom-convert-weights: unknown type 'f32'; expected bf16 or f16

func.func @forward(%x: tensor<?x32xf32>, %w: tensor<50x32xf32>) -> tensor<?x50xf32> attributes {loom.entry} {
  %y = loom.linear %x, %w : (tensor<?x32xf32>, tensor<50x32xf32>) -> tensor<?x50xf32>
  return %y : tensor<?x50xf32>
}
