// RUN: loom-opt %s --loom-lower-exit-loops --split-input-file --verify-diagnostics

func.func @no_context(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{the runtime's loom_exit_step kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 {loom.kv_iteration_width = 16 : i64} : tensor<?x8xf32> {
    loom.yield %h : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

func.func @unbound(%x: tensor<?x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  // expected-error @+1 {{an adaptive loop needs its cache geometry: bind the model to the runtime first (--loom-bind-runtime)}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 : tensor<?x8xf32> {
    loom.yield %h : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}

// -----

func.func @half(%x: tensor<?x8xf16>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf16> {
  // expected-error @+1 {{the runtime runs adaptive loops over f32 activations, got 'tensor<?x8xf16>'}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 {loom.kv_iteration_width = 16 : i64} : tensor<?x8xf16> {
    loom.yield %h : tensor<?x8xf16>
  }
  return %0 : tensor<?x8xf16>
}
