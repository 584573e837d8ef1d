// RUN: loom-opt %s --convert-loom-to-linalg --split-input-file --verify-diagnostics

// Attention reads and extends the KV cache, which only exists once the model
// is bound to the runtime.
func.func @unbound(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  // expected-error @below {{cannot be lowered: bind the model to the runtime first (--loom-bind-runtime)}}
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %a : tensor<?x8xf32>
}

// -----

// Quantized weights are read and written by the target's kernels; the
// generated loops do not decode them.
func.func @quantized(%x: tensor<?x64xf32>, %w: tensor<16x36xi8>) -> tensor<?x16xf32> {
  // expected-error @below {{quantized weights are read and written by the target's kernels: compile with the runtime's kernels (loomc --kernels=runtime)}}
  %y = loom.linear %x, %w format q4_0 : (tensor<?x64xf32>, tensor<16x36xi8>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Adaptive loops need the runtime, which decides per token when to stop.
func.func @adaptive(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @below {{a loop that tokens may leave early ('exit') needs the runtime's kernels: compile with them (loomc --kernels=runtime)}}
  %0 = loom.loop 3 times(%i) iter_args(%h = %x) exit converge threshold = 0.1 : tensor<?x8xf32> {
    loom.yield %h : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}
