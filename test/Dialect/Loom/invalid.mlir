// RUN: loom-opt %s --split-input-file --verify-diagnostics

// One case per verifier rule of the loom ops.

func.func @weight_missing_param() {
  // expected-error @+1 {{'loom.weight' op no loom.param named @nope}}
  %0 = loom.weight @nope : tensor<4xf32>
  return
}

// -----

func.func @not_a_param() {
  // expected-error @+1 {{'loom.weight' op @not_a_param is a 'func.func', not a loom.param}}
  %0 = loom.weight @not_a_param : tensor<4xf32>
  return
}

// -----

loom.param @p : tensor<4xf32>
func.func @weight_type_mismatch() {
  // expected-error @+1 {{'loom.weight' op result type 'tensor<8xf32>' does not match the type 'tensor<4xf32>' of parameter @p}}
  %0 = loom.weight @p : tensor<8xf32>
  return
}

// -----

loom.param @p : tensor<4xf32>
// expected-error @+1 {{'loom.param' op init region yields 'tensor<4xf32>' but the parameter has type 'tensor<8xf32>'}}
loom.param @q : tensor<8xf32> init {
  %0 = loom.weight @p : tensor<4xf32>
  loom.yield %0 : tensor<4xf32>
}

// -----

// expected-error @+1 {{'loom.param' op init region reads the parameter it defines}}
loom.param @self : tensor<4xf32> init {
  %0 = loom.weight @self : tensor<4xf32>
  loom.yield %0 : tensor<4xf32>
}

// -----

loom.param @p : tensor<4xf32>
// expected-error @+1 {{'loom.param' op init region must yield exactly one value, got 2}}
loom.param @q : tensor<4xf32> init {
  %0 = loom.weight @p : tensor<4xf32>
  loom.yield %0, %0 : tensor<4xf32>, tensor<4xf32>
}

// -----

// expected-error @+1 {{'loom.param' op attribute 'type' failed to satisfy constraint}}
loom.param @unranked : tensor<*xf32>

// -----

func.func @linear_width(%x: tensor<?x512xf32>, %w: tensor<3072x768xf32>) {
  // expected-error @+1 {{'loom.linear' op weight expects input width 768 but x has width 512}}
  %0 = loom.linear %x, %w : (tensor<?x512xf32>, tensor<3072x768xf32>) -> tensor<?x3072xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>, %b: tensor<768xf32>) {
  // expected-error @+1 {{'loom.linear' op bias has 768 elements but the weight has 3072 output rows}}
  %0 = loom.linear %x, %w, %b : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x3072xf32>
  return
}

// -----

func.func @linear_residual_width(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>, %r: tensor<?x768xf32>) {
  // expected-error @+1 {{'loom.linear' op residual has width 768 but the weight has 3072 output rows}}
  %0 = loom.linear %x, %w residual %r : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<?x768xf32>) -> tensor<?x3072xf32>
  return
}

// -----

