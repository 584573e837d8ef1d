// RUN: loom-opt %s --loom-expand-exit-loops --split-input-file --verify-diagnostics

func.func @no_context(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{the runtime's loom_exit_threshold kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 : tensor<?x8xf32> {
    loom.yield %h : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

func.func @dynamic_width(%x: tensor<?x?xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x?xf32> {
  // expected-error @+1 {{an adaptive loop in generated code needs rows of a static width, got 'tensor<?x?xf32>'}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 : tensor<?x?xf32> {
    loom.yield %h : tensor<?x?xf32>
  }
  return %0 : tensor<?x?xf32>
}

// -----

// Attention in the loop before --loom-bind-runtime laid out its slots.
func.func @unbound(%x: tensor<?x8xf32>, %k: memref<1x?x8xf32>, %v: memref<1x?x8xf32>, %pos: index, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 : tensor<?x8xf32> {
    %c0 = arith.constant 0 : index
    // expected-error @+1 {{an adaptive loop's attention needs its cache geometry: bind the model to the runtime first (--loom-bind-runtime)}}
    %y = loom.cached_attention %h, %h, %h, %k, %v, %pos, %c0 heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, memref<1x?x8xf32>, memref<1x?x8xf32>, index, index) -> tensor<?x8xf32>
    loom.yield %y : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// A cache slot that is not a view of the flat cache.
func.func @not_a_view(%x: tensor<?x8xf32>, %k: memref<1x?x8xf32>, %v: memref<1x?x8xf32>, %pos: index, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 {loom.kv_iteration_width = 8 : i64} : tensor<?x8xf32> {
    %c0 = arith.constant 0 : index
    // expected-error @+1 {{an adaptive loop's attention needs its cache slot as a view of the flat cache (as --loom-bind-runtime makes it)}}
    %y = loom.cached_attention %h, %h, %h, %k, %v, %pos, %c0 heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, memref<1x?x8xf32>, memref<1x?x8xf32>, index, index) -> tensor<?x8xf32>
    loom.yield %y : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

// One decision per token and iteration: adaptive loops do not nest.
func.func @nested(%x: tensor<?x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  // expected-error @+1 {{a loop that tokens may leave early cannot hold another one}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 : tensor<?x8xf32> {
    %1 = loom.loop 2 times(%j) iter_args(%g = %h) exit converge threshold = 0.5 : tensor<?x8xf32> {
      loom.yield %g : tensor<?x8xf32>
    }
    loom.yield %1 : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}
