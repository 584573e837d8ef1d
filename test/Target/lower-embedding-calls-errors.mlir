// RUN: loom-opt %s --loom-lower-embedding-calls --split-input-file --verify-diagnostics

func.func @no_context(%ids: tensor<?xi32>, %table: tensor<50x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{the runtime's embedding kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %e = loom.embedding %ids, %table : (tensor<?xi32>, tensor<50x8xf32>) -> tensor<?x8xf32>
  return %e : tensor<?x8xf32>
}

// -----

func.func @wide_ids(%ids: tensor<?xi64>, %table: tensor<50x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  // expected-error @+1 {{the runtime's embedding kernel reads f32 or quantized rows by i32 token ids, got 'tensor<50x8xf32>' and 'tensor<?xi64>'}}
  %e = loom.embedding %ids, %table : (tensor<?xi64>, tensor<50x8xf32>) -> tensor<?x8xf32>
  return %e : tensor<?x8xf32>
}