func.func @linear_bytes_without_format(%x: tensor<?x64xf32>, %w: tensor<16x68xi8>) {
  // expected-error @+1 {{'loom.linear' op an i8 weight needs a quantized 'format'}}
  %0 = loom.linear %x, %w : (tensor<?x64xf32>, tensor<16x68xi8>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_format_of_floats(%x: tensor<?x64xf32>, %w: tensor<16x64xf32>) {
  // expected-error @+1 {{'loom.linear' op a weight in format q8_0 must be i8 bytes, got 'tensor<16x64xf32>'}}
  %0 = loom.linear %x, %w format q8_0 : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_inputs_without_format(%x: tensor<?x64xf32>, %w: tensor<16x64xf32>) {
  // expected-error @+1 {{'loom.linear' op 'inputs' needs a quantized 'format'}}
  %0 = loom.linear %x, %w inputs bf16 : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_inputs(%x: tensor<?x64xf32>, %w: tensor<16x68xi8>) {
  // expected-error @+1 {{unknown inputs 'int4' (expected int8, int8x2 or bf16)}}
  %0 = loom.linear %x, %w format q8_0 inputs int4 : (tensor<?x64xf32>, tensor<16x68xi8>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_partial_blocks(%x: tensor<?x64xf32>, %w: tensor<16x70xi8>) {
  // expected-error @+1 {{'loom.linear' op a weight row of 70 bytes is not a whole number of q8_0 blocks (34 bytes each)}}
  %0 = loom.linear %x, %w format q8_0 : (tensor<?x64xf32>, tensor<16x70xi8>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_quantized_width(%x: tensor<?x96xf32>, %w: tensor<16x36xi8>) {
  // expected-error @+1 {{'loom.linear' op weight expects input width 64 but x has width 96}}
  %0 = loom.linear %x, %w format q4_0 : (tensor<?x96xf32>, tensor<16x36xi8>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_unknown_format(%x: tensor<?x64xf32>, %w: tensor<16x36xi8>) {
  // expected-error @+1 {{unknown quantized format 'q3_k' (expected q8_0, q4_0, q4_1, q4_k or int8)}}
  %0 = loom.linear %x, %w format q3_k : (tensor<?x64xf32>, tensor<16x36xi8>) -> tensor<?x16xf32>
  return
}

// -----

func.func @quantize_group(%w: tensor<16x48xf32>) {
  // expected-error @+1 {{'loom.quantize' op the q4_0 group size 32 does not divide the row length 48}}
  %0 = loom.quantize %w format q4_0 : tensor<16x48xf32> -> tensor<16x27xi8>
  return
}

// -----

func.func @smooth_alpha(%w: tensor<16x32xf32>, %i: tensor<32xf32>) {
  // expected-error @+1 {{'loom.smooth_scales' op alpha must be in [0, 1], got 2}}
  %0 = loom.smooth_scales %w, %i alpha 2.000000e+00 : (tensor<16x32xf32>, tensor<32xf32>) -> tensor<32xf32>
  return
}

// -----

func.func @smooth_importance(%w: tensor<16x32xf32>, %i: tensor<16xf32>) {
  // expected-error @+1 {{'loom.smooth_scales' op importance has 16 entries for 32 input channels}}
  %0 = loom.smooth_scales %w, %i alpha 5.000000e-01 : (tensor<16x32xf32>, tensor<16xf32>) -> tensor<32xf32>
  return
}

// -----

func.func @smooth_result(%w: tensor<16x32xf32>, %i: tensor<32xf32>) {
  // expected-error @+1 {{'loom.smooth_scales' op has 16 scales for 32 input channels}}
  %0 = loom.smooth_scales %w, %i alpha 5.000000e-01 : (tensor<16x32xf32>, tensor<32xf32>) -> tensor<16xf32>
  return
}

// -----

func.func @quantize_super_block(%w: tensor<16x288xf32>) {
  // expected-error @+1 {{'loom.quantize' op the q4_k group size 256 does not divide the row length 288}}
  %0 = loom.quantize %w format q4_k : tensor<16x288xf32> -> tensor<16x162xi8>
  return
}

// -----

func.func @quantize_bytes(%w: tensor<16x64xf32>) {
  // expected-error @+1 {{'loom.quantize' op a [16, 64] matrix in q4_1 is tensor<16x40xi8>, got 'tensor<16x36xi8>'}}
  %0 = loom.quantize %w format q4_1 : tensor<16x64xf32> -> tensor<16x36xi8>
  return
}

// -----

func.func @quantize_dynamic(%w: tensor<?x64xf32>) {
  // expected-error @+1 {{'loom.quantize' op quantizes static matrices only, got 'tensor<?x64xf32>'}}
  %0 = loom.quantize %w format q8_0 : tensor<?x64xf32> -> tensor<16x68xi8>
  return
}

// -----

func.func @quantize_covariance_shape(%w: tensor<16x64xf32>, %h: tensor<64x32xf32>) {
  // expected-error @+1 {{'loom.quantize' op the covariance of 64 input channels is [64, 64], got 'tensor<64x32xf32>'}}
  %0 = loom.quantize %w covariance %h format q8_0 : tensor<16x64xf32> covariance tensor<64x32xf32> -> tensor<16x68xi8>
  return
}

// -----

func.func @embedding_wide_table(%ids: tensor<?xi32>, %t: tensor<50x32xf64>) {
  // expected-error @+1 {{'loom.embedding' op a table of 'f64' would be narrowed to f32; tables are f32, bf16 or f16}}
  %0 = loom.embedding %ids, %t : (tensor<?xi32>, tensor<50x32xf64>) -> tensor<?x32xf32>
  return
}

// -----

func.func @embedding_bytes_without_format(%ids: tensor<?xi32>, %t: tensor<50x34xi8>) {
  // expected-error @+1 {{'loom.embedding' op an i8 table needs a quantized 'format'}}
  %0 = loom.embedding %ids, %t : (tensor<?xi32>, tensor<50x34xi8>) -> tensor<?x34xf32>
  return
}

// -----

func.func @embedding_format_of_floats(%ids: tensor<?xi32>, %t: tensor<50x32xf32>) {
  // expected-error @+1 {{'loom.embedding' op a table in format q8_0 must be i8 bytes, got 'tensor<50x32xf32>'}}
  %0 = loom.embedding %ids, %t format q8_0 : (tensor<?xi32>, tensor<50x32xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @embedding_partial_block(%ids: tensor<?xi32>, %t: tensor<50x35xi8>) {
  // expected-error @+1 {{'loom.embedding' op a table row of 35 bytes is not a whole number of q8_0 blocks (34 bytes each)}}
  %0 = loom.embedding %ids, %t format q8_0 : (tensor<?xi32>, tensor<50x35xi8>) -> tensor<?x?xf32>
  return
}

// -----

func.func @quantize_importance(%w: tensor<16x64xf32>, %imp: tensor<32xf32>) {
  // expected-error @+1 {{'loom.quantize' op importance has 32 entries but the rows have 64 weights}}
  %0 = loom.quantize %w importance %imp format q8_0 : tensor<16x64xf32>, tensor<32xf32> -> tensor<16x68xi8>
  return
}

// -----

func.func @linear_residual_rows(%x: tensor<4x768xf32>, %w: tensor<3072x768xf32>, %r: tensor<5x3072xf32>) {
  // expected-error @+1 {{'loom.linear' op residual has 5 rows but x has 4}}
  %0 = loom.linear %x, %w residual %r : (tensor<4x768xf32>, tensor<3072x768xf32>, tensor<5x3072xf32>) -> tensor<4x3072xf32>
  return
}

// -----

func.func @linear_residual_type(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>, %r: tensor<?x3072xf16>) {
  // expected-error @+1 {{'loom.linear' op residual has element type 'f16' but x has element type 'f32'}}
  %0 = loom.linear %x, %w residual %r : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<?x3072xf16>) -> tensor<?x3072xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<?x768xf32>, %w: tensor<3072x768xf32>) {
  // expected-error @+2 {{'loom.linear' op inferred type(s) 'tensor<?x3072xf32>' are incompatible with return type(s) of operation 'tensor<?x768xf32>'}}
  // expected-error @+1 {{'loom.linear' op failed to infer returned types}}
  %0 = loom.linear %x, %w : (tensor<?x768xf32>, tensor<3072x768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @linear_rank(%x: tensor<768xf32>, %w: tensor<3072x768xf32>) {
  // expected-error @+1 {{'loom.linear' op operand #0 must be 2D tensor of floating-point values}}
  %0 = loom.linear %x, %w : (tensor<768xf32>, tensor<3072x768xf32>) -> tensor<?x3072xf32>
  return
}

// -----

func.func @layer_norm_gamma(%x: tensor<?x768xf32>, %g: tensor<512xf32>) {
  // expected-error @+1 {{'loom.layer_norm' op gamma has 512 elements but x has width 768}}
  %0 = loom.layer_norm %x, %g eps = 1.0e-5 : tensor<?x768xf32>, tensor<512xf32>
  return
}

// -----

func.func @layer_norm_beta(%x: tensor<?x768xf32>, %g: tensor<768xf32>, %b: tensor<512xf32>) {
  // expected-error @+1 {{'loom.layer_norm' op beta has 512 elements but x has width 768}}
  %0 = loom.layer_norm %x, %g, %b eps = 1.0e-5 : tensor<?x768xf32>, tensor<768xf32>, tensor<512xf32>
  return
}

// -----

func.func @rms_norm_gamma(%x: tensor<?x768xf32>, %g: tensor<512xf32>) {
  // expected-error @+1 {{'loom.rms_norm' op gamma has 512 elements but x has width 768}}
  %0 = loom.rms_norm %x, %g eps = 1.0e-5 : tensor<?x768xf32>, tensor<512xf32>
  return
}

// -----

func.func @rms_norm_group(%x: tensor<?x768xf32>, %g: tensor<100xf32>) {
  // expected-error @+1 {{'loom.rms_norm' op group 100 does not divide x's width 768}}
  %0 = loom.rms_norm %x, %g eps = 1.0e-5 group = 100 : tensor<?x768xf32>, tensor<100xf32>
  return
}

// -----

func.func @rms_norm_group_gamma(%x: tensor<?x768xf32>, %g: tensor<768xf32>) {
  // expected-error @+1 {{'loom.rms_norm' op gamma has 768 elements but the group has 64 elements}}
  %0 = loom.rms_norm %x, %g eps = 1.0e-5 group = 64 : tensor<?x768xf32>, tensor<768xf32>
  return
}

// -----

func.func @attention_q_norm_alone(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>, %n: tensor<16xf32>) {
  // expected-error @+1 {{'loom.attention' op qk-norm needs q_norm, k_norm and qk_norm_eps together}}
  %0 = loom.attention %x, %w, %w, %w, %w q_norm %n heads = 4 kv_heads = 4 head_dim = 16 causal qk_norm_eps = 1.0e-6 : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<16xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @attention_q_norm_size(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>, %n: tensor<64xf32>) {
  // expected-error @+1 {{'loom.attention' op q_norm has 64 elements but head_dim = 16}}
  %0 = loom.attention %x, %w, %w, %w, %w q_norm %n k_norm %n heads = 4 kv_heads = 4 head_dim = 16 causal qk_norm_eps = 1.0e-6 : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @attend_window_not_causal(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>) {
  // expected-error @+1 {{'loom.attend' op a sliding window needs causal attention}}
  %0 = loom.attend %q, %k, %k heads = 4 kv_heads = 2 head_dim = 8 window = 4 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @moe_top_k(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %d: tensor<32x16xf32>) {
  // expected-error @+1 {{'loom.moe' op top_k 5 exceeds the 4 experts}}
  %y = loom.moe silu %x, %r, %g, %g, %d experts = 4 top_k = 5 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @moe_router(%x: tensor<?x8xf32>, %r: tensor<3x8xf32>, %g: tensor<64x8xf32>, %d: tensor<32x16xf32>) {
  // expected-error @+1 {{'loom.moe' op router has 3 rows but experts = 4}}
  %y = loom.moe silu %x, %r, %g, %g, %d experts = 4 top_k = 2 : (tensor<?x8xf32>, tensor<3x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @moe_stack(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<62x8xf32>, %d: tensor<32x16xf32>) {
  // expected-error @+1 {{'loom.moe' op w_gate has 62 rows, not a multiple of the 4 experts}}
  %y = loom.moe silu %x, %r, %g, %g, %d experts = 4 top_k = 2 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<62x8xf32>, tensor<62x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @moe_shared_gate_alone(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %d: tensor<32x16xf32>, %sg: tensor<1x8xf32>) {
  // expected-error @+1 {{'loom.moe' op shared_gate scales a shared expert's output: give shared too}}
  %y = loom.moe silu %x, %r, %g, %g, %d shared_gate %sg experts = 4 top_k = 2 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>, tensor<1x8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @moe_shared_width(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %d: tensor<32x16xf32>, %s: tensor<?x16xf32>) {
  // expected-error @+1 {{'loom.moe' op shared must be [seq, 8] as x, got 'tensor<?x16xf32>'}}
  %y = loom.moe silu %x, %r, %g, %g, %d shared %s experts = 4 top_k = 2 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>, tensor<?x16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @moe_down(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %d: tensor<32x8xf32>) {
  // expected-error @+1 {{'loom.moe' op w_down expects input width 8 but the experts' hidden size 16}}
  %y = loom.moe silu %x, %r, %g, %g, %d experts = 4 top_k = 2 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @rms_norm_epsilon(%x: tensor<?x768xf32>, %g: tensor<768xf32>) {
  // expected-error @+1 {{'loom.rms_norm' op epsilon must be non-negative, got -1.0}}
  %0 = loom.rms_norm %x, %g eps = -1.0 : tensor<?x768xf32>, tensor<768xf32>
  return
}

// -----

func.func @attention_gqa(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>, %wkv: tensor<320x768xf32>) {
  // expected-error @+1 {{'loom.attention' op num_heads (12) must be a multiple of num_kv_heads (5)}}
  %0 = loom.attention %x, %w, %wkv, %wkv, %w heads = 12 kv_heads = 5 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<320x768xf32>, tensor<320x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @attend_interleaved_without_rope(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>) {
  // expected-error @+1 {{'loom.attend' op rope_interleaved needs rope_theta}}
  %0 = loom.attend %q, %k, %k heads = 4 kv_heads = 2 head_dim = 8 causal rope_interleaved : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @attention_rope_odd(%x: tensor<?x756xf32>, %w: tensor<756x756xf32>) {
  // expected-error @+1 {{'loom.attention' op rotary embeddings (rope_theta) need an even head_dim, got 63}}
  %0 = loom.attention %x, %w, %w, %w, %w heads = 12 kv_heads = 12 head_dim = 63 rope_theta = 1.0e4 : (tensor<?x756xf32>, tensor<756x756xf32>, tensor<756x756xf32>, tensor<756x756xf32>, tensor<756x756xf32>) -> tensor<?x756xf32>
  return
}

// -----

func.func @attention_wq_rows(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>, %wq: tensor<512x768xf32>) {
  // expected-error @+1 {{'loom.attention' op wq has 512 rows but num_heads * head_dim = 768}}
  %0 = loom.attention %x, %wq, %w, %w, %w heads = 12 kv_heads = 12 head_dim = 64 : (tensor<?x768xf32>, tensor<512x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @attention_wq_width(%x: tensor<?x512xf32>, %w: tensor<768x768xf32>) {
  // expected-error @+1 {{'loom.attention' op wq expects input width 768 but x has width 512}}
  %0 = loom.attention %x, %w, %w, %w, %w heads = 12 kv_heads = 12 head_dim = 64 : (tensor<?x512xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @attention_wk_rows(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>) {
  // expected-error @+1 {{'loom.attention' op wk has 768 rows but num_kv_heads * head_dim = 256}}
  %0 = loom.attention %x, %w, %w, %w, %w heads = 12 kv_heads = 4 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @attention_wv_rows(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>, %wk: tensor<256x768xf32>) {
  // expected-error @+1 {{'loom.attention' op wv has 768 rows but num_kv_heads * head_dim = 256}}
  %0 = loom.attention %x, %w, %wk, %w, %w heads = 12 kv_heads = 4 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @attention_wo_width(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>, %wo: tensor<768x512xf32>) {
  // expected-error @+1 {{'loom.attention' op wo expects input width 512 but num_heads * head_dim = 768}}
  %0 = loom.attention %x, %w, %w, %w, %wo heads = 12 kv_heads = 12 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x512xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @attention_bias(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>, %wkv: tensor<256x768xf32>, %b: tensor<768xf32>) {
  // expected-error @+1 {{'loom.attention' op bk has 768 elements but num_kv_heads * head_dim = 256}}
  %0 = loom.attention %x, %w, %wkv, %wkv, %w bk %b heads = 12 kv_heads = 4 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @attention_bo(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>, %b: tensor<512xf32>) {
  // expected-error @+1 {{'loom.attention' op bo has 512 elements but wo has 768 output rows}}
  %0 = loom.attention %x, %w, %w, %w, %w bo %b heads = 12 kv_heads = 12 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<512xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @attention_heads(%x: tensor<?x768xf32>, %w: tensor<768x768xf32>) {
  // expected-error @+1 {{'loom.attention' op attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = loom.attention %x, %w, %w, %w, %w heads = 0 kv_heads = 12 head_dim = 64 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @mlp_up(%x: tensor<?x512xf32>, %up: tensor<3072x768xf32>, %down: tensor<768x3072xf32>) {
  // expected-error @+1 {{'loom.mlp' op w_up expects input width 768 but x has width 512}}
  %0 = loom.mlp gelu %x, %up, %down : (tensor<?x512xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @mlp_down(%x: tensor<?x768xf32>, %up: tensor<3072x768xf32>, %down: tensor<768x2048xf32>) {
  // expected-error @+1 {{'loom.mlp' op w_down expects input width 2048 but w_up has 3072 rows}}
  %0 = loom.mlp gelu %x, %up, %down : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @mlp_bias(%x: tensor<?x768xf32>, %up: tensor<3072x768xf32>, %down: tensor<768x3072xf32>, %b: tensor<768xf32>) {
  // expected-error @+1 {{'loom.mlp' op b_up has 768 elements but w_up has 3072 rows}}
  %0 = loom.mlp gelu %x, %up, %down b_up %b : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>, tensor<768xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @mlp_activation(%x: tensor<?x768xf32>, %up: tensor<3072x768xf32>, %down: tensor<768x3072xf32>) {
  // expected-error @+1 {{unknown activation 'swish' (expected relu, gelu, gelu_tanh or silu)}}
  %0 = loom.mlp swish %x, %up, %down : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @gated_mlp_gate(%x: tensor<?x768xf32>, %gate: tensor<2048x768xf32>, %up: tensor<3072x768xf32>, %down: tensor<768x3072xf32>) {
  // expected-error @+1 {{'loom.gated_mlp' op w_gate has 2048 rows but w_up has 3072 rows}}
  %0 = loom.gated_mlp silu %x, %gate, %up, %down : (tensor<?x768xf32>, tensor<2048x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @gated_mlp_down(%x: tensor<?x768xf32>, %up: tensor<3072x768xf32>, %down: tensor<768x2048xf32>) {
  // expected-error @+1 {{'loom.gated_mlp' op w_down expects input width 2048 but w_up has 3072 rows}}
  %0 = loom.gated_mlp silu %x, %up, %up, %down : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<3072x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
  return
}

// -----

func.func @add_shapes(%a: tensor<?x768xf32>, %b: tensor<?x512xf32>) {
  // expected-error @+1 {{'loom.add' op shapes 'tensor<?x768xf32>' and 'tensor<?x512xf32>' do not broadcast}}
  %0 = loom.add %a, %b : tensor<?x768xf32>, tensor<?x512xf32>
  return
}

// -----

func.func @add_broadcast(%a: tensor<?x768xf32>, %b: tensor<512xf32>) {
  // expected-error @+1 {{'loom.add' op shapes 'tensor<?x768xf32>' and 'tensor<512xf32>' do not broadcast}}
  %0 = loom.add %a, %b : tensor<?x768xf32>, tensor<512xf32>
  return
}

// -----

func.func @mul_element_type(%a: tensor<?x768xf32>, %b: tensor<?x768xf16>) {
  // expected-error @+1 {{'loom.mul' op element types differ: 'f32' vs 'f16'}}
  %0 = loom.mul %a, %b : tensor<?x768xf32>, tensor<?x768xf16>
  return
}

// -----

func.func @concat_axis(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'loom.concat' op axis 2 is out of range for rank-2 inputs}}
  %0 = loom.concat %a, %a axis = 2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @concat_shapes(%a: tensor<4x8xf32>, %b: tensor<4x6xf32>) {
  // expected-error @+1 {{'loom.concat' op input #1 has size 6 in dimension 1 but input #0 has 8}}
  %0 = loom.concat %a, %b axis = 0 : (tensor<4x8xf32>, tensor<4x6xf32>) -> tensor<8x8xf32>
  return
}

// -----

func.func @concat_result(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{'loom.concat' op inferred type(s) 'tensor<8x8xf32>' are incompatible with return type(s) of operation 'tensor<4x16xf32>'}}
  // expected-error @+1 {{'loom.concat' op failed to infer returned types}}
  %0 = loom.concat %a, %a axis = 0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x16xf32>
  return
}

// -----

func.func @split_sum(%w: tensor<768x2304xf32>) {
  // expected-error @+1 {{'loom.split' op sizes sum to 2300 but the input has 2304 along axis 1}}
  %0:3 = loom.split %w axis = 1 sizes = [768, 768, 764] : tensor<768x2304xf32> -> tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x764xf32>
  return
}

// -----

func.func @split_axis(%w: tensor<768x2304xf32>) {
  // expected-error @+1 {{'loom.split' op axis 2 is out of range for a rank-2 input}}
  %0:2 = loom.split %w axis = 2 sizes = [1, 1] : tensor<768x2304xf32> -> tensor<768x2304xf32>, tensor<768x2304xf32>
  return
}

// -----

func.func @split_positive(%w: tensor<4x8xf32>) {
  // expected-error @+1 {{'loom.split' op sizes must be positive}}
  %0:2 = loom.split %w axis = 0 sizes = [4, 0] : tensor<4x8xf32> -> tensor<4x8xf32>, tensor<0x8xf32>
  return
}

// -----

func.func @convert_shape(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{'loom.convert' op changes the shape from 'tensor<8x4xf32>' to 'tensor<4x8xbf16>'; it converts elements only}}
  %0 = loom.convert %w : tensor<8x4xf32> to tensor<4x8xbf16>
  return
}

// -----

func.func @convert_same_width(%w: tensor<8x4xbf16>) {
  // expected-error @+1 {{'loom.convert' op converts between 'bf16' and 'f16', of the same width; convert through f32}}
  %0 = loom.convert %w : tensor<8x4xbf16> to tensor<8x4xf16>
  return
}

// -----

func.func @linear_wide_weight(%x: tensor<?x8xbf16>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'loom.linear' op a 'f32' weight for 'bf16' inputs: a weight may only be narrower than its inputs (it is widened as it is read)}}
  %0 = loom.linear %x, %w : (tensor<?x8xbf16>, tensor<4x8xf32>) -> tensor<?x4xbf16>
  return
}

// -----

func.func @slice_bounds(%w: tensor<768x768xf32>) {
  // expected-error @+1 {{'loom.slice' op slice [512, 1024) exceeds the extent 768 of axis 0}}
  %0 = loom.slice %w axis = 0 offset = 512 size = 512 : tensor<768x768xf32> -> tensor<512x768xf32>
  return
}

// -----

func.func @transpose_result(%w: tensor<4x8xf32>) {
  // expected-error @+2 {{'loom.transpose' op inferred type(s) 'tensor<8x4xf32>' are incompatible with return type(s) of operation 'tensor<4x8xf32>'}}
  // expected-error @+1 {{'loom.transpose' op failed to infer returned types}}
  %0 = loom.transpose %w : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @embedding_row_index(%t: tensor<4x8xf32>) {
  // expected-error @+1 {{'loom.embedding_row' op index 4 is out of range for a table with 4 rows}}
  %0 = loom.embedding_row %t[4] : tensor<4x8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @position_embedding_length(%ids: tensor<16xi32>, %t: tensor<8x4xf32>) {
  // expected-error @+1 {{'loom.position_embedding' op sequence length 16 exceeds the 8 positions of the table}}
  %0 = loom.position_embedding %ids, %t : (tensor<16xi32>, tensor<8x4xf32>) -> tensor<16x4xf32>
  return
}

// -----

func.func @embedding_ids(%ids: tensor<?xf32>, %t: tensor<8x4xf32>) {
  // expected-error @+1 {{'loom.embedding' op operand #0 must be 1D tensor of signless integer values}}
  %0 = loom.embedding %ids, %t : (tensor<?xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @loop_trip_count(%x: tensor<4xf32>) {
  // expected-error @+1 {{'loom.loop' op trip_count must be positive, got 0}}
  %0 = loom.loop 0 times(%i) iter_args(%h = %x) : tensor<4xf32> {
    loom.yield %h : tensor<4xf32>
  }
  return
}

// -----

func.func @loop_yield_arity(%x: tensor<4xf32>) {
  // expected-error @+1 {{'loom.loop' op body yields 2 values but the loop has 1 iter_args}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<4xf32> {
    loom.yield %h, %h : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @loop_yield_type(%x: tensor<4xf32>, %y: tensor<8xf32>) {
  // expected-error @+1 {{'loom.loop' op yielded value #0 has type 'tensor<8xf32>' but iter_arg #0 has type 'tensor<4xf32>'}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<4xf32> {
    loom.yield %y : tensor<8xf32>
  }
  return
}

// -----

func.func @exit_threshold(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'loom.loop' op exit threshold must be in (0, 1], got 1.5}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 1.5 : tensor<?x8xf32> {
    loom.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @exit_threshold_zero(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'loom.loop' op exit threshold must be in (0, 1], got 0}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.0 : tensor<?x8xf32> {
    loom.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @exit_rule_unknown(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{expected an exit rule (gate or converge), got 'never'}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit never threshold = 0.5 : tensor<?x8xf32> {
    loom.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @exit_rule_without_threshold(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'loom.loop' op an adaptive loop needs both an exit rule and a threshold}}
  %0 = "loom.loop"(%x) <{trip_count = 2 : i64, exit_rule = #loom.exit<gate>}> ({
  ^bb0(%i: index, %h: tensor<?x8xf32>):
    loom.yield %h : tensor<?x8xf32>
  }) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @exit_two_values(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'loom.loop' op an adaptive loop carries one value (the tokens' rows), got 2}}
  %0:2 = loom.loop 2 times(%i) iter_args(%h = %x, %g = %x) exit converge threshold = 0.5 : tensor<?x8xf32>, tensor<?x8xf32> {
    loom.yield %h, %g : tensor<?x8xf32>, tensor<?x8xf32>
  }
  return
}

// -----

func.func @exit_not_rows(%x: tensor<8xf32>) {
  // expected-error @+1 {{'loom.loop' op an adaptive loop's first iter_arg must be a [seq, width] activation, got 'tensor<8xf32>'}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit converge threshold = 0.5 : tensor<8xf32> {
    loom.yield %h : tensor<8xf32>
  }
  return
}

// -----

func.func @exit_gate_no_logits(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'loom.loop' op body yields 1 values but the loop has 1 iter_args and an exit gate's logits}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit gate threshold = 0.5 : tensor<?x8xf32> {
    loom.yield %h : tensor<?x8xf32>
  }
  return
}

// -----

func.func @exit_gate_logits_type(%x: tensor<?x8xf32>, %l: tensor<?x2xf32>) {
  // expected-error @+1 {{'loom.loop' op the exit gate's logits must be [seq, 1] of the first iter_arg's rows and type, got 'tensor<?x2xf32>'}}
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) exit gate threshold = 0.5 : tensor<?x8xf32> {
    loom.yield %h, %l : tensor<?x8xf32>, tensor<?x2xf32>
  }
  return
}

// -----

func.func @loop_no_iter_args() {
  // expected-error @+1 {{'loom.loop' op expects at least one iter_arg}}
  "loom.loop"() <{trip_count = 2 : i64}> ({
  ^bb0(%i: index):
    loom.yield
  }) : () -> ()
  return
}

// -----

func.func @loop_body_args(%x: tensor<4xf32>) {
  // expected-error @+1 {{'loom.loop' op body expects 2 arguments (the index and the iter_args), got 1}}
  %0 = "loom.loop"(%x) <{trip_count = 2 : i64}> ({
  ^bb0(%h: tensor<4xf32>):
    loom.yield %h : tensor<4xf32>
  }) : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @loop_index_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'loom.loop' op the first body argument (the iteration index) must be index, got 'i64'}}
  %0 = "loom.loop"(%x) <{trip_count = 2 : i64}> ({
  ^bb0(%i: i64, %h: tensor<4xf32>):
    loom.yield %h : tensor<4xf32>
  }) : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @yield_parent(%x: tensor<4xf32>) {
  // expected-error @+1 {{'loom.yield' op expects parent op to be one of 'loom.loop, loom.param'}}
  loom.yield %x : tensor<4xf32>
}

// -----

func.func @rope_odd(%x: tensor<?x756xf32>, %pos: index) {
  // expected-error @+1 {{'loom.rope' op head_dim must be even, got 63}}
  %0 = loom.rope %x, %pos head_dim = 63 theta = 1.0e4 : tensor<?x756xf32>
  return
}

// -----

func.func @rope_width(%x: tensor<?x100xf32>, %pos: index) {
  // expected-error @+1 {{'loom.rope' op x has width 100, not a multiple of head_dim 64}}
  %0 = loom.rope %x, %pos head_dim = 64 theta = 1.0e4 : tensor<?x100xf32>
  return
}

// -----

func.func @cached_attention_cache(%q: tensor<?x768xf32>, %k: tensor<?x256xf32>, %c: memref<2x1024x768xf32>, %i: index) {
  // expected-error @+1 {{'loom.cached_attention' op key_cache has width 768 but num_kv_heads * head_dim = 256}}
  %0 = loom.cached_attention %q, %k, %k, %c, %c, %i, %i heads = 12 kv_heads = 4 head_dim = 64 : (tensor<?x768xf32>, tensor<?x256xf32>, tensor<?x256xf32>, memref<2x1024x768xf32>, memref<2x1024x768xf32>, index, index) -> tensor<?x768xf32>
  return
}

// -----

func.func @cached_attention_row_alignment(%q: tensor<?x768xf32>, %k: tensor<?x256xf32>, %c: memref<2x1024x256xf32>, %i: index) {
  // expected-error @+1 {{'loom.cached_attention' op attribute 'row_alignment' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = loom.cached_attention %q, %k, %k, %c, %c, %i, %i heads = 12 kv_heads = 4 head_dim = 64 row_alignment = 0 : (tensor<?x768xf32>, tensor<?x256xf32>, tensor<?x256xf32>, memref<2x1024x256xf32>, memref<2x1024x256xf32>, index, index) -> tensor<?x768xf32>
  return
}

// -----

func.func @cached_attention_q(%q: tensor<?x512xf32>, %k: tensor<?x256xf32>, %c: memref<2x1024x256xf32>, %i: index) {
  // expected-error @+1 {{'loom.cached_attention' op q has width 512 but num_heads * head_dim = 768}}
  %0 = loom.cached_attention %q, %k, %k, %c, %c, %i, %i heads = 12 kv_heads = 4 head_dim = 64 : (tensor<?x512xf32>, tensor<?x256xf32>, tensor<?x256xf32>, memref<2x1024x256xf32>, memref<2x1024x256xf32>, index, index) -> tensor<?x512xf32>
  return
}

// -----

func.func @attend_group(%q: tensor<?x32xf32>, %k: tensor<?x24xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'loom.attend' op num_heads (4) must be a multiple of num_kv_heads (3)}}
  %0 = loom.attend %q, %k, %k heads = 4 kv_heads = 3 head_dim = 8 : (tensor<?x32xf32>, tensor<?x24xf32>, tensor<?x24xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @attend_kv_width(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %v: tensor<?x8xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'loom.attend' op v has width 8 but num_kv_heads * head_dim = 16}}
  %0 = loom.attend %q, %k, %v heads = 4 kv_heads = 2 head_dim = 8 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x8xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @attend_rows(%q: tensor<3x32xf32>, %k: tensor<4x16xf32>) -> tensor<3x32xf32> {
  // expected-error @+1 {{'loom.attend' op k has 4 rows but q has 3}}
  %0 = loom.attend %q, %k, %k heads = 4 kv_heads = 2 head_dim = 8 : (tensor<3x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<3x32xf32>
  return %0 : tensor<3x32xf32>
}

// -----

func.func @attend_odd_rope(%q: tensor<?x28xf32>) -> tensor<?x28xf32> {
  // expected-error @+1 {{'loom.attend' op rotary embeddings (rope_theta) need an even head_dim, got 7}}
  %0 = loom.attend %q, %q, %q heads = 4 kv_heads = 4 head_dim = 7 rope_theta = 1.0e+04 : (tensor<?x28xf32>, tensor<?x28xf32>, tensor<?x28xf32>) -> tensor<?x28xf32>
  return %0 : tensor<?x28xf32>
}

// -----

func.func @glu_odd(%x: tensor<?x7xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'loom.glu' op x has odd width 7; it must hold a gate and a value half}}
  %0 = loom.glu silu %x : tensor<?x7xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @glu_result(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{'loom.glu' op inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<?x8xf32>'}}
  // expected-error @+1 {{'loom.glu' op failed to infer returned types}}
  %0 = loom.glu silu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @loop_results(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'loom.loop' op has 1 iter_args but 0 results}}
  "loom.loop"(%x) ({
  ^bb0(%i: index, %h: tensor<?x8xf32>):
    loom.yield %h : tensor<?x8xf32>
  }) {trip_count = 2 : i64} : (tensor<?x8xf32>) -> ()
  return %x : tensor<?x8xf32>
}

// -----

func.func @low_rank_part(%w: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'loom.low_rank' op part must be "a" or "b", got "c"}}
  %0 = loom.low_rank %w part "c" rank 2 : (tensor<8x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @low_rank_too_high(%w: tensor<8x4xf32>) -> tensor<5x4xf32> {
  // expected-error @+1 {{'loom.low_rank' op rank 5 is above the smaller side of 'tensor<8x4xf32>'}}
  %0 = loom.low_rank %w part "a" rank 5 : (tensor<8x4xf32>) -> tensor<5x4xf32>
  return %0 : tensor<5x4xf32>
}

// -----

func.func @low_rank_result(%w: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'loom.low_rank' op result type 'tensor<2x4xf32>' should be 'tensor<8x2xf32>'}}
  %0 = loom.low_rank %w part "b" rank 2 : (tensor<8x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @low_rank_dynamic(%w: tensor<?x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'loom.low_rank' op factors static weights only, got 'tensor<?x4xf32>'}}
  %0 = loom.low_rank %w part "a" rank 2 : (tensor<?x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @low_rank_importance(%w: tensor<8x4xf32>, %i: tensor<8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'loom.low_rank' op importance has 8 entries for 4 input channels}}
  %0 = loom.low_rank %w importance %i part "a" rank 2 : (tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @sub_broadcast(%a: tensor<?x768xf32>, %b: tensor<?x2xf32>) {
  // expected-error @+1 {{'loom.sub' op shapes 'tensor<?x768xf32>' and 'tensor<?x2xf32>' do not broadcast}}
  %0 = loom.sub %a, %b : tensor<?x768xf32>, tensor<?x2xf32>
  return
}

// -----

func.func @reduce_dynamic(%a: tensor<4x?xf32>) {
  // expected-error @+1 {{'loom.reduce' op the reduced (last) dimension must be static, got 'tensor<4x?xf32>'}}
  %0 = loom.reduce sum %a : tensor<4x?xf32> -> tensor<4x1xf32>
  return
}

// -----

func.func @reduce_result(%a: tensor<?x8xf32>) {
  // expected-error @+2 {{'loom.reduce' op inferred type(s) 'tensor<?x1xf32>' are incompatible with return type(s) of operation 'tensor<?x8xf32>'}}
  // expected-error @+1 {{'loom.reduce' op failed to infer returned types}}
  %0 = loom.reduce sum %a : tensor<?x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @unary_fn(%a: tensor<?x8xf32>) {
  // expected-error @+1 {{expected}}
  %0 = loom.unary cube %a : tensor<?x8xf32>
  return
}

// -----

func.func @cumsum_dynamic_row(%x: tensor<?x?xf32>) {
  // expected-error @+1 {{'loom.cumsum' op all but the sequence dimension must be static, got 'tensor<?x?xf32>'}}
  %0 = loom.cumsum %x : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return
}

// -----

func.func @cumsum_state_shape(%x: tensor<?x4x8xf32>, %s: memref<4x4xf32>, %p: index) {
  // expected-error @+1 {{'loom.cumsum' op state must have the static shape [4, 8], got 'memref<4x4xf32>'}}
  %0 = loom.cumsum %x state %s at %p : (tensor<?x4x8xf32>, memref<4x4xf32>, index) -> tensor<?x4x8xf32>
  return
}

// -----

func.func @cumsum_state_rank(%x: tensor<?x8xf32>, %s: memref<1x8xf32>, %p: index) {
  // expected-error @+1 {{'loom.cumsum' op state must have rank 1, got 'memref<1x8xf32>'}}
  %0 = loom.cumsum %x state %s at %p : (tensor<?x8xf32>, memref<1x8xf32>, index) -> tensor<?x8xf32>
  return
}

// -----

func.func @linear_attend_group(%q: tensor<?x24xf32>, %k: tensor<?x16xf32>) {
  // expected-error @+1 {{'loom.linear_attend' op num_heads (3) must be a multiple of num_kv_heads (2)}}
  %0 = loom.linear_attend %q, %k, %k heads = 3 kv_heads = 2 head_dim = 8 : (tensor<?x24xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x24xf32>
  return
}

// -----

func.func @linear_attend_key_width(%q: tensor<?x32xf32>, %k: tensor<?x12xf32>) {
  // expected-error @+1 {{'loom.linear_attend' op k has width 12 but expected 16}}
  %0 = loom.linear_attend %q, %k, %k heads = 4 kv_heads = 2 head_dim = 8 : (tensor<?x32xf32>, tensor<?x12xf32>, tensor<?x12xf32>) -> tensor<?x24xf32>
  return
}

// -----

func.func @linear_attend_value_width(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %v: tensor<?x15xf32>) {
  // expected-error @+1 {{'loom.linear_attend' op v must have a static width that is a multiple of num_kv_heads (2), got 'tensor<?x15xf32>'}}
  %0 = loom.linear_attend %q, %k, %v heads = 4 kv_heads = 2 head_dim = 8 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x15xf32>) -> tensor<?x28xf32>
  return
}

// -----

func.func @linear_attend_state(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %s: memref<2x8x4xf32>, %p: index) {
  // expected-error @+1 {{'loom.linear_attend' op state must have the static shape [2, 8, 8], got 'memref<2x8x4xf32>'}}
  %0 = loom.linear_attend %q, %k, %k state %s at %p heads = 4 kv_heads = 2 head_dim = 8 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>, memref<2x8x4xf32>, index) -> tensor<?x32xf32>
  return
}

// -----

func.func @topk_k(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'loom.topk' op k = 5 exceeds the 4 elements of the last dimension}}
  %v, %i = loom.topk %x k = 5 : tensor<?x4xf32> -> tensor<?x5xf32>, tensor<?x5xf32>
  return
}

// -----

func.func @topk_wide(%x: tensor<?x5000xf32>) {
  // expected-error @+1 {{'loom.topk' op the last dimension must be static and at most 4096, got 'tensor<?x5000xf32>'}}
  %v, %i = loom.topk %x k = 2 : tensor<?x5000xf32> -> tensor<?x2xf32>, tensor<?x2xf32>
  return
}

// -----

func.func @gather_rank(%x: tensor<?x4xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{'loom.gather' op x 'tensor<?x4xf32>' and indices 'tensor<2xf32>' must have one rank (at least 1)}}
  %0 = loom.gather %x, %i : (tensor<?x4xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return
}

// -----

func.func @gather_rows(%x: tensor<3x4xf32>, %i: tensor<5x2xf32>) {
  // expected-error @+1 {{'loom.gather' op x 'tensor<3x4xf32>' and indices 'tensor<5x2xf32>' differ in dimension 0}}
  %0 = loom.gather %x, %i : (tensor<3x4xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  return
}
