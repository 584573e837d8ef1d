// RUN: loom-opt %s --loom-lower-attention-calls --verify-diagnostics

// The kernel runs on the model context's threads: without one, no call.
func.func @no_context(%q: tensor<?x8xf32>, %k: tensor<?x4xf32>, %kc: memref<1x?x4xf32>, %pos: index, %slot: index) -> tensor<?x8xf32> {
  // expected-error @+1 {{the runtime's attention kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %o = loom.cached_attention %q, %k, %k, %kc, %kc, %pos, %slot heads = 2 kv_heads = 1 head_dim = 4 : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<1x?x4xf32>, memref<1x?x4xf32>, index, index) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
