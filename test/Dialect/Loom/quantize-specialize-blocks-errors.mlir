// RUN: loom-opt %s --loom-quantize-weights="overrides=l0\.=q4_0" --verify-diagnostics
// A block called from a block must agree on how its products round inputs too.
// RUN: not loom-opt %s --loom-quantize-weights="overrides=l0\.=q8_0:bf16" 2>&1 | FileCheck %s --check-prefix=BITSAGREE
// BITSAGREE: error: the overrides quantize this product in q8_0 with bf16 inputs when it reads 'l0.w' but in q8_0 when it reads 'l1.w'; a block called from another block quantizes its products alike in every call

// A block called from another block is not specialized: its product is
// quantized alike in every call of the outer block.
loom.param @l0.w : tensor<32x32xf32>
loom.param @l1.w : tensor<32x32xf32>
func.func private @Inner(%x: tensor<?x32xf32>, %w: tensor<32x32xf32>) -> tensor<?x32xf32> {
  // expected-error @below {{the overrides quantize this product in q4_0 when it reads 'l0.w' but in q8_0 when it reads 'l1.w'; a block called from another block quantizes its products alike in every call}}
  %y = loom.linear %x, %w : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func private @Outer(%x: tensor<?x32xf32>, %w: tensor<32x32xf32>) -> tensor<?x32xf32> {
  %y = call @Inner(%x, %w) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %0 = loom.weight @l0.w : tensor<32x32xf32>
  %1 = loom.weight @l1.w : tensor<32x32xf32>
  %h = call @Outer(%x, %0) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  %y = call @Outer(%h, %1) : (tensor<?x32xf32>, tensor<32x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
