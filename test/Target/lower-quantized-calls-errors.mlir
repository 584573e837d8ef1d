// RUN: loom-opt %s --loom-lower-quantized-calls --split-input-file --verify-diagnostics

func.func @no_context(%x: tensor<?x64xf32>, %w: tensor<16x36xi8>) -> tensor<?x16xf32> {
  // expected-error @+1 {{the runtime's loom_qgemm_nt kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %y = loom.linear %x, %w format q4_0 : (tensor<?x64xf32>, tensor<16x36xi8>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @no_context_quantize(%w: tensor<16x64xf32>) -> tensor<16x40xi8> {
  // expected-error @+1 {{the runtime's loom_quantize kernel needs the model context: the enclosing function has no 'loom.context' argument}}
  %q = loom.quantize %w format q4_1 : tensor<16x64xf32> -> tensor<16x40xi8>
  return %q : tensor<16x40xi8>
}

// -----

func.func @half_activations(%x: tensor<?x64xf16>, %w: tensor<16x36xi8>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x16xf16> {
  // expected-error @+1 {{the runtime's quantized products take and return f32 activations, got 'tensor<?x64xf16>'}}
  %y = loom.linear %x, %w format q4_0 : (tensor<?x64xf16>, tensor<16x36xi8>) -> tensor<?x16xf16>
  return %y : tensor<?x16xf16>
}

// -----

func.func @half_weights(%w: tensor<16x64xf16>, %ctx: !llvm.ptr {loom.context}) -> tensor<16x40xi8> {
  // expected-error @+1 {{the runtime quantizes f32 weights, got 'tensor<16x64xf16>'}}
  %q = loom.quantize %w format q4_1 : tensor<16x64xf16> -> tensor<16x40xi8>
  return %q : tensor<16x40xi8>
}
