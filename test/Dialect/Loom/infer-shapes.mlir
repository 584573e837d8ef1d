// RUN: loom-opt %s --loom-infer-shapes --split-input-file \
// RUN:   --mlir-very-unsafe-disable-verifier-on-parsing | FileCheck %s

// Some inputs below are what a weight-rewriting pass leaves behind before it
// re-infers shapes (a `loom.weight` whose type no longer matches its param),
// so the verifier is off on parsing; the pass output is verified as usual.

// Declared result types that are less precise than the operands allow are
// refined, and the refinement flows to users and the function signature.
// CHECK-LABEL: func.func @refine_declared
// CHECK-SAME: -> tensor<?x768xf32>
// CHECK: loom.linear %{{.*}}, %{{.*}} : (tensor<?x512xf32>, tensor<768x512xf32>) -> tensor<?x768xf32>
// CHECK: loom.add %{{.*}}, %{{.*}} : tensor<?x768xf32>, tensor<?x768xf32>
// CHECK: loom.activation silu %{{.*}} : tensor<?x768xf32>
// CHECK: return %{{.*}} : tensor<?x768xf32>
func.func @refine_declared(%x: tensor<?x512xf32>, %w: tensor<768x512xf32>) -> tensor<?x?xf32> {
  %0 = loom.linear %x, %w : (tensor<?x512xf32>, tensor<768x512xf32>) -> tensor<?x?xf32>
  %1 = loom.add %0, %0 : tensor<?x?xf32>, tensor<?x?xf32>
  %2 = loom.activation silu %1 : tensor<?x?xf32>
  return %2 : tensor<?x?xf32>
}

// -----

// A more precise declared type that agrees with the inferred one is kept.
// CHECK-LABEL: func.func @keep_precise
// CHECK: loom.linear %{{.*}}, %{{.*}} : (tensor<?x?xf32>, tensor<768x?xf32>) -> tensor<16x768xf32>
func.func @keep_precise(%x: tensor<?x?xf32>, %w: tensor<768x?xf32>) -> tensor<16x768xf32> {
  %0 = loom.linear %x, %w : (tensor<?x?xf32>, tensor<768x?xf32>) -> tensor<16x768xf32>
  return %0 : tensor<16x768xf32>
}

// -----

// After a pass shrank a parameter (here: the hidden width of an MLP was
// pruned from 3072 to 2048 and the final projection to 512 outputs), weights
// follow their params, results follow their operands, private functions
// follow their call sites, and calls follow their callees.
loom.param @up : tensor<2048x768xf32>
loom.param @down : tensor<512x2048xf32>

// CHECK-LABEL: func.func private @mlp
// CHECK-SAME: (%{{.*}}: tensor<?x768xf32>, %{{.*}}: tensor<2048x768xf32>, %{{.*}}: tensor<512x2048xf32>) -> tensor<?x512xf32>
// CHECK: loom.mlp gelu %{{.*}} : (tensor<?x768xf32>, tensor<2048x768xf32>, tensor<512x2048xf32>) -> tensor<?x512xf32>
func.func private @mlp(%x: tensor<?x768xf32>, %up: tensor<3072x768xf32>, %down: tensor<768x3072xf32>) -> tensor<?x768xf32> {
  %0 = "loom.mlp"(%x, %up, %down) <{activation = #loom.activation<gelu>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// CHECK-LABEL: func.func @model
// CHECK-SAME: -> tensor<?x512xf32>
// CHECK: %[[UP:.*]] = loom.weight @up : tensor<2048x768xf32>
// CHECK: %[[DOWN:.*]] = loom.weight @down : tensor<512x2048xf32>
// CHECK: call @mlp(%{{.*}}, %[[UP]], %[[DOWN]]) : (tensor<?x768xf32>, tensor<2048x768xf32>, tensor<512x2048xf32>) -> tensor<?x512xf32>
// CHECK: loom.scale %{{.*}} by 2.000000e+00 : tensor<?x512xf32>
// CHECK: return %{{.*}} : tensor<?x512xf32>
func.func @model(%x: tensor<?x768xf32>) -> tensor<?x768xf32> {
  %up = "loom.weight"() <{param = @up}> : () -> tensor<3072x768xf32>
  %down = "loom.weight"() <{param = @down}> : () -> tensor<768x3072xf32>
  %0 = "func.call"(%x, %up, %down) <{callee = @mlp}> : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
  %1 = "loom.scale"(%0) <{factor = 2.0 : f64}> : (tensor<?x768xf32>) -> tensor<?x768xf32>
  return %1 : tensor<?x768xf32>
}

// -----

// A derived parameter's type follows its init region.
loom.param @q : tensor<512x768xf32>
loom.param @k : tensor<256x768xf32>
// CHECK: loom.param @qk : tensor<768x768xf32> init
// CHECK: loom.concat %{{.*}}, %{{.*}} axis = 0 : (tensor<512x768xf32>, tensor<256x768xf32>) -> tensor<768x768xf32>
// CHECK: loom.yield %{{.*}} : tensor<768x768xf32>
"loom.param"() <{sym_name = "qk", type = tensor<1024x768xf32>}> ({
  %q = "loom.weight"() <{param = @q}> : () -> tensor<768x768xf32>
  %k = loom.weight @k : tensor<256x768xf32>
  %c = "loom.concat"(%q, %k) <{axis = 0 : i64}> : (tensor<768x768xf32>, tensor<256x768xf32>) -> tensor<1024x768xf32>
  "loom.yield"(%c) : (tensor<1024x768xf32>) -> ()
}) : () -> ()

// CHECK-LABEL: func.func @use_qk
// CHECK: loom.weight @qk : tensor<768x768xf32>
// CHECK: loom.linear %{{.*}}, %{{.*}} : (tensor<?x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
func.func @use_qk(%x: tensor<?x768xf32>) -> tensor<?x1024xf32> {
  %w = "loom.weight"() <{param = @qk}> : () -> tensor<1024x768xf32>
  %0 = "loom.linear"(%x, %w) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<?x768xf32>, tensor<1024x768xf32>) -> tensor<?x1024xf32>
  return %0 : tensor<?x1024xf32>
}

// -----

// Loop bodies see refined iter_arg types.
// CHECK-LABEL: func.func @loop
// CHECK: loom.loop 2 times(%{{.*}}) iter_args(%{{.*}} = %{{.*}}) : tensor<?x768xf32>
// CHECK: loom.rms_norm %{{.*}}, %{{.*}} eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>
// CHECK: loom.yield %{{.*}} : tensor<?x768xf32>
// CHECK: return %{{.*}} : tensor<?x768xf32>
func.func @loop(%x: tensor<?x512xf32>, %w: tensor<768x512xf32>, %g: tensor<768xf32>) -> tensor<?x?xf32> {
  %0 = loom.linear %x, %w : (tensor<?x512xf32>, tensor<768x512xf32>) -> tensor<?x?xf32>
  %1 = loom.loop 2 times(%i) iter_args(%h = %0) : tensor<?x?xf32> {
    %n = loom.rms_norm %h, %g eps = 1.0e-5 : tensor<?x?xf32>, tensor<768xf32>
    loom.yield %n : tensor<?x?xf32>
  }
  return %1 : tensor<?x?xf32>
}
