// RUN: loom-opt %s --loom-loopify="blocks=2 rank=4" --split-input-file --verify-diagnostics
// RUN: not loom-opt %s --split-input-file --loom-loopify="blocks=-1" 2>&1 | FileCheck %s --check-prefix=BLOCKS
// RUN: not loom-opt %s --split-input-file --loom-loopify="blocks=2 init=middle" 2>&1 | FileCheck %s --check-prefix=INIT
// RUN: not loom-opt %s --split-input-file --loom-loopify="blocks=2 rank=-3" 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not loom-opt %s --split-input-file --loom-loopify="blocks=2 rank=3 full-rank=true" 2>&1 | FileCheck %s --check-prefix=BOTH

// RUN: not loom-opt %s --split-input-file --loom-loopify="blocks=2 prefix=p.{i}" 2>&1 | FileCheck %s --check-prefix=PREFIX-VECTORS
// RUN: not loom-opt %s --split-input-file --loom-loopify="blocks=1 share-vectors=true prefix=p.{i}" 2>&1 | FileCheck %s --check-prefix=PREFIX-INDEX
// PREFIX-VECTORS: error: --loom-loopify: prefix names a loop of the language, which shares norm scales and biases too: add share-vectors
// PREFIX-INDEX: error: --loom-loopify: with 1 block the prefix must not have {i}
// BLOCKS: error: --loom-loopify: blocks must not be negative, got -1
// INIT: error: --loom-loopify: unknown init 'middle'; the inits are average and first
// RANK: error: --loom-loopify: rank must not be negative, got -3
// BOTH: error: --loom-loopify: give rank or full-rank, not both

// Three layers do not form two blocks applied alike.
loom.param @l.0.w : tensor<16x16xf32>
loom.param @l.1.w : tensor<16x16xf32>
loom.param @l.2.w : tensor<16x16xf32>
func.func private @layer(%x: tensor<?x16xf32>, %w: tensor<16x16xf32>) -> tensor<?x16xf32> {
  %0 = loom.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %w0 = loom.weight @l.0.w : tensor<16x16xf32>
  %w1 = loom.weight @l.1.w : tensor<16x16xf32>
  %w2 = loom.weight @l.2.w : tensor<16x16xf32>
  // expected-error @+1 {{--loom-loopify: 3 layers cannot be shared by 2 blocks applied alike: the blocks must divide the layers}}
  %0 = func.call @layer(%x, %w0) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %1 = func.call @layer(%0, %w1) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %2 = func.call @layer(%1, %w2) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %2 : tensor<?x16xf32>
}

// -----

// A rank above a shared matrix's smaller side.
loom.param @l.0.w : tensor<3x16xf32>
loom.param @l.1.w : tensor<3x16xf32>
loom.param @l.2.w : tensor<3x16xf32>
loom.param @l.3.w : tensor<3x16xf32>
loom.param @v : tensor<16x3xf32>
func.func private @layer(%x: tensor<?x16xf32>, %w: tensor<3x16xf32> {loom.weight = "w"}, %v: tensor<16x3xf32>) -> tensor<?x16xf32> {
  %0 = loom.linear %x, %w : (tensor<?x16xf32>, tensor<3x16xf32>) -> tensor<?x3xf32>
  %1 = loom.linear %0, %v : (tensor<?x3xf32>, tensor<16x3xf32>) -> tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}
func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %w0 = loom.weight @l.0.w : tensor<3x16xf32>
  %w1 = loom.weight @l.1.w : tensor<3x16xf32>
  %w2 = loom.weight @l.2.w : tensor<3x16xf32>
  %w3 = loom.weight @l.3.w : tensor<3x16xf32>
  %v = loom.weight @v : tensor<16x3xf32>
  // expected-error @+1 {{--loom-loopify: rank 4 is above the smaller side of 'w' ('tensor<3x16xf32>')}}
  %0 = func.call @layer(%x, %w0, %v) : (tensor<?x16xf32>, tensor<3x16xf32>, tensor<16x3xf32>) -> tensor<?x16xf32>
  %1 = func.call @layer(%0, %w1, %v) : (tensor<?x16xf32>, tensor<3x16xf32>, tensor<16x3xf32>) -> tensor<?x16xf32>
  %2 = func.call @layer(%1, %w2, %v) : (tensor<?x16xf32>, tensor<3x16xf32>, tensor<16x3xf32>) -> tensor<?x16xf32>
  %3 = func.call @layer(%2, %w3, %v) : (tensor<?x16xf32>, tensor<3x16xf32>, tensor<16x3xf32>) -> tensor<?x16xf32>
  return %3 : tensor<?x16xf32>
}

// -----

// A delta is added to products; a shared weight read otherwise cannot
// take one.
loom.param @l.0.w : tensor<16x16xf32>
loom.param @l.1.w : tensor<16x16xf32>
loom.param @l.2.w : tensor<16x16xf32>
loom.param @l.3.w : tensor<16x16xf32>
func.func private @layer(%x: tensor<?x16xf32>, %w: tensor<16x16xf32> {loom.weight = "c_attn.weight"}) -> tensor<?x16xf32> {
  // expected-error @+1 {{--loom-loopify: a LoRA delta is added to products, but this reads the shared weight 'c_attn.weight' otherwise; loopify without a rank}}
  %t = loom.transpose %w : tensor<16x16xf32> -> tensor<16x16xf32>
  %0 = loom.linear %x, %t : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %w0 = loom.weight @l.0.w : tensor<16x16xf32>
  %w1 = loom.weight @l.1.w : tensor<16x16xf32>
  %w2 = loom.weight @l.2.w : tensor<16x16xf32>
  %w3 = loom.weight @l.3.w : tensor<16x16xf32>
  %0 = func.call @layer(%x, %w0) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %1 = func.call @layer(%0, %w1) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %2 = func.call @layer(%1, %w2) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %3 = func.call @layer(%2, %w3) : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %3 : tensor<?x16xf32>
}

// -----

// Nothing to share.
// expected-error @+1 {{--loom-loopify: the model has no stack of layers (calls of one block, each with its own weights) to share}}
module {
  loom.param @w : tensor<16x16xf32>
  func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
    %w = loom.weight @w : tensor<16x16xf32>
    %0 = loom.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
    return %0 : tensor<?x16xf32>
  }
}
