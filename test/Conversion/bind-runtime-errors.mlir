// RUN: loom-opt %s --loom-bind-runtime --split-input-file --verify-diagnostics
// RUN: not loom-opt %s --loom-bind-runtime="weight-type=int4" --split-input-file 2>&1 | FileCheck %s --check-prefix=OPTION

// OPTION: error: unknown weight type 'int4'; expected keep, f32, f16 or bf16

// expected-error @below {{no entry point: expected a function named 'forward'}}
module {
  func.func @main(%ids: tensor<?xi32>) -> tensor<?xi32> {
    return %ids : tensor<?xi32>
  }
}

// -----

loom.param @w : tensor<8x8xf32>
// expected-error @below {{only the entry point may be public; blocks are private functions}}
func.func @block(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = func.call @block(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

loom.param @w : tensor<8x8xf32>
func.func private @external(%x: tensor<?x8xf32>) -> tensor<?x8xf32>
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  // expected-error @below {{calls must target a block of the model}}
  %y = func.call @external(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Derived params must not depend on each other in a cycle.
// expected-error @below {{derived parameter 'a' depends on itself}}
loom.param @a : tensor<8x8xf32> init {
  %c = loom.weight @c : tensor<8x8xf32>
  loom.yield %c : tensor<8x8xf32>
}
loom.param @b : tensor<8x8xf32> init {
  %a = loom.weight @a : tensor<8x8xf32>
  %t = loom.transpose %a : tensor<8x8xf32> -> tensor<8x8xf32>
  loom.yield %t : tensor<8x8xf32>
}
loom.param @c : tensor<8x8xf32> init {
  %b = loom.weight @b : tensor<8x8xf32>
  loom.yield %b : tensor<8x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @b : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}

// -----

// A checkpoint param in half precision (only derived ones may be).
// expected-error @below {{only f32 parameters, quantized weights computed by loom.quantize and derived bf16 or f16 weights are supported by the runtime yet, got 'tensor<8x8xf16>'}}
loom.param @w : tensor<8x8xf16>
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf16>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf16>) -> tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}

// -----

// expected-error @below {{the entry point must return a [seq, width] f32 tensor, got 'tensor<?xi32>'}}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?xi32> {
  return %ids : tensor<?xi32>
}


// -----

// The runtime's entry points have names of their own.
loom.param @w : tensor<8x8xf32>
// expected-error @below {{'prepare' is the name of a runtime entry point; rename the block}}
func.func private @prepare(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = func.call @prepare(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The model's name is a string.
// expected-error @below {{'loom.model' must be a string, got 3 : i64}}
module attributes {loom.model = 3 : i64} {
  loom.param @w : tensor<8x8xf32>
  func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
    %w = loom.weight @w : tensor<8x8xf32>
    %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    return %x : tensor<?x8xf32>
  }
}

// -----

// expected-error @below {{the entry point has no body}}
func.func private @forward(tensor<?xi32>) -> tensor<?x8xf32>

// -----

loom.param @w : tensor<8x8xf32>
// expected-error @below {{the entry point must be a single block of operations ending in a return}}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  cf.br ^bb1
^bb1:
  return %x : tensor<?x8xf32>
}

// -----

// A public forward_last (the last-row entry) is checked like forward.
loom.param @w : tensor<8x8xf32>
// expected-error @below {{the entry point must take token ids and return one tensor}}
func.func @forward_last() {
  return
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}

// -----

loom.param @w : tensor<8x8xf32>
// expected-error @below {{a block of the model must have a single block of operations}}
func.func private @blk(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  cf.br ^bb1
^bb1:
  return %x : tensor<?x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = func.call @blk(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Recursion has no bounded KV cache or code: repetition is loom.loop.
loom.param @w : tensor<8x8xf32>
func.func private @even(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = func.call @odd(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
func.func private @odd(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @below {{block 'even' calls itself; repeat a block with loom.loop instead}}
  %y = func.call @even(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = func.call @even(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Params picked by an index are read from the entry point's weight table.
loom.param @a : tensor<8x8xf32>
loom.param @b : tensor<8x8xf32>
func.func private @block(%x: tensor<?x8xf32>, %i: index) -> tensor<?x8xf32> {
  // expected-error @below {{loom.weight_select is supported in the entry point only (where --loom-roll-layers puts it)}}
  %w = loom.weight_select [@a, @b][%i] : tensor<8x8xf32>
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @a : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %c0 = arith.constant 0 : index
  %y = func.call @block(%x, %c0) : (tensor<?x8xf32>, index) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A running state in a loop that tokens may leave early.
loom.param @w : tensor<1x8xf32>
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<1x8xf32>
  // expected-error @below {{a loop that tokens may leave early cannot hold a cumulative sum or linear attention (their running state needs every token in every iteration)}}
  %r = loom.loop 4 times(%i) iter_args(%h = %x) exit gate threshold = 0.75 : tensor<?x8xf32> {
    %c = loom.cumsum %h : (tensor<?x8xf32>) -> tensor<?x8xf32>
    %l = loom.linear %c, %w : (tensor<?x8xf32>, tensor<1x8xf32>) -> tensor<?x1xf32>
    loom.yield %c, %l : tensor<?x8xf32>, tensor<?x1xf32>
  }
  return %r : tensor<?x8xf32>
}
