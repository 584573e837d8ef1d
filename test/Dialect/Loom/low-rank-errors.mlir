// RUN: loom-opt %s --loom-low-rank="rank=24 include=\.w$" --split-input-file --verify-diagnostics
// RUN: not loom-opt %s --split-input-file --loom-low-rank="rank=-1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not loom-opt %s --split-input-file --loom-low-rank="keep=1" 2>&1 | FileCheck %s --check-prefix=KEEP
// RUN: not loom-opt %s --split-input-file --loom-low-rank="keep=-0.5" 2>&1 | FileCheck %s --check-prefix=KEEP2
// RUN: not loom-opt %s --split-input-file --loom-low-rank="rank=4 keep=0.5" 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not loom-opt %s --split-input-file --loom-low-rank="rank=4 multiple-of=0" 2>&1 | FileCheck %s --check-prefix=MULTIPLE
// RUN: not loom-opt %s --split-input-file --loom-low-rank="rank=4 layers=mlp" 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: not loom-opt %s --split-input-file --loom-low-rank="rank=4 exclude=(" 2>&1 | FileCheck %s --check-prefix=REGEX

// NEGATIVE: error: --loom-low-rank: rank must not be negative, got -1
// KEEP: error: --loom-low-rank: keep must be in [0, 1), got 1
// KEEP2: error: --loom-low-rank: keep must be in [0, 1), got -0.5
// BOTH: error: --loom-low-rank: give rank or keep, not both
// MULTIPLE: error: --loom-low-rank: multiple-of must be positive, got 0
// KIND: error: --loom-low-rank: unknown layer kind 'mlp'; the kinds are attention, ffn, head, other
// REGEX: error: --loom-low-rank: bad pattern '(': parentheses not balanced

// A rank above the weight's smaller side.
loom.param @a.w : tensor<64x16xf32>
func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x64xf32> {
  %w = loom.weight @a.w : tensor<64x16xf32>
  // expected-error @below {{--loom-low-rank: rank 24 is above the smaller side of this product's weight 'tensor<64x16xf32>'}}
  %y = loom.linear %x, %w : (tensor<?x16xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A block's product selected in one call and not in the other.
loom.param @l0.w : tensor<64x64xf32>
loom.param @l1.v : tensor<64x64xf32>
func.func private @layer(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>) -> tensor<?x64xf32> {
  // expected-error @below {{the name patterns factor this product when it reads 'l0.w' but not when it reads 'l1.v'; a block's products are factored alike in every call}}
  %y = loom.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w0 = loom.weight @l0.w : tensor<64x64xf32>
  %w1 = loom.weight @l1.v : tensor<64x64xf32>
  %0 = func.call @layer(%x, %w0) : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %1 = func.call @layer(%0, %w1) : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  return %1 : tensor<?x64xf32>
}

// -----

// An include pattern that matches nothing is a warning.
// expected-warning @+1 {{--loom-low-rank: the include pattern '\.w$' matches no weight it factors}}
module {
  loom.param @a.v : tensor<64x64xf32>
  func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
    %w = loom.weight @a.v : tensor<64x64xf32>
    %y = loom.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    return %y : tensor<?x64xf32>
  }
}
