module attributes {loom.config = {dim = 768 : i64, ffn = 2048 : i64, heads = 12 : i64, kv_heads = 4 : i64, loops = 4 : i64, vocab = 32000 : i64}, loom.model = "Looped"} {
  loom.param @model.embed_tokens.weight : tensor<32000x768xf32>
  loom.param @model.shared.input_layernorm.weight : tensor<768xf32>
  loom.param @model.shared.self_attn.q_proj.weight : tensor<768x768xf32>
  loom.param @model.shared.self_attn.k_proj.weight : tensor<256x768xf32>
  loom.param @model.shared.self_attn.v_proj.weight : tensor<256x768xf32>
  loom.param @model.shared.self_attn.o_proj.weight : tensor<768x768xf32>
  loom.param @model.shared.post_attention_layernorm.weight : tensor<768xf32>
  loom.param @model.shared.mlp.gate_proj.weight : tensor<2048x768xf32>
  loom.param @model.shared.mlp.up_proj.weight : tensor<2048x768xf32>
  loom.param @model.shared.mlp.down_proj.weight : tensor<768x2048xf32>
  loom.param @model.norm.weight : tensor<768xf32>
  loom.param @lm_head.weight : tensor<32000x768xf32>
  func.func private @Decoder(%arg0: tensor<?x768xf32>, %arg1: tensor<768xf32> {loom.weight = "input_layernorm.weight"}, %arg2: tensor<768x768xf32> {loom.weight = "self_attn.q_proj.weight"}, %arg3: tensor<256x768xf32> {loom.weight = "self_attn.k_proj.weight"}, %arg4: tensor<256x768xf32> {loom.weight = "self_attn.v_proj.weight"}, %arg5: tensor<768x768xf32> {loom.weight = "self_attn.o_proj.weight"}, %arg6: tensor<768xf32> {loom.weight = "post_attention_layernorm.weight"}, %arg7: tensor<2048x768xf32> {loom.weight = "mlp.gate_proj.weight"}, %arg8: tensor<2048x768xf32> {loom.weight = "mlp.up_proj.weight"}, %arg9: tensor<768x2048xf32> {loom.weight = "mlp.down_proj.weight"}) -> tensor<?x768xf32> attributes {loom.block} {
    %0 = loom.rms_norm %arg0, %arg1 eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>
    %1 = loom.attention %0, %arg2, %arg3, %arg4, %arg5 heads = 12 kv_heads = 4 head_dim = 64 causal rope_theta = 1.000000e+04 : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>) -> tensor<?x768xf32>
    %2 = loom.add %arg0, %1 : tensor<?x768xf32>, tensor<?x768xf32>
    %3 = loom.rms_norm %2, %arg6 eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>
    %4 = loom.gated_mlp silu %3, %arg7, %arg8, %arg9 : (tensor<?x768xf32>, tensor<2048x768xf32>, tensor<2048x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
    %5 = loom.add %2, %4 : tensor<?x768xf32>, tensor<?x768xf32>
    return %5 : tensor<?x768xf32>
  }
  func.func @forward(%arg0: tensor<?xi32>) -> tensor<?x32000xf32> attributes {loom.entry} {
    %0 = loom.weight @model.embed_tokens.weight : tensor<32000x768xf32>
    %1 = loom.embedding %arg0, %0 : (tensor<?xi32>, tensor<32000x768xf32>) -> tensor<?x768xf32>
    %2 = loom.weight @model.shared.input_layernorm.weight : tensor<768xf32>
    %3 = loom.weight @model.shared.self_attn.q_proj.weight : tensor<768x768xf32>
    %4 = loom.weight @model.shared.self_attn.k_proj.weight : tensor<256x768xf32>
    %5 = loom.weight @model.shared.self_attn.v_proj.weight : tensor<256x768xf32>
    %6 = loom.weight @model.shared.self_attn.o_proj.weight : tensor<768x768xf32>
    %7 = loom.weight @model.shared.post_attention_layernorm.weight : tensor<768xf32>
    %8 = loom.weight @model.shared.mlp.gate_proj.weight : tensor<2048x768xf32>
    %9 = loom.weight @model.shared.mlp.up_proj.weight : tensor<2048x768xf32>
    %10 = loom.weight @model.shared.mlp.down_proj.weight : tensor<768x2048xf32>
    %11 = loom.loop 4 times(%arg1) iter_args(%arg2 = %1) : tensor<?x768xf32> {
      %16 = func.call @Decoder(%arg2, %2, %3, %4, %5, %6, %7, %8, %9, %10) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<2048x768xf32>, tensor<2048x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
      loom.yield %16 : tensor<?x768xf32>
    }
    %12 = loom.weight @model.norm.weight : tensor<768xf32>
    %13 = loom.rms_norm %11, %12 eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>
    %14 = loom.weight @lm_head.weight : tensor<32000x768xf32>
    %15 = loom.linear %13, %14 : (tensor<?x768xf32>, tensor<32000x768xf32>) -> tensor<?x32000xf32>
    return %15 : tensor<?x32000xf32>
  }
}

