// RUN: loom-opt %s --loom-lower-observe-calls --split-input-file --verify-diagnostics

func.func private @no_context(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{the runtime's loom_observe kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  loom.observe input %x : tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}

// -----

func.func private @half(%x: tensor<?x8xf16>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf16> {
  // expected-error @+1 {{the runtime observes f32 activations, got 'tensor<?x8xf16>'}}
  loom.observe output %x : tensor<?x8xf16>
  return %x : tensor<?x8xf16>
}
