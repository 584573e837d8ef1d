// RUN: loom-opt %s --loom-derive-weights --split-input-file | FileCheck %s

// A computation on weights in the entry point becomes a derived param,
// named after its sources.

loom.param @m.q.w : tensor<4x8xf32>
loom.param @m.k.w : tensor<2x8xf32>

// CHECK:       loom.param @"m.{q,k}.w" : tensor<6x8xf32> init {
// CHECK-NEXT:    %[[Q:.*]] = loom.weight @m.q.w
// CHECK-NEXT:    %[[K:.*]] = loom.weight @m.k.w
// CHECK-NEXT:    %[[C:.*]] = loom.concat %[[Q]], %[[K]] axis = 0
// CHECK-NEXT:    loom.yield %[[C]]
// CHECK-LABEL: func.func @forward(
// CHECK-NEXT:    %[[W:.*]] = loom.weight @"m.{q,k}.w" : tensor<6x8xf32>
// CHECK-NEXT:    loom.linear %{{.*}}, %[[W]]
// CHECK-NOT:     loom.concat
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x6xf32> {
  %q = loom.weight @m.q.w : tensor<4x8xf32>
  %k = loom.weight @m.k.w : tensor<2x8xf32>
  %w = loom.concat %q, %k axis = 0 : (tensor<4x8xf32>, tensor<2x8xf32>) -> tensor<6x8xf32>
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<6x8xf32>) -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// In a block, one derived param per layer, passed as a new argument; the
// weight arguments nothing reads any more go, with what the call sites
// passed for them. A layer called twice reads one param.

loom.param @l.0.a : tensor<4x8xf32>
loom.param @l.0.b : tensor<4x8xf32>
loom.param @l.1.a : tensor<4x8xf32>
loom.param @l.1.b : tensor<4x8xf32>

// CHECK:       loom.param @"l.0.{a,b}" : tensor<8x8xf32> init {
// CHECK:         loom.weight @l.0.a
// CHECK:         loom.weight @l.0.b
// CHECK:       loom.param @"l.1.{a,b}" : tensor<8x8xf32> init {
// CHECK-NOT:   loom.param
// CHECK-LABEL: func.func private @block(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8x8xf32>) -> tensor<?x8xf32>
// CHECK-NEXT:    loom.linear %[[X]], %[[W]]
func.func private @block(%x: tensor<?x8xf32>, %a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<?x8xf32> {
  %w = loom.concat %a, %b axis = 0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[W0:.*]] = loom.weight @"l.0.{a,b}"
// CHECK:         call @block(%{{.*}}, %[[W0]])
// CHECK:         %[[W1:.*]] = loom.weight @"l.1.{a,b}"
// CHECK:         call @block(%{{.*}}, %[[W1]])
// CHECK:         %[[W1B:.*]] = loom.weight @"l.1.{a,b}"
// CHECK:         call @block(%{{.*}}, %[[W1B]])
// CHECK-NOT:     loom.weight @l.
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %a0 = loom.weight @l.0.a : tensor<4x8xf32>
  %b0 = loom.weight @l.0.b : tensor<4x8xf32>
  %a1 = loom.weight @l.1.a : tensor<4x8xf32>
  %b1 = loom.weight @l.1.b : tensor<4x8xf32>
  %0 = func.call @block(%x, %a0, %b0) : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %1 = func.call @block(%0, %a1, %b1) : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %2 = func.call @block(%1, %a1, %b1) : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// -----

// Views the computation reads go into the init; views read elsewhere stay.

loom.param @c : tensor<8x24xf32>
loom.param @d : tensor<8x8xf32>

// CHECK:       loom.param @"concat(slice(transpose(c)),d)" : tensor<16x8xf32> init {
// CHECK:         %[[C:.*]] = loom.weight @c
// CHECK:         %[[T:.*]] = loom.transpose %[[C]]
// CHECK:         %[[S:.*]] = loom.slice %[[T]] axis = 0 offset = 8 size = 8
// CHECK:         %[[D:.*]] = loom.weight @d
// CHECK:         loom.concat %[[S]], %[[D]] axis = 0
// CHECK-LABEL: func.func @forward(
// CHECK:         loom.transpose
// CHECK:         loom.linear
// CHECK:         loom.weight @"concat(slice(transpose(c)),d)"
func.func @forward(%x: tensor<?x8xf32>) -> (tensor<?x24xf32>, tensor<?x16xf32>) {
  %c = loom.weight @c : tensor<8x24xf32>
  %d = loom.weight @d : tensor<8x8xf32>
  %t = loom.transpose %c : tensor<8x24xf32> -> tensor<24x8xf32>
  %y = loom.linear %x, %t : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
  %s = loom.slice %t axis = 0 offset = 8 size = 8 : tensor<24x8xf32> -> tensor<8x8xf32>
  %w = loom.concat %s, %d axis = 0 : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<16x8xf32>
  %z = loom.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y, %z : tensor<?x24xf32>, tensor<?x16xf32>
}

// -----

// Left alone: a concatenation of activations, and one on block arguments
// for which a call site passes something that is not a weight.

loom.param @e : tensor<4x8xf32>

// CHECK-NOT:   init
// CHECK-LABEL: func.func private @mixed(
// CHECK:         loom.concat
func.func private @mixed(%x: tensor<?x8xf32>, %a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<?x8xf32> {
  %w = loom.concat %a, %b axis = 0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @forward(
// CHECK:         loom.concat
func.func @forward(%x: tensor<?x8xf32>, %p: tensor<4x8xf32>) -> tensor<?x16xf32> {
  %e = loom.weight @e : tensor<4x8xf32>
  %y = func.call @mixed(%x, %e, %p) : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %z = loom.concat %x, %y axis = 1 : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x16xf32>
  return %z : tensor<?x16xf32>
}

// -----

// A computation on a computation: the scaled concatenation (what
// --loom-fold-norm writes after --loom-fuse-qkv) is one derived param, named
// after its parts.

loom.param @l.q.w : tensor<4x8xf32>
loom.param @l.k.w : tensor<4x8xf32>
loom.param @l.norm.w : tensor<8xf32>

// CHECK:       loom.param @"mul(l.{q,k}.w,l.norm.w)" : tensor<8x8xf32> init {
// CHECK:         %[[C:.*]] = loom.concat
// CHECK:         loom.mul %[[C]], %{{.*}} : tensor<8x8xf32>, tensor<8xf32>
// CHECK-NOT:   loom.param @"l.{q,k}.w"
// CHECK-LABEL: func.func @forward(
// CHECK:         loom.weight @"mul(l.{q,k}.w,l.norm.w)"
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %q = loom.weight @l.q.w : tensor<4x8xf32>
  %k = loom.weight @l.k.w : tensor<4x8xf32>
  %g = loom.weight @l.norm.w : tensor<8xf32>
  %c = loom.concat %q, %k axis = 0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %w = loom.mul %c, %g : tensor<8x8xf32>, tensor<8xf32>
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A nested module has params of its own: the pass leaves it alone.
// CHECK-LABEL: module @inner
// CHECK-NOT:     init
// CHECK:         loom.concat
module {
  builtin.module @inner {
    loom.param @a : tensor<8x8xf32>
    loom.param @b : tensor<8x8xf32>
    func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x16xf32> attributes {loom.entry} {
      %a = loom.weight @a : tensor<8x8xf32>
      %b = loom.weight @b : tensor<8x8xf32>
      %c = loom.concat %a, %b axis = 0 : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<16x8xf32>
      %y = loom.linear %x, %c : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
      return %y : tensor<?x16xf32>
    }
  }
}
