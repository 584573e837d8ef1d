// RUN: loom-opt %s --loom-quantize-weights="include=\.w$ overrides=l0\.=q4_0" --split-input-file --verify-diagnostics
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="format=q3_k" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="layers=attention,mlp" 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="include=(" 2>&1 | FileCheck %s --check-prefix=REGEX

// FORMAT: error: --loom-quantize-weights: unknown format 'q3_k'; the formats are q8_0, q4_0, q4_1, q4_k and int8
// KIND: error: --loom-quantize-weights: unknown layer kind 'mlp'; the kinds are attention, ffn, head, other, embedding
// REGEX: error: --loom-quantize-weights: bad pattern '(': parentheses not balanced
// RUN: not loom-opt %S/Inputs/narrow-embedding.mlir --loom-quantize-weights="layers=embedding" 2>&1 | FileCheck %s --check-prefix=EMBEDROWS
// EMBEDROWS: narrow-embedding.mlir:5:8: error: cannot quantize this embedding table to q8_0: its rows have 48 values, not a multiple of the group size 32
// RUN: not loom-opt %S/Inputs/nested-blocks.mlir --loom-quantize-weights="importance=true" 2>&1 | FileCheck %s --check-prefix=NESTED
// NESTED: error: importance for a weight in a block called from another block is not supported yet
// RUN: not loom-opt %S/Inputs/importance-declared.mlir --loom-quantize-weights="importance=true" 2>&1 | FileCheck %s --check-prefix=DECLARED
// DECLARED: error: the importance 'a.w.importance' is declared as 'tensor<16xf32>' but this product has 32 input channels
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="overrides=down" 2>&1 | FileCheck %s --check-prefix=OVERRIDE
// OVERRIDE: error: --loom-quantize-weights: bad override 'down'; write PATTERN=FORMAT with a format of q8_0, q4_0, q4_1, q4_k or int8
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="overrides=down=q5_k" 2>&1 | FileCheck %s --check-prefix=OVERRIDE2
// OVERRIDE2: error: --loom-quantize-weights: bad override 'down=q5_k'
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="overrides=[=q8_0" 2>&1 | FileCheck %s --check-prefix=OVERRIDE3
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="overrides=down=q8_0:a12" 2>&1 | FileCheck %s --check-prefix=OVERRIDE4
// OVERRIDE4: error: --loom-quantize-weights: bad override 'down=q8_0:a12'; write PATTERN=FORMAT with a format of q8_0, q4_0, q4_1, q4_k or int8, optionally with :int8, :int8x2 or :bf16 for how its inputs are rounded
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="overrides=down=q8_0:" 2>&1 | FileCheck %s --check-prefix=OVERRIDE5
// OVERRIDE5: error: --loom-quantize-weights: bad override 'down=q8_0:'
// RUN: not loom-opt %s --split-input-file --loom-quantize-weights="inputs=fp8" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: --loom-quantize-weights: unknown inputs 'fp8'; expected int8, int8x2 or bf16
// RUN: not loom-opt %S/Inputs/covariance-declared.mlir --loom-quantize-weights="covariance=true" 2>&1 | FileCheck %s --check-prefix=COVDECL
// COVDECL: error: the covariance 'a.w.covariance' is declared as 'tensor<32x16xf32>' but this product has 32 input channels
// OVERRIDE3: error: --loom-quantize-weights: bad pattern in override '[=q8_0': brackets ([ ]) not balanced

// Rows of 48 weights are not whole blocks of 32.
loom.param @a.w : tensor<16x48xf32>
func.func @forward(%x: tensor<?x48xf32>) -> tensor<?x16xf32> {
  %w = loom.weight @a.w : tensor<16x48xf32>
  // expected-error @below {{cannot quantize this product's weight to q8_0: its rows have 48 weights, not a multiple of the group size 32}}
  %y = loom.linear %x, %w : (tensor<?x48xf32>, tensor<16x48xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A pattern that selects nothing is a warning, and nothing changes.
// expected-warning @+2 {{--loom-quantize-weights: the include pattern '\.w$' matches no weight it quantizes}}
// expected-warning @+1 {{--loom-quantize-weights: the override 'l0\.=q4_0' matches no weight it quantizes}}
module {
  loom.param @a.v : tensor<16x32xf32>
  func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x16xf32> {
    %w = loom.weight @a.v : tensor<16x32xf32>
    %y = loom.linear %x, %w : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
    return %y : tensor<?x16xf32>
  }
}

// -----

// Only f32 weights are quantized.
loom.param @a.w : tensor<16x32xf16>
func.func @forward(%x: tensor<?x32xf16>) -> tensor<?x16xf16> {
  %w = loom.weight @a.w : tensor<16x32xf16>
  // expected-error @below {{only static f32 matrices can be quantized, got 'tensor<16x32xf16>'}}
  %y = loom.linear %x, %w : (tensor<?x32xf16>, tensor<16x32xf16>) -> tensor<?x16xf16>
  return %y : tensor<?x16xf16>
}
