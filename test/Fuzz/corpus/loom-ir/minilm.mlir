module attributes {loom.config = {dim = 64 : i64, eps = 9.9999999999999998E-13 : f64, ffn = 128 : i64, heads = 4 : i64, layers = 2 : i64, positions = 512 : i64, type_vocab = 2 : i64, vocab = 50 : i64}, loom.model = "MiniLM"} {
  loom.param @embeddings.word_embeddings.weight : tensor<50x64xf32>
  loom.param @embeddings.position_embeddings.weight : tensor<512x64xf32>
  loom.param @embeddings.token_type_embeddings.weight : tensor<2x64xf32>
  loom.param @embeddings.LayerNorm.weight : tensor<64xf32>
  loom.param @embeddings.LayerNorm.bias : tensor<64xf32>
  loom.param @encoder.layer.0.attention.self.query.weight : tensor<64x64xf32>
  loom.param @encoder.layer.0.attention.self.query.bias : tensor<64xf32>
  loom.param @encoder.layer.0.attention.self.key.weight : tensor<64x64xf32>
  loom.param @encoder.layer.0.attention.self.key.bias : tensor<64xf32>
  loom.param @encoder.layer.0.attention.self.value.weight : tensor<64x64xf32>
  loom.param @encoder.layer.0.attention.self.value.bias : tensor<64xf32>
  loom.param @encoder.layer.0.attention.output.dense.weight : tensor<64x64xf32>
  loom.param @encoder.layer.0.attention.output.dense.bias : tensor<64xf32>
  loom.param @encoder.layer.0.attention.output.LayerNorm.weight : tensor<64xf32>
  loom.param @encoder.layer.0.attention.output.LayerNorm.bias : tensor<64xf32>
  loom.param @encoder.layer.0.intermediate.dense.weight : tensor<128x64xf32>
  loom.param @encoder.layer.0.intermediate.dense.bias : tensor<128xf32>
  loom.param @encoder.layer.0.output.dense.weight : tensor<64x128xf32>
  loom.param @encoder.layer.0.output.dense.bias : tensor<64xf32>
  loom.param @encoder.layer.0.output.LayerNorm.weight : tensor<64xf32>
  loom.param @encoder.layer.0.output.LayerNorm.bias : tensor<64xf32>
  loom.param @encoder.layer.1.attention.self.query.weight : tensor<64x64xf32>
  loom.param @encoder.layer.1.attention.self.query.bias : tensor<64xf32>
  loom.param @encoder.layer.1.attention.self.key.weight : tensor<64x64xf32>
  loom.param @encoder.layer.1.attention.self.key.bias : tensor<64xf32>
  loom.param @encoder.layer.1.attention.self.value.weight : tensor<64x64xf32>
  loom.param @encoder.layer.1.attention.self.value.bias : tensor<64xf32>
  loom.param @encoder.layer.1.attention.output.dense.weight : tensor<64x64xf32>
  loom.param @encoder.layer.1.attention.output.dense.bias : tensor<64xf32>
  loom.param @encoder.layer.1.attention.output.LayerNorm.weight : tensor<64xf32>
  loom.param @encoder.layer.1.attention.output.LayerNorm.bias : tensor<64xf32>
  loom.param @encoder.layer.1.intermediate.dense.weight : tensor<128x64xf32>
  loom.param @encoder.layer.1.intermediate.dense.bias : tensor<128xf32>
  loom.param @encoder.layer.1.output.dense.weight : tensor<64x128xf32>
  loom.param @encoder.layer.1.output.dense.bias : tensor<64xf32>
  loom.param @encoder.layer.1.output.LayerNorm.weight : tensor<64xf32>
  loom.param @encoder.layer.1.output.LayerNorm.bias : tensor<64xf32>
  func.func private @BertEncoder(%arg0: tensor<?x64xf32>, %arg1: tensor<64x64xf32> {loom.weight = "attention.self.query.weight"}, %arg2: tensor<64xf32> {loom.weight = "attention.self.query.bias"}, %arg3: tensor<64x64xf32> {loom.weight = "attention.self.key.weight"}, %arg4: tensor<64xf32> {loom.weight = "attention.self.key.bias"}, %arg5: tensor<64x64xf32> {loom.weight = "attention.self.value.weight"}, %arg6: tensor<64xf32> {loom.weight = "attention.self.value.bias"}, %arg7: tensor<64x64xf32> {loom.weight = "attention.output.dense.weight"}, %arg8: tensor<64xf32> {loom.weight = "attention.output.dense.bias"}, %arg9: tensor<64xf32> {loom.weight = "attention.output.LayerNorm.weight"}, %arg10: tensor<64xf32> {loom.weight = "attention.output.LayerNorm.bias"}, %arg11: tensor<128x64xf32> {loom.weight = "intermediate.dense.weight"}, %arg12: tensor<128xf32> {loom.weight = "intermediate.dense.bias"}, %arg13: tensor<64x128xf32> {loom.weight = "output.dense.weight"}, %arg14: tensor<64xf32> {loom.weight = "output.dense.bias"}, %arg15: tensor<64xf32> {loom.weight = "output.LayerNorm.weight"}, %arg16: tensor<64xf32> {loom.weight = "output.LayerNorm.bias"}) -> tensor<?x64xf32> attributes {loom.block} {
    %0 = loom.attention %arg0, %arg1, %arg3, %arg5, %arg7 bq %arg2 bk %arg4 bv %arg6 bo %arg8 heads = 4 kv_heads = 4 head_dim = 16 : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
    %1 = loom.add %arg0, %0 : tensor<?x64xf32>, tensor<?x64xf32>
    %2 = loom.layer_norm %1, %arg9, %arg10 eps = 9.9999999999999998E-13 : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32>
    %3 = loom.mlp gelu %2, %arg11, %arg13 b_up %arg12 b_down %arg14 : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>, tensor<128xf32>, tensor<64xf32>) -> tensor<?x64xf32>
    %4 = loom.add %2, %3 : tensor<?x64xf32>, tensor<?x64xf32>
    %5 = loom.layer_norm %4, %arg15, %arg16 eps = 9.9999999999999998E-13 : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32>
    return %5 : tensor<?x64xf32>
  }
  func.func @forward(%arg0: tensor<?xi32>) -> tensor<?x64xf32> attributes {loom.entry} {
    %0 = loom.weight @embeddings.word_embeddings.weight : tensor<50x64xf32>
    %1 = loom.embedding %arg0, %0 : (tensor<?xi32>, tensor<50x64xf32>) -> tensor<?x64xf32>
    %2 = loom.weight @embeddings.position_embeddings.weight : tensor<512x64xf32>
    %3 = loom.position_embedding %arg0, %2 : (tensor<?xi32>, tensor<512x64xf32>) -> tensor<?x64xf32>
    %4 = loom.add %1, %3 : tensor<?x64xf32>, tensor<?x64xf32>
    %5 = loom.weight @embeddings.token_type_embeddings.weight : tensor<2x64xf32>
    %6 = loom.embedding_row %5[0] : tensor<2x64xf32> -> tensor<64xf32>
    %7 = loom.add %4, %6 : tensor<?x64xf32>, tensor<64xf32>
    %8 = loom.weight @embeddings.LayerNorm.weight : tensor<64xf32>
    %9 = loom.weight @embeddings.LayerNorm.bias : tensor<64xf32>
    %10 = loom.layer_norm %7, %8, %9 eps = 9.9999999999999998E-13 : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32>
    %11 = loom.weight @encoder.layer.0.attention.self.query.weight : tensor<64x64xf32>
    %12 = loom.weight @encoder.layer.0.attention.self.query.bias : tensor<64xf32>
    %13 = loom.weight @encoder.layer.0.attention.self.key.weight : tensor<64x64xf32>
    %14 = loom.weight @encoder.layer.0.attention.self.key.bias : tensor<64xf32>
    %15 = loom.weight @encoder.layer.0.attention.self.value.weight : tensor<64x64xf32>
    %16 = loom.weight @encoder.layer.0.attention.self.value.bias : tensor<64xf32>
    %17 = loom.weight @encoder.layer.0.attention.output.dense.weight : tensor<64x64xf32>
    %18 = loom.weight @encoder.layer.0.attention.output.dense.bias : tensor<64xf32>
    %19 = loom.weight @encoder.layer.0.attention.output.LayerNorm.weight : tensor<64xf32>
    %20 = loom.weight @encoder.layer.0.attention.output.LayerNorm.bias : tensor<64xf32>
    %21 = loom.weight @encoder.layer.0.intermediate.dense.weight : tensor<128x64xf32>
    %22 = loom.weight @encoder.layer.0.intermediate.dense.bias : tensor<128xf32>
    %23 = loom.weight @encoder.layer.0.output.dense.weight : tensor<64x128xf32>
    %24 = loom.weight @encoder.layer.0.output.dense.bias : tensor<64xf32>
    %25 = loom.weight @encoder.layer.0.output.LayerNorm.weight : tensor<64xf32>
    %26 = loom.weight @encoder.layer.0.output.LayerNorm.bias : tensor<64xf32>
    %27 = loom.weight @encoder.layer.1.attention.self.query.weight : tensor<64x64xf32>
    %28 = loom.weight @encoder.layer.1.attention.self.query.bias : tensor<64xf32>
    %29 = loom.weight @encoder.layer.1.attention.self.key.weight : tensor<64x64xf32>
    %30 = loom.weight @encoder.layer.1.attention.self.key.bias : tensor<64xf32>
    %31 = loom.weight @encoder.layer.1.attention.self.value.weight : tensor<64x64xf32>
    %32 = loom.weight @encoder.layer.1.attention.self.value.bias : tensor<64xf32>
    %33 = loom.weight @encoder.layer.1.attention.output.dense.weight : tensor<64x64xf32>
    %34 = loom.weight @encoder.layer.1.attention.output.dense.bias : tensor<64xf32>
    %35 = loom.weight @encoder.layer.1.attention.output.LayerNorm.weight : tensor<64xf32>
    %36 = loom.weight @encoder.layer.1.attention.output.LayerNorm.bias : tensor<64xf32>
    %37 = loom.weight @encoder.layer.1.intermediate.dense.weight : tensor<128x64xf32>
    %38 = loom.weight @encoder.layer.1.intermediate.dense.bias : tensor<128xf32>
    %39 = loom.weight @encoder.layer.1.output.dense.weight : tensor<64x128xf32>
    %40 = loom.weight @encoder.layer.1.output.dense.bias : tensor<64xf32>
    %41 = loom.weight @encoder.layer.1.output.LayerNorm.weight : tensor<64xf32>
    %42 = loom.weight @encoder.layer.1.output.LayerNorm.bias : tensor<64xf32>
    %43 = call @BertEncoder(%10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26) : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<128x64xf32>, tensor<128xf32>, tensor<64x128xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
    %44 = call @BertEncoder(%43, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42) : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<128x64xf32>, tensor<128xf32>, tensor<64x128xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
    return %44 : tensor<?x64xf32>
  }
}

