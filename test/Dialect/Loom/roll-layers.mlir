// RUN: loom-opt %s --loom-roll-layers --split-input-file | FileCheck %s
// RUN: loom-opt %s --loom-roll-layers --loom-unroll-loops --canonicalize --split-input-file | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: loom-opt %s --loom-roll-layers="min-layers=4" --split-input-file | FileCheck %s --check-prefix=MIN

// A chain of calls of one block, each with its own weights, becomes a loop
// whose body picks the iteration's weights; an argument every call shares
// stays as it is. Unrolled and canonicalized, it is the chain again.

loom.param @l.0.w : tensor<8x8xf32>
loom.param @l.1.w : tensor<8x8xf32>
loom.param @l.2.w : tensor<8x8xf32>
loom.param @l.0.g : tensor<8xf32>
loom.param @l.1.g : tensor<8xf32>
loom.param @l.2.g : tensor<8xf32>
func.func private @layer(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %g: tensor<8xf32>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = loom.rms_norm %x, %g eps = 1.0e-5 : tensor<?x8xf32>, tensor<8xf32>
  %1 = loom.linear %0, %w, %s residual %x : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[S:.*]]: tensor<8xf32>)
// CHECK-NEXT:    %[[Y:.*]] = loom.loop 3 times(%[[I:.*]]) iter_args(%[[H:.*]] = %[[X]]) : tensor<?x8xf32> {
// CHECK-NEXT:      %[[W:.*]] = loom.weight_select [@l.0.w, @l.1.w, @l.2.w][%[[I]]] : tensor<8x8xf32>
// CHECK-NEXT:      %[[G:.*]] = loom.weight_select [@l.0.g, @l.1.g, @l.2.g][%[[I]]] : tensor<8xf32>
// CHECK-NEXT:      %[[Z:.*]] = func.call @layer(%[[H]], %[[W]], %[[G]], %[[S]])
// CHECK-NEXT:      loom.yield %[[Z]]
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[Y]]
// ROUNDTRIP-LABEL: func.func @forward(
// ROUNDTRIP-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[S:.*]]: tensor<8xf32>)
// ROUNDTRIP-DAG:     %[[W0:.*]] = loom.weight @l.0.w
// ROUNDTRIP-DAG:     %[[G0:.*]] = loom.weight @l.0.g
// ROUNDTRIP:         %[[A:.*]] = call @layer(%[[X]], %[[W0]], %[[G0]], %[[S]])
// ROUNDTRIP-DAG:     %[[W1:.*]] = loom.weight @l.1.w
// ROUNDTRIP-DAG:     %[[G1:.*]] = loom.weight @l.1.g
// ROUNDTRIP:         %[[B:.*]] = call @layer(%[[A]], %[[W1]], %[[G1]], %[[S]])
// ROUNDTRIP-DAG:     %[[W2:.*]] = loom.weight @l.2.w
// ROUNDTRIP-DAG:     %[[G2:.*]] = loom.weight @l.2.g
// ROUNDTRIP:         %[[C:.*]] = call @layer(%[[B]], %[[W2]], %[[G2]], %[[S]])
// ROUNDTRIP-NEXT:    return %[[C]]
// MIN-LABEL: func.func @forward(
// MIN-NOT:     loom.loop
func.func @forward(%x: tensor<?x8xf32>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  %w0 = loom.weight @l.0.w : tensor<8x8xf32>
  %g0 = loom.weight @l.0.g : tensor<8xf32>
  %w1 = loom.weight @l.1.w : tensor<8x8xf32>
  %g1 = loom.weight @l.1.g : tensor<8xf32>
  %w2 = loom.weight @l.2.w : tensor<8x8xf32>
  %g2 = loom.weight @l.2.g : tensor<8xf32>
  %0 = func.call @layer(%x, %w0, %g0, %s) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = func.call @layer(%0, %w1, %g1, %s) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %2 = func.call @layer(%1, %w2, %g2, %s) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// -----

// Where an argument stops agreeing (a weight in one call, a shared value
// in the others), the chain ends and the next one starts at that call; a
// result also used elsewhere ends a chain too; a lone call stays a call.

loom.param @a : tensor<8x8xf32>
loom.param @b : tensor<8x8xf32>
loom.param @c : tensor<8x8xf32>
func.func private @layer(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @broken(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[V:.*]]: tensor<8x8xf32>)
// CHECK:         %[[L:.*]] = loom.loop 2 times(%[[I:.*]]) iter_args(%[[H:.*]] = %[[X]])
// CHECK:           loom.weight_select [@a, @b][%[[I]]]
// CHECK:         %[[K:.*]] = loom.loop 2 times(%{{.*}}) iter_args(%[[H2:.*]] = %[[L]])
// CHECK-NOT:       loom.weight_select
// CHECK:           func.call @layer(%[[H2]], %[[V]])
// CHECK:         %[[E:.*]] = call @layer(%[[K]], %{{.*}})
// CHECK:         %[[F:.*]] = call @layer(%[[E]], %{{.*}})
// CHECK:         return %[[F]], %[[E]]
func.func @broken(%x: tensor<?x8xf32>, %v: tensor<8x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %a = loom.weight @a : tensor<8x8xf32>
  %b = loom.weight @b : tensor<8x8xf32>
  %c = loom.weight @c : tensor<8x8xf32>
  %0 = func.call @layer(%x, %a) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %1 = func.call @layer(%0, %b) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %2 = func.call @layer(%1, %v) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %3 = func.call @layer(%2, %v) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %4 = func.call @layer(%3, %c) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %5 = func.call @layer(%4, %c) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %5, %4 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// A weight a call passes twice (its own weights used as two arguments) is
// selected for both, and each weight op is erased once (a fuzzer found a
// double erase here).

loom.param @t.0.w : tensor<8x8xf32>
loom.param @t.1.w : tensor<8x8xf32>
func.func private @twice(%x: tensor<?x8xf32>, %a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.linear %x, %a : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %1 = loom.linear %0, %b : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @forward_twice(
// CHECK:         loom.loop 2 times(%[[I:[a-z0-9]+]])
// CHECK-DAG:       loom.weight_select [@t.0.w, @t.1.w][%[[I]]]
// CHECK-DAG:       loom.weight_select [@t.0.w, @t.1.w][%[[I]]]
// CHECK-NOT:     loom.weight @
func.func @forward_twice(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w0 = loom.weight @t.0.w : tensor<8x8xf32>
  %w1 = loom.weight @t.1.w : tensor<8x8xf32>
  %0 = func.call @twice(%x, %w0, %w0) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %1 = func.call @twice(%0, %w1, %w1) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}
