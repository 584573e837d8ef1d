// RUN: loom-opt %s --split-input-file --verify-diagnostics
// RUN: not loom-opt %S/fuse-activation.mlir --split-input-file --loom-fuse-activation="unknown=1" 2>&1 | FileCheck %s --check-prefix=OPTION

// The pass itself takes any verified IR; what can be wrong is the IR it
// reads and its options.

// OPTION: no such option unknown

func.func @unknown_activation(%x: tensor<?x16xf32>, %w: tensor<16x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{unknown activation 'swish'}}
  %0 = loom.linear %x, %w activation swish : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

func.func @activation_before_format(%x: tensor<?x64xf32>, %q: tensor<16x68xi8>) -> tensor<?x16xf32> {
  // expected-error @+1 {{expected ':'}}
  %0 = loom.linear %x, %q activation gelu format q8_0 : (tensor<?x64xf32>, tensor<16x68xi8>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
