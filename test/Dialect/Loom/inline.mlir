// RUN: loom-opt %s --inline --symbol-dce | FileCheck %s

// Blocks are private functions; the inliner may inline them into loom.loop
// bodies and move loom ops.

// CHECK-LABEL: func.func @model
// CHECK-NOT: func.func private @block
// CHECK: loom.loop 4 times
// CHECK-NEXT: loom.rms_norm
// CHECK-NEXT: loom.add
// CHECK-NEXT: loom.yield
func.func private @block(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = loom.rms_norm %x, %g eps = 1.0e-5 : tensor<?x8xf32>, tensor<8xf32>
  %1 = loom.add %x, %0 : tensor<?x8xf32>, tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}
func.func @model(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = loom.loop 4 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %y = func.call @block(%h, %g) : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
    loom.yield %y : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}
