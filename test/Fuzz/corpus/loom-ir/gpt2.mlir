module attributes {loom.config = {dim = 768 : i64, eps = 1.000000e-05 : f64, heads = 12 : i64, layers = 12 : i64, positions = 1024 : i64, vocab = 50257 : i64}, loom.model = "GPT2"} {
  loom.param @transformer.wte.weight : tensor<50257x768xf32>
  loom.param @transformer.wpe.weight : tensor<1024x768xf32>
  loom.param @transformer.h.0.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.0.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.0.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.0.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.0.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.0.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.0.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.0.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.0.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.0.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.0.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.0.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.1.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.1.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.1.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.1.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.1.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.1.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.1.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.1.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.1.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.1.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.1.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.1.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.2.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.2.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.2.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.2.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.2.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.2.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.2.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.2.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.2.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.2.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.2.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.2.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.3.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.3.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.3.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.3.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.3.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.3.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.3.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.3.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.3.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.3.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.3.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.3.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.4.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.4.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.4.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.4.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.4.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.4.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.4.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.4.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.4.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.4.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.4.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.4.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.5.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.5.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.5.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.5.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.5.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.5.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.5.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.5.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.5.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.5.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.5.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.5.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.6.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.6.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.6.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.6.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.6.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.6.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.6.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.6.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.6.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.6.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.6.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.6.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.7.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.7.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.7.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.7.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.7.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.7.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.7.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.7.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.7.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.7.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.7.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.7.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.8.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.8.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.8.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.8.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.8.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.8.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.8.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.8.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.8.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.8.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.8.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.8.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.9.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.9.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.9.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.9.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.9.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.9.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.9.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.9.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.9.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.9.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.9.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.9.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.10.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.10.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.10.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.10.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.10.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.10.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.10.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.10.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.10.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.10.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.10.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.10.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.11.ln_1.weight : tensor<768xf32>
  loom.param @transformer.h.11.ln_1.bias : tensor<768xf32>
  loom.param @transformer.h.11.attn.c_attn.weight : tensor<768x2304xf32>
  loom.param @transformer.h.11.attn.c_attn.bias : tensor<2304xf32>
  loom.param @transformer.h.11.attn.c_proj.weight : tensor<768x768xf32>
  loom.param @transformer.h.11.attn.c_proj.bias : tensor<768xf32>
  loom.param @transformer.h.11.ln_2.weight : tensor<768xf32>
  loom.param @transformer.h.11.ln_2.bias : tensor<768xf32>
  loom.param @transformer.h.11.mlp.c_fc.weight : tensor<768x3072xf32>
  loom.param @transformer.h.11.mlp.c_fc.bias : tensor<3072xf32>
  loom.param @transformer.h.11.mlp.c_proj.weight : tensor<3072x768xf32>
  loom.param @transformer.h.11.mlp.c_proj.bias : tensor<768xf32>
  loom.param @transformer.ln_f.weight : tensor<768xf32>
  loom.param @transformer.ln_f.bias : tensor<768xf32>
  func.func private @Block(%arg0: tensor<?x768xf32>, %arg1: tensor<768xf32> {loom.weight = "ln_1.weight"}, %arg2: tensor<768xf32> {loom.weight = "ln_1.bias"}, %arg3: tensor<768x2304xf32> {loom.weight = "attn.c_attn.weight"}, %arg4: tensor<2304xf32> {loom.weight = "attn.c_attn.bias"}, %arg5: tensor<768x768xf32> {loom.weight = "attn.c_proj.weight"}, %arg6: tensor<768xf32> {loom.weight = "attn.c_proj.bias"}, %arg7: tensor<768xf32> {loom.weight = "ln_2.weight"}, %arg8: tensor<768xf32> {loom.weight = "ln_2.bias"}, %arg9: tensor<768x3072xf32> {loom.weight = "mlp.c_fc.weight"}, %arg10: tensor<3072xf32> {loom.weight = "mlp.c_fc.bias"}, %arg11: tensor<3072x768xf32> {loom.weight = "mlp.c_proj.weight"}, %arg12: tensor<768xf32> {loom.weight = "mlp.c_proj.bias"}) -> tensor<?x768xf32> attributes {loom.block} {
    %0 = loom.layer_norm %arg0, %arg1, %arg2 eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>
    %1 = loom.transpose %arg3 : tensor<768x2304xf32> -> tensor<2304x768xf32>
    %2:3 = loom.split %1 axis = 0 sizes = [768, 768, 768] : tensor<2304x768xf32> -> tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>
    %3:3 = loom.split %arg4 axis = 0 sizes = [768, 768, 768] : tensor<2304xf32> -> tensor<768xf32>, tensor<768xf32>, tensor<768xf32>
    %4 = loom.transpose %arg5 : tensor<768x768xf32> -> tensor<768x768xf32>
    %5 = loom.attention %0, %2#0, %2#1, %2#2, %4 bq %3#0 bk %3#1 bv %3#2 bo %arg6 heads = 12 kv_heads = 12 head_dim = 64 causal : (tensor<?x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %6 = loom.add %arg0, %5 : tensor<?x768xf32>, tensor<?x768xf32>
    %7 = loom.layer_norm %6, %arg7, %arg8 eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>
    %8 = loom.transpose %arg9 : tensor<768x3072xf32> -> tensor<3072x768xf32>
    %9 = loom.transpose %arg11 : tensor<3072x768xf32> -> tensor<768x3072xf32>
    %10 = loom.mlp gelu_tanh %7, %8, %9 b_up %arg10 b_down %arg12 : (tensor<?x768xf32>, tensor<3072x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %11 = loom.add %6, %10 : tensor<?x768xf32>, tensor<?x768xf32>
    return %11 : tensor<?x768xf32>
  }
  func.func @forward(%arg0: tensor<?xi32>) -> tensor<?x50257xf32> attributes {loom.entry} {
    %0 = loom.weight @transformer.wte.weight : tensor<50257x768xf32>
    %1 = loom.embedding %arg0, %0 : (tensor<?xi32>, tensor<50257x768xf32>) -> tensor<?x768xf32>
    %2 = loom.weight @transformer.wpe.weight : tensor<1024x768xf32>
    %3 = loom.position_embedding %arg0, %2 : (tensor<?xi32>, tensor<1024x768xf32>) -> tensor<?x768xf32>
    %4 = loom.add %1, %3 : tensor<?x768xf32>, tensor<?x768xf32>
    %5 = loom.weight @transformer.h.0.ln_1.weight : tensor<768xf32>
    %6 = loom.weight @transformer.h.0.ln_1.bias : tensor<768xf32>
    %7 = loom.weight @transformer.h.0.attn.c_attn.weight : tensor<768x2304xf32>
    %8 = loom.weight @transformer.h.0.attn.c_attn.bias : tensor<2304xf32>
    %9 = loom.weight @transformer.h.0.attn.c_proj.weight : tensor<768x768xf32>
    %10 = loom.weight @transformer.h.0.attn.c_proj.bias : tensor<768xf32>
    %11 = loom.weight @transformer.h.0.ln_2.weight : tensor<768xf32>
    %12 = loom.weight @transformer.h.0.ln_2.bias : tensor<768xf32>
    %13 = loom.weight @transformer.h.0.mlp.c_fc.weight : tensor<768x3072xf32>
    %14 = loom.weight @transformer.h.0.mlp.c_fc.bias : tensor<3072xf32>
    %15 = loom.weight @transformer.h.0.mlp.c_proj.weight : tensor<3072x768xf32>
    %16 = loom.weight @transformer.h.0.mlp.c_proj.bias : tensor<768xf32>
    %17 = loom.weight @transformer.h.1.ln_1.weight : tensor<768xf32>
    %18 = loom.weight @transformer.h.1.ln_1.bias : tensor<768xf32>
    %19 = loom.weight @transformer.h.1.attn.c_attn.weight : tensor<768x2304xf32>
    %20 = loom.weight @transformer.h.1.attn.c_attn.bias : tensor<2304xf32>
    %21 = loom.weight @transformer.h.1.attn.c_proj.weight : tensor<768x768xf32>
    %22 = loom.weight @transformer.h.1.attn.c_proj.bias : tensor<768xf32>
    %23 = loom.weight @transformer.h.1.ln_2.weight : tensor<768xf32>
    %24 = loom.weight @transformer.h.1.ln_2.bias : tensor<768xf32>
    %25 = loom.weight @transformer.h.1.mlp.c_fc.weight : tensor<768x3072xf32>
    %26 = loom.weight @transformer.h.1.mlp.c_fc.bias : tensor<3072xf32>
    %27 = loom.weight @transformer.h.1.mlp.c_proj.weight : tensor<3072x768xf32>
    %28 = loom.weight @transformer.h.1.mlp.c_proj.bias : tensor<768xf32>
    %29 = loom.weight @transformer.h.2.ln_1.weight : tensor<768xf32>
    %30 = loom.weight @transformer.h.2.ln_1.bias : tensor<768xf32>
    %31 = loom.weight @transformer.h.2.attn.c_attn.weight : tensor<768x2304xf32>
    %32 = loom.weight @transformer.h.2.attn.c_attn.bias : tensor<2304xf32>
    %33 = loom.weight @transformer.h.2.attn.c_proj.weight : tensor<768x768xf32>
    %34 = loom.weight @transformer.h.2.attn.c_proj.bias : tensor<768xf32>
    %35 = loom.weight @transformer.h.2.ln_2.weight : tensor<768xf32>
    %36 = loom.weight @transformer.h.2.ln_2.bias : tensor<768xf32>
    %37 = loom.weight @transformer.h.2.mlp.c_fc.weight : tensor<768x3072xf32>
    %38 = loom.weight @transformer.h.2.mlp.c_fc.bias : tensor<3072xf32>
    %39 = loom.weight @transformer.h.2.mlp.c_proj.weight : tensor<3072x768xf32>
    %40 = loom.weight @transformer.h.2.mlp.c_proj.bias : tensor<768xf32>
    %41 = loom.weight @transformer.h.3.ln_1.weight : tensor<768xf32>
    %42 = loom.weight @transformer.h.3.ln_1.bias : tensor<768xf32>
    %43 = loom.weight @transformer.h.3.attn.c_attn.weight : tensor<768x2304xf32>
    %44 = loom.weight @transformer.h.3.attn.c_attn.bias : tensor<2304xf32>
    %45 = loom.weight @transformer.h.3.attn.c_proj.weight : tensor<768x768xf32>
    %46 = loom.weight @transformer.h.3.attn.c_proj.bias : tensor<768xf32>
    %47 = loom.weight @transformer.h.3.ln_2.weight : tensor<768xf32>
    %48 = loom.weight @transformer.h.3.ln_2.bias : tensor<768xf32>
    %49 = loom.weight @transformer.h.3.mlp.c_fc.weight : tensor<768x3072xf32>
    %50 = loom.weight @transformer.h.3.mlp.c_fc.bias : tensor<3072xf32>
    %51 = loom.weight @transformer.h.3.mlp.c_proj.weight : tensor<3072x768xf32>
    %52 = loom.weight @transformer.h.3.mlp.c_proj.bias : tensor<768xf32>
    %53 = loom.weight @transformer.h.4.ln_1.weight : tensor<768xf32>
    %54 = loom.weight @transformer.h.4.ln_1.bias : tensor<768xf32>
    %55 = loom.weight @transformer.h.4.attn.c_attn.weight : tensor<768x2304xf32>
    %56 = loom.weight @transformer.h.4.attn.c_attn.bias : tensor<2304xf32>
    %57 = loom.weight @transformer.h.4.attn.c_proj.weight : tensor<768x768xf32>
    %58 = loom.weight @transformer.h.4.attn.c_proj.bias : tensor<768xf32>
    %59 = loom.weight @transformer.h.4.ln_2.weight : tensor<768xf32>
    %60 = loom.weight @transformer.h.4.ln_2.bias : tensor<768xf32>
    %61 = loom.weight @transformer.h.4.mlp.c_fc.weight : tensor<768x3072xf32>
    %62 = loom.weight @transformer.h.4.mlp.c_fc.bias : tensor<3072xf32>
    %63 = loom.weight @transformer.h.4.mlp.c_proj.weight : tensor<3072x768xf32>
    %64 = loom.weight @transformer.h.4.mlp.c_proj.bias : tensor<768xf32>
    %65 = loom.weight @transformer.h.5.ln_1.weight : tensor<768xf32>
    %66 = loom.weight @transformer.h.5.ln_1.bias : tensor<768xf32>
    %67 = loom.weight @transformer.h.5.attn.c_attn.weight : tensor<768x2304xf32>
    %68 = loom.weight @transformer.h.5.attn.c_attn.bias : tensor<2304xf32>
    %69 = loom.weight @transformer.h.5.attn.c_proj.weight : tensor<768x768xf32>
    %70 = loom.weight @transformer.h.5.attn.c_proj.bias : tensor<768xf32>
    %71 = loom.weight @transformer.h.5.ln_2.weight : tensor<768xf32>
    %72 = loom.weight @transformer.h.5.ln_2.bias : tensor<768xf32>
    %73 = loom.weight @transformer.h.5.mlp.c_fc.weight : tensor<768x3072xf32>
    %74 = loom.weight @transformer.h.5.mlp.c_fc.bias : tensor<3072xf32>
    %75 = loom.weight @transformer.h.5.mlp.c_proj.weight : tensor<3072x768xf32>
    %76 = loom.weight @transformer.h.5.mlp.c_proj.bias : tensor<768xf32>
    %77 = loom.weight @transformer.h.6.ln_1.weight : tensor<768xf32>
    %78 = loom.weight @transformer.h.6.ln_1.bias : tensor<768xf32>
    %79 = loom.weight @transformer.h.6.attn.c_attn.weight : tensor<768x2304xf32>
    %80 = loom.weight @transformer.h.6.attn.c_attn.bias : tensor<2304xf32>
    %81 = loom.weight @transformer.h.6.attn.c_proj.weight : tensor<768x768xf32>
    %82 = loom.weight @transformer.h.6.attn.c_proj.bias : tensor<768xf32>
    %83 = loom.weight @transformer.h.6.ln_2.weight : tensor<768xf32>
    %84 = loom.weight @transformer.h.6.ln_2.bias : tensor<768xf32>
    %85 = loom.weight @transformer.h.6.mlp.c_fc.weight : tensor<768x3072xf32>
    %86 = loom.weight @transformer.h.6.mlp.c_fc.bias : tensor<3072xf32>
    %87 = loom.weight @transformer.h.6.mlp.c_proj.weight : tensor<3072x768xf32>
    %88 = loom.weight @transformer.h.6.mlp.c_proj.bias : tensor<768xf32>
    %89 = loom.weight @transformer.h.7.ln_1.weight : tensor<768xf32>
    %90 = loom.weight @transformer.h.7.ln_1.bias : tensor<768xf32>
    %91 = loom.weight @transformer.h.7.attn.c_attn.weight : tensor<768x2304xf32>
    %92 = loom.weight @transformer.h.7.attn.c_attn.bias : tensor<2304xf32>
    %93 = loom.weight @transformer.h.7.attn.c_proj.weight : tensor<768x768xf32>
    %94 = loom.weight @transformer.h.7.attn.c_proj.bias : tensor<768xf32>
    %95 = loom.weight @transformer.h.7.ln_2.weight : tensor<768xf32>
    %96 = loom.weight @transformer.h.7.ln_2.bias : tensor<768xf32>
    %97 = loom.weight @transformer.h.7.mlp.c_fc.weight : tensor<768x3072xf32>
    %98 = loom.weight @transformer.h.7.mlp.c_fc.bias : tensor<3072xf32>
    %99 = loom.weight @transformer.h.7.mlp.c_proj.weight : tensor<3072x768xf32>
    %100 = loom.weight @transformer.h.7.mlp.c_proj.bias : tensor<768xf32>
    %101 = loom.weight @transformer.h.8.ln_1.weight : tensor<768xf32>
    %102 = loom.weight @transformer.h.8.ln_1.bias : tensor<768xf32>
    %103 = loom.weight @transformer.h.8.attn.c_attn.weight : tensor<768x2304xf32>
    %104 = loom.weight @transformer.h.8.attn.c_attn.bias : tensor<2304xf32>
    %105 = loom.weight @transformer.h.8.attn.c_proj.weight : tensor<768x768xf32>
    %106 = loom.weight @transformer.h.8.attn.c_proj.bias : tensor<768xf32>
    %107 = loom.weight @transformer.h.8.ln_2.weight : tensor<768xf32>
    %108 = loom.weight @transformer.h.8.ln_2.bias : tensor<768xf32>
    %109 = loom.weight @transformer.h.8.mlp.c_fc.weight : tensor<768x3072xf32>
    %110 = loom.weight @transformer.h.8.mlp.c_fc.bias : tensor<3072xf32>
    %111 = loom.weight @transformer.h.8.mlp.c_proj.weight : tensor<3072x768xf32>
    %112 = loom.weight @transformer.h.8.mlp.c_proj.bias : tensor<768xf32>
    %113 = loom.weight @transformer.h.9.ln_1.weight : tensor<768xf32>
    %114 = loom.weight @transformer.h.9.ln_1.bias : tensor<768xf32>
    %115 = loom.weight @transformer.h.9.attn.c_attn.weight : tensor<768x2304xf32>
    %116 = loom.weight @transformer.h.9.attn.c_attn.bias : tensor<2304xf32>
    %117 = loom.weight @transformer.h.9.attn.c_proj.weight : tensor<768x768xf32>
    %118 = loom.weight @transformer.h.9.attn.c_proj.bias : tensor<768xf32>
    %119 = loom.weight @transformer.h.9.ln_2.weight : tensor<768xf32>
    %120 = loom.weight @transformer.h.9.ln_2.bias : tensor<768xf32>
    %121 = loom.weight @transformer.h.9.mlp.c_fc.weight : tensor<768x3072xf32>
    %122 = loom.weight @transformer.h.9.mlp.c_fc.bias : tensor<3072xf32>
    %123 = loom.weight @transformer.h.9.mlp.c_proj.weight : tensor<3072x768xf32>
    %124 = loom.weight @transformer.h.9.mlp.c_proj.bias : tensor<768xf32>
    %125 = loom.weight @transformer.h.10.ln_1.weight : tensor<768xf32>
    %126 = loom.weight @transformer.h.10.ln_1.bias : tensor<768xf32>
    %127 = loom.weight @transformer.h.10.attn.c_attn.weight : tensor<768x2304xf32>
    %128 = loom.weight @transformer.h.10.attn.c_attn.bias : tensor<2304xf32>
    %129 = loom.weight @transformer.h.10.attn.c_proj.weight : tensor<768x768xf32>
    %130 = loom.weight @transformer.h.10.attn.c_proj.bias : tensor<768xf32>
    %131 = loom.weight @transformer.h.10.ln_2.weight : tensor<768xf32>
    %132 = loom.weight @transformer.h.10.ln_2.bias : tensor<768xf32>
    %133 = loom.weight @transformer.h.10.mlp.c_fc.weight : tensor<768x3072xf32>
    %134 = loom.weight @transformer.h.10.mlp.c_fc.bias : tensor<3072xf32>
    %135 = loom.weight @transformer.h.10.mlp.c_proj.weight : tensor<3072x768xf32>
    %136 = loom.weight @transformer.h.10.mlp.c_proj.bias : tensor<768xf32>
    %137 = loom.weight @transformer.h.11.ln_1.weight : tensor<768xf32>
    %138 = loom.weight @transformer.h.11.ln_1.bias : tensor<768xf32>
    %139 = loom.weight @transformer.h.11.attn.c_attn.weight : tensor<768x2304xf32>
    %140 = loom.weight @transformer.h.11.attn.c_attn.bias : tensor<2304xf32>
    %141 = loom.weight @transformer.h.11.attn.c_proj.weight : tensor<768x768xf32>
    %142 = loom.weight @transformer.h.11.attn.c_proj.bias : tensor<768xf32>
    %143 = loom.weight @transformer.h.11.ln_2.weight : tensor<768xf32>
    %144 = loom.weight @transformer.h.11.ln_2.bias : tensor<768xf32>
    %145 = loom.weight @transformer.h.11.mlp.c_fc.weight : tensor<768x3072xf32>
    %146 = loom.weight @transformer.h.11.mlp.c_fc.bias : tensor<3072xf32>
    %147 = loom.weight @transformer.h.11.mlp.c_proj.weight : tensor<3072x768xf32>
    %148 = loom.weight @transformer.h.11.mlp.c_proj.bias : tensor<768xf32>
    %149 = call @Block(%4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %150 = call @Block(%149, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %151 = call @Block(%150, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %152 = call @Block(%151, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %153 = call @Block(%152, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %154 = call @Block(%153, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %155 = call @Block(%154, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %156 = call @Block(%155, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %157 = call @Block(%156, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %158 = call @Block(%157, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %159 = call @Block(%158, %125, %126, %127, %128, %129, %130, %131, %132, %133, %134, %135, %136) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %160 = call @Block(%159, %137, %138, %139, %140, %141, %142, %143, %144, %145, %146, %147, %148) : (tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x2304xf32>, tensor<2304xf32>, tensor<768x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<768x3072xf32>, tensor<3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    %161 = loom.weight @transformer.ln_f.weight : tensor<768xf32>
    %162 = loom.weight @transformer.ln_f.bias : tensor<768xf32>
    %163 = loom.layer_norm %160, %161, %162 eps = 1.000000e-05 : tensor<?x768xf32>, tensor<768xf32>, tensor<768xf32>
    %164 = loom.weight @transformer.wte.weight : tensor<50257x768xf32>
    %165 = loom.linear %163, %164 : (tensor<?x768xf32>, tensor<50257x768xf32>) -> tensor<?x50257xf32>
    return %165 : tensor<?x50257xf32>
  }
}

