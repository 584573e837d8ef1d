module attributes {loom.config = {dim = 64 : i64, eps = 1.000000e-05 : f64, ffn = 128 : i64, heads = 4 : i64, kv_heads = 4 : i64, layers = 2 : i64, rope_theta = 1.000000e+04 : f64, vocab = 50 : i64}, loom.model = "Llama"} {
  loom.param @model.embed_tokens.weight : tensor<50x64xf32>
  loom.param @model.layers.0.input_layernorm.weight : tensor<64xf32>
  loom.param @model.layers.0.self_attn.q_proj.weight : tensor<64x64xf32>
  loom.param @model.layers.0.self_attn.k_proj.weight : tensor<64x64xf32>
  loom.param @model.layers.0.self_attn.v_proj.weight : tensor<64x64xf32>
  loom.param @model.layers.0.self_attn.o_proj.weight : tensor<64x64xf32>
  loom.param @model.layers.0.post_attention_layernorm.weight : tensor<64xf32>
  loom.param @model.layers.0.mlp.gate_proj.weight : tensor<128x64xf32>
  loom.param @model.layers.0.mlp.up_proj.weight : tensor<128x64xf32>
  loom.param @model.layers.0.mlp.down_proj.weight : tensor<64x128xf32>
  loom.param @model.layers.1.input_layernorm.weight : tensor<64xf32>
  loom.param @model.layers.1.self_attn.q_proj.weight : tensor<64x64xf32>
  loom.param @model.layers.1.self_attn.k_proj.weight : tensor<64x64xf32>
  loom.param @model.layers.1.self_attn.v_proj.weight : tensor<64x64xf32>
  loom.param @model.layers.1.self_attn.o_proj.weight : tensor<64x64xf32>
  loom.param @model.layers.1.post_attention_layernorm.weight : tensor<64xf32>
  loom.param @model.layers.1.mlp.gate_proj.weight : tensor<128x64xf32>
  loom.param @model.layers.1.mlp.up_proj.weight : tensor<128x64xf32>
  loom.param @model.layers.1.mlp.down_proj.weight : tensor<64x128xf32>
  loom.param @model.norm.weight : tensor<64xf32>
  loom.param @lm_head.weight : tensor<50x64xf32>
  func.func private @Decoder(%arg0: tensor<?x64xf32>, %arg1: tensor<64xf32> {loom.weight = "input_layernorm.weight"}, %arg2: tensor<64x64xf32> {loom.weight = "self_attn.q_proj.weight"}, %arg3: tensor<64x64xf32> {loom.weight = "self_attn.k_proj.weight"}, %arg4: tensor<64x64xf32> {loom.weight = "self_attn.v_proj.weight"}, %arg5: tensor<64x64xf32> {loom.weight = "self_attn.o_proj.weight"}, %arg6: tensor<64xf32> {loom.weight = "post_attention_layernorm.weight"}, %arg7: tensor<128x64xf32> {loom.weight = "mlp.gate_proj.weight"}, %arg8: tensor<128x64xf32> {loom.weight = "mlp.up_proj.weight"}, %arg9: tensor<64x128xf32> {loom.weight = "mlp.down_proj.weight"}) -> tensor<?x64xf32> attributes {loom.block} {
    %0 = loom.rms_norm %arg0, %arg1 eps = 1.000000e-05 : tensor<?x64xf32>, tensor<64xf32>
    %1 = loom.attention %0, %arg2, %arg3, %arg4, %arg5 heads = 4 kv_heads = 4 head_dim = 16 causal rope_theta = 1.000000e+04 : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %2 = loom.add %arg0, %1 : tensor<?x64xf32>, tensor<?x64xf32>
    %3 = loom.rms_norm %2, %arg6 eps = 1.000000e-05 : tensor<?x64xf32>, tensor<64xf32>
    %4 = loom.gated_mlp silu %3, %arg7, %arg8, %arg9 : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
    %5 = loom.add %2, %4 : tensor<?x64xf32>, tensor<?x64xf32>
    return %5 : tensor<?x64xf32>
  }
  func.func @forward(%arg0: tensor<?xi32>) -> tensor<?x50xf32> attributes {loom.entry} {
    %0 = loom.weight @model.embed_tokens.weight : tensor<50x64xf32>
    %1 = loom.embedding %arg0, %0 : (tensor<?xi32>, tensor<50x64xf32>) -> tensor<?x64xf32>
    %2 = loom.weight @model.layers.0.input_layernorm.weight : tensor<64xf32>
    %3 = loom.weight @model.layers.0.self_attn.q_proj.weight : tensor<64x64xf32>
    %4 = loom.weight @model.layers.0.self_attn.k_proj.weight : tensor<64x64xf32>
    %5 = loom.weight @model.layers.0.self_attn.v_proj.weight : tensor<64x64xf32>
    %6 = loom.weight @model.layers.0.self_attn.o_proj.weight : tensor<64x64xf32>
    %7 = loom.weight @model.layers.0.post_attention_layernorm.weight : tensor<64xf32>
    %8 = loom.weight @model.layers.0.mlp.gate_proj.weight : tensor<128x64xf32>
    %9 = loom.weight @model.layers.0.mlp.up_proj.weight : tensor<128x64xf32>
    %10 = loom.weight @model.layers.0.mlp.down_proj.weight : tensor<64x128xf32>
    %11 = loom.weight @model.layers.1.input_layernorm.weight : tensor<64xf32>
    %12 = loom.weight @model.layers.1.self_attn.q_proj.weight : tensor<64x64xf32>
    %13 = loom.weight @model.layers.1.self_attn.k_proj.weight : tensor<64x64xf32>
    %14 = loom.weight @model.layers.1.self_attn.v_proj.weight : tensor<64x64xf32>
    %15 = loom.weight @model.layers.1.self_attn.o_proj.weight : tensor<64x64xf32>
    %16 = loom.weight @model.layers.1.post_attention_layernorm.weight : tensor<64xf32>
    %17 = loom.weight @model.layers.1.mlp.gate_proj.weight : tensor<128x64xf32>
    %18 = loom.weight @model.layers.1.mlp.up_proj.weight : tensor<128x64xf32>
    %19 = loom.weight @model.layers.1.mlp.down_proj.weight : tensor<64x128xf32>
    %20 = call @Decoder(%1, %2, %3, %4, %5, %6, %7, %8, %9, %10) : (tensor<?x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
    %21 = call @Decoder(%20, %11, %12, %13, %14, %15, %16, %17, %18, %19) : (tensor<?x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
    %22 = loom.weight @model.norm.weight : tensor<64xf32>
    %23 = loom.rms_norm %21, %22 eps = 1.000000e-05 : tensor<?x64xf32>, tensor<64xf32>
    %24 = loom.weight @lm_head.weight : tensor<50x64xf32>
    %25 = loom.linear %23, %24 : (tensor<?x64xf32>, tensor<50x64xf32>) -> tensor<?x50xf32>
    return %25 : tensor<?x50xf32>
  }
}

