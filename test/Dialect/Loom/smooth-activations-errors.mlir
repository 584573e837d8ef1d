// RUN: loom-opt %s --split-input-file --loom-smooth-activations --verify-diagnostics
// RUN: not loom-opt %s --split-input-file --loom-smooth-activations="alpha=1.5" 2>&1 | FileCheck %s --check-prefix=ALPHA
// ALPHA: error: --loom-smooth-activations: alpha must be in [0, 1], got 1.5
// RUN: loom-opt %S/Inputs/no-products.mlir --loom-smooth-activations="all-products=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=NONE
// NONE: warning: --loom-smooth-activations: no product could be smoothed; nothing was

// The statistics are read by the name of the weight: a weight that is a
// function argument has none.
func.func @unnamed(%x: tensor<?x32xf32>, %g: tensor<32xf32>, %w: tensor<16x32xf32>) -> tensor<?x16xf32> {
  %n = loom.rms_norm %x, %g eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>
  // expected-error @below {{importance is read by the name of the weight, but this weight does not come from the model's params}}
  %y = loom.linear %n, %w : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Nothing to smooth: every norm also feeds a residual.
// expected-warning @below {{--loom-smooth-activations: no norm feeds only linear layers (post-norm models' norms feed the residual too); nothing was smoothed. all-products=true (loomc --smooth-all-products) smooths every product's own input}}
module {
  loom.param @g : tensor<32xf32>
  loom.param @w : tensor<32x32xf32>
  func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
    %g = loom.weight @g : tensor<32xf32>
    %n = loom.rms_norm %x, %g eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>
    %w = loom.weight @w : tensor<32x32xf32>
    %y = loom.linear %n, %w residual %n : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
    return %y : tensor<?x32xf32>
  }
}
