// RUN: loom-opt %s --split-input-file --verify-diagnostics
// RUN: not loom-opt %S/roll-layers.mlir --split-input-file --loom-roll-layers="min-layers=1" 2>&1 | FileCheck %s --check-prefix=MIN
// RUN: not loom-opt %S/roll-layers.mlir --split-input-file --loom-roll-layers="min-layers=two" 2>&1 | FileCheck %s --check-prefix=VALUE

// MIN: error: --loom-roll-layers: min-layers must be at least 2, got 1
// VALUE: for the --min-layers option: 'two' value invalid for long argument

// What the pass writes, `loom.weight_select`, checks its params.

loom.param @a : tensor<8x8xf32>
loom.param @b : tensor<4x8xf32>
func.func @wrong_type(%i: index) -> tensor<8x8xf32> {
  // expected-error @below {{'loom.weight_select' op result type 'tensor<8x8xf32>' does not match the type 'tensor<4x8xf32>' of parameter @b}}
  %w = loom.weight_select [@a, @b][%i] : tensor<8x8xf32>
  return %w : tensor<8x8xf32>
}

// -----

loom.param @a : tensor<8x8xf32>
func.func @unknown(%i: index) -> tensor<8x8xf32> {
  // expected-error @below {{'loom.weight_select' op no loom.param named @c}}
  %w = loom.weight_select [@a, @c][%i] : tensor<8x8xf32>
  return %w : tensor<8x8xf32>
}

// -----

func.func @empty(%i: index) -> tensor<8x8xf32> {
  // expected-error @below {{'loom.weight_select' op selects from no parameters}}
  %w = loom.weight_select [][%i] : tensor<8x8xf32>
  return %w : tensor<8x8xf32>
}

// -----

loom.param @a : tensor<8x8xf32>
// expected-note @below {{prior use here}}
func.func @not_an_index(%i: i64) -> tensor<8x8xf32> {
  // expected-error @below {{use of value '%i' expects different type than prior uses: 'index' vs 'i64'}}
  %w = loom.weight_select [@a][%i] : tensor<8x8xf32>
  return %w : tensor<8x8xf32>
}
