module attributes {loom.config = {dim = 768 : i64, ffn = 2048 : i64, heads = 12 : i64, kv_heads = 4 : i64, loops = 3 : i64, middle_kv_heads = 4 : i64, vocab = 32000 : i64}, loom.model = "Hyperloop"} {
  loom.param @model.embed_tokens.weight : tensor<32000x768xf32>
  loom.param @model.begin.0.input_layernorm.weight : tensor<768xf32>
  loom.param @model.begin.0.self_attn.q_proj.weight : tensor<768x768xf32>
  loom.param @model.begin.0.self_attn.k_proj.weight : tensor<256x768xf32>
  loom.param @model.begin.0.self_attn.v_proj.weight : tensor<256x768xf32>
  loom.param @model.begin.0.self_attn.o_proj.weight : tensor<768x768xf32>
  loom.param @model.begin.0.post_attention_layernorm.weight : tensor<768xf32>
  loom.param @model.begin.0.mlp.gate_proj.weight : tensor<2048x768xf32>
  loom.param @model.begin.0.mlp.up_proj.weight : tensor<2048x768xf32>
  loom.param @model.begin.0.mlp.down_proj.weight : tensor<768x2048xf32>
  loom.param @model.begin.1.input_layernorm.weight : tensor<768xf32>
  loom.param @model.begin.1.self_attn.q_proj.weight : tensor<768x768xf32>
  loom.param @model.begin.1.self_attn.k_proj.weight : tensor<256x768xf32>
  loom.param @model.begin.1.self_attn.v_proj.weight : tensor<256x768xf32>
  loom.param @model.begin.1.self_attn.o_proj.weight : tensor<768x768xf32>
  loom.param @model.begin.1.post_attention_layernorm.weight : tensor<768xf32>
  loom.param @model.begin.1.mlp.gate_proj.weight : tensor<2048x768xf32>
  loom.param @model.begin.1.mlp.up_proj.weight : tensor<2048x768xf32>
  loom.param @model.begin.1.mlp.down_proj.weight : tensor<768x2048xf32>
  loom.param @model.middle.0.input_layernorm.weight : tensor<768xf32>
  loom.param @model.middle.0.self_attn.q_proj.weight : tensor<768x768xf32>
  loom.param @model.middle.0.self_attn.k_proj.weight : tensor<256x768xf32>
  loom.param @model.middle.0.self_attn.v_proj.weight : tensor<256x768xf32>
  loom.param @model.middle.0.self_attn.o_proj.weight : tensor<768x768xf32>
  loom.param @model.middle.0.post_attention_layernorm.weight : tensor<768xf32>
  loom.param @model.middle.0.mlp.gate_proj.weight : tensor<2048x768xf32>
  loom.param @model.middle.0.mlp.up_proj.weight : tensor<2048x768xf32>
  loom.param @model.middle.0.mlp.down_proj.weight : tensor<768x2048xf32>
  loom.param @model.middle.1.input_layernorm.weight : tensor<768xf32>
  loom.param @model.middle.1.self_attn.q_proj.weight : tensor<768x768xf32>
  loom.param @model.middle.1.self_attn.k_proj.weight : tensor<256x768xf32>
  loom.param @model.middle.1.self_attn.v_proj.weight : tensor<256x768xf32>
  loom.param @model.middle.1.self_attn.o_proj.weight : tensor<768x768xf32>
  loom.param @model.middle.1.post_attention_layernorm.weight : tensor<768xf32>
  loom.param @model.middle.1.mlp.gate_proj.weight : tensor<2048x768xf32>
  loom.param @model.middle.1.mlp.up_proj.weight : tensor<2048x768xf32>
  loom.param @model.middle.1.mlp.down_proj.weight : tensor<768x2048xf32>
  loom.param @model.end.0.input_layernorm.weight : tensor<768xf32>
  loom.param @model.end.0.self_attn.q_proj.weight : tensor<768x768xf32>
  loom.param @model.end.0.self_attn.k_proj.weight : tensor<256x768xf32>
  loom.param @model.end.0.self_attn.v_proj.weight : tensor<256x768xf32>
  loom.param @model.end.0.self_attn.o_proj.weight : tensor<768x768xf32>
  loom.param @model.end.0.post_attention_layernorm.weight : tensor<768xf32>
  loom.param @model.end.0.mlp.gate_proj.weight : tensor<2048x768xf32>
  loom.param @model.end.0.mlp.up_proj.weight : tensor<2048x768xf32>
  loom.param @model.end.0.mlp.down_proj.weight : tensor<768x2048xf32>
  loom.param @model.end.1.input_layernorm.weight : tensor<768xf32>
  loom.param @model.end.1.self_attn.q_proj.weight : tensor<768x768xf32>
  loom.param @model.end.1.self_attn.k_proj.weight : tensor<256x768xf32>
  loom.param @model.end.1.self_attn.v_proj.weight : tensor<256x768xf32>
  loom.param @model.end.1.self_attn.o_proj.weight : tensor<768x768xf32>
  loom.param @model.end.1.post_attention_layernorm.weight : tensor<768xf32>
  loom.param @model.end.1.mlp.gate_proj.weight : tensor<2048x768xf32>
  loom.param @model.end.1.mlp.up_proj.weight : tensor<2048x768xf32>
  loom.param @model.end.1.mlp.down_proj.weight : tensor<768x2048xf32>
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
    %2 = loom.weight @model.begin.0.input_layernorm.weight : tensor<768xf32>
    %3 = loom.weight @model.begin.0.self_attn.q_proj.weight : tensor<768x768xf32>
    %4 = loom.weight @model.begin.0.self_attn.k_proj.weight : tensor<256x768xf32>
    %5 = loom.weight @model.begin.0.self_attn.v_proj.weight : tensor<256x768xf32>
    %6 = loom.weight @model.begin.0.self_attn.o_proj.weight : tensor<768x768xf32>
    %7 = loom.weight @model.begin.0.post_attention_layernorm.weight : tensor<768xf32>
    %8 = loom.weight @model.begin.0.mlp.gate_proj.weight : tensor<2048x768xf32>
    %9 = loom.weight @model.begin.0.mlp.up_proj.weight : tensor<2048x768xf32>
    %10 = loom.weight @model.begin.0.mlp.down_proj.weight : tensor<768x2048xf32>
    %11 = loom.weight @model.begin.1.input_layernorm.weight : tensor<768xf32>
    %12 = loom.weight @model.begin.1.self_attn.q_proj.weight : tensor<768x768xf32>
    %13 = loom.weight @model.begin.1.self_attn.k_proj.weight : tensor<256x768xf32>
    %14 = loom.weight @model.begin.1.self_attn.v_proj.weight : tensor<256x768xf32>
    %15 = loom.weight @model.begin.1.self_attn.o_proj.weight : tensor<768x768xf32>
    %16 = loom.weight @model.begin.1.post_attention_layernorm.weight : tensor<768xf32>
    %17 = loom.weight @model.begin.1.mlp.gate_proj.weight : tensor<2048x768xf32>
    %18 = loom.weight @model.begin.1.mlp.up_proj.weight : tensor<2048x768xf32>
    %19 = loom.weight @model.begin.1.mlp.down_proj.weight : tensor<768x2048xf32>
    %20 = call @Decoder(%1, %2, %3, %4, %5, %6, %7, %8, %9, %10) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<2048x768xf32>, tensor<2048x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
    %21 = call @Decoder(%20, %11, %12, %13, %14, %15, %16, %17, %18, %19) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<2048x768xf32>, tensor<2048x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
    %22 = loom.weight @model.middle.0.input_layernorm.weight : tensor<768xf32>
    %23 = loom.weight @model.middle.0.self_attn.q_proj.weight : tensor<768x768xf32>
    %24 = loom.weight @model.middle.0.self_attn.k_proj.weight : tensor<256x768xf32>
    %25 = loom.weight @model.middle.0.self_attn.v_proj.weight : tensor<256x768xf32>
    %26 = loom.weight @model.middle.0.self_attn.o_proj.weight : tensor<768x768xf32>
    %27 = loom.weight @model.middle.0.post_attention_layernorm.weight : tensor<768xf32>
    %28 = loom.weight @model.middle.0.mlp.gate_proj.weight : tensor<2048x768xf32>
    %29 = loom.weight @model.middle.0.mlp.up_proj.weight : tensor<2048x768xf32>
    %30 = loom.weight @model.middle.0.mlp.down_proj.weight : tensor<768x2048xf32>
    %31 = loom.weight @model.middle.1.input_layernorm.weight : tensor<768xf32>
    %32 = loom.weight @model.middle.1.self_attn.q_proj.weight : tensor<768x768xf32>
    %33 = loom.weight @model.middle.1.self_attn.k_proj.weight : tensor<256x768xf32>
    %34 = loom.weight @model.middle.1.self_attn.v_proj.weight : tensor<256x768xf32>
    %35 = loom.weight @model.middle.1.self_attn.o_proj.weight : tensor<768x768xf32>
    %36 = loom.weight @model.middle.1.post_attention_layernorm.weight : tensor<768xf32>
    %37 = loom.weight @model.middle.1.mlp.gate_proj.weight : tensor<2048x768xf32>
    %38 = loom.weight @model.middle.1.mlp.up_proj.weight : tensor<2048x768xf32>
    %39 = loom.weight @model.middle.1.mlp.down_proj.weight : tensor<768x2048xf32>
    %40 = loom.loop 3 times(%arg1) iter_args(%arg2 = %21) : tensor<?x768xf32> {
      %65 = func.call @Decoder(%arg2, %22, %23, %24, %25, %26, %27, %28, %29, %30) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<2048x768xf32>, tensor<2048x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
      %66 = func.call @Decoder(%65, %31, %32, %33, %34, %35, %36, %37, %38, %39) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<2048x768xf32>, tensor<2048x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
      loom.yield %66 : tensor<?x768xf32>
    }
    %41 = loom.weight @model.end.0.input_layernorm.weight : tensor<768xf32>
    %42 = loom.weight @model.end.0.self_attn.q_proj.weight : tensor<768x768xf32>
    %43 = loom.weight @model.end.0.self_attn.k_proj.weight : tensor<256x768xf32>
    %44 = loom.weight @model.end.0.self_attn.v_proj.weight : tensor<256x768xf32>
    %45 = loom.weight @model.end.0.self_attn.o_proj.weight : tensor<768x768xf32>
    %46 = loom.weight @model.end.0.post_attention_layernorm.weight : tensor<768xf32>
    %47 = loom.weight @model.end.0.mlp.gate_proj.weight : tensor<2048x768xf32>
    %48 = loom.weight @model.end.0.mlp.up_proj.weight : tensor<2048x768xf32>
    %49 = loom.weight @model.end.0.mlp.down_proj.weight : tensor<768x2048xf32>
    %50 = loom.weight @model.end.1.input_layernorm.weight : tensor<768xf32>
    %51 = loom.weight @model.end.1.self_attn.q_proj.weight : tensor<768x768xf32>
    %52 = loom.weight @model.end.1.self_attn.k_proj.weight : tensor<256x768xf32>
    %53 = loom.weight @model.end.1.self_attn.v_proj.weight : tensor<256x768xf32>
    %54 = loom.weight @model.end.1.self_attn.o_proj.weight : tensor<768x768xf32>
    %55 = loom.weight @model.end.1.post_attention_layernorm.weight : tensor<768xf32>
    %56 = loom.weight @model.end.1.mlp.gate_proj.weight : tensor<2048x768xf32>
    %57 = loom.weight @model.end.1.mlp.up_proj.weight : tensor<2048x768xf32>
    %58 = loom.weight @model.end.1.mlp.down_proj.weight : tensor<768x2048xf32>
    %59 = call @Decoder(%40, %41, %42, %43, %44, %45, %46, %47, %48, %49) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<2048x768xf32>, tensor<2048x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
    %60 = call @Decoder(%59, %50, %51, %52, %53, %54, %55, %56, %57, %58) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768x768xf32>, tensor<256x768xf32>, tensor<256x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<2048x768xf32>, tensor<2048x768xf32>, tensor<768x2048xf32>) -> tensor<?x768xf32>
    %61 = loom.weight @model.norm.weight : tensor<768xf32>
    %62 = loom.rms_norm %60, %61 eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>
    %63 = loom.weight @lm_head.weight : tensor<32000x768xf32>
    %64 = loom.linear %62, %63 : (tensor<?x768xf32>, tensor<32000x768xf32>) -> tensor<?x32000xf32>
    return %64 : tensor<?x32000xf32>
  }
}

