module attributes {loom.config = {dim = 32 : i64, eps = 1.000000e-05 : f64, ffn = 64 : i64, flow_eps = 9.9999999999999995E-7 : f64, heads = 4 : i64, layers = 2 : i64, vocab = 97 : i64}, loom.model = "Flowformer"} {
  loom.param @embed_tokens.weight : tensor<97x32xf32>
  loom.param @layers.0.attn_norm.weight : tensor<32xf32>
  loom.param @layers.0.attn_norm.bias : tensor<32xf32>
  loom.param @layers.0.attn.query_projection.weight : tensor<32x32xf32>
  loom.param @layers.0.attn.query_projection.bias : tensor<32xf32>
  loom.param @layers.0.attn.key_projection.weight : tensor<32x32xf32>
  loom.param @layers.0.attn.key_projection.bias : tensor<32xf32>
  loom.param @layers.0.attn.value_projection.weight : tensor<32x32xf32>
  loom.param @layers.0.attn.value_projection.bias : tensor<32xf32>
  loom.param @layers.0.attn.out_projection.weight : tensor<32x32xf32>
  loom.param @layers.0.attn.out_projection.bias : tensor<32xf32>
  loom.param @layers.0.mlp_norm.weight : tensor<32xf32>
  loom.param @layers.0.mlp_norm.bias : tensor<32xf32>
  loom.param @layers.0.mlp.fc1.weight : tensor<64x32xf32>
  loom.param @layers.0.mlp.fc1.bias : tensor<64xf32>
  loom.param @layers.0.mlp.fc2.weight : tensor<32x64xf32>
  loom.param @layers.0.mlp.fc2.bias : tensor<32xf32>
  loom.param @layers.1.attn_norm.weight : tensor<32xf32>
  loom.param @layers.1.attn_norm.bias : tensor<32xf32>
  loom.param @layers.1.attn.query_projection.weight : tensor<32x32xf32>
  loom.param @layers.1.attn.query_projection.bias : tensor<32xf32>
  loom.param @layers.1.attn.key_projection.weight : tensor<32x32xf32>
  loom.param @layers.1.attn.key_projection.bias : tensor<32xf32>
  loom.param @layers.1.attn.value_projection.weight : tensor<32x32xf32>
  loom.param @layers.1.attn.value_projection.bias : tensor<32xf32>
  loom.param @layers.1.attn.out_projection.weight : tensor<32x32xf32>
  loom.param @layers.1.attn.out_projection.bias : tensor<32xf32>
  loom.param @layers.1.mlp_norm.weight : tensor<32xf32>
  loom.param @layers.1.mlp_norm.bias : tensor<32xf32>
  loom.param @layers.1.mlp.fc1.weight : tensor<64x32xf32>
  loom.param @layers.1.mlp.fc1.bias : tensor<64xf32>
  loom.param @layers.1.mlp.fc2.weight : tensor<32x64xf32>
  loom.param @layers.1.mlp.fc2.bias : tensor<32xf32>
  loom.param @norm.weight : tensor<32xf32>
  loom.param @norm.bias : tensor<32xf32>
  loom.param @lm_head.weight : tensor<97x32xf32>
  func.func private @Layer(%arg0: tensor<?x32xf32>, %arg1: tensor<32xf32> {loom.weight = "attn_norm.weight"}, %arg2: tensor<32xf32> {loom.weight = "attn_norm.bias"}, %arg3: tensor<32x32xf32> {loom.weight = "attn.query_projection.weight"}, %arg4: tensor<32xf32> {loom.weight = "attn.query_projection.bias"}, %arg5: tensor<32x32xf32> {loom.weight = "attn.key_projection.weight"}, %arg6: tensor<32xf32> {loom.weight = "attn.key_projection.bias"}, %arg7: tensor<32x32xf32> {loom.weight = "attn.value_projection.weight"}, %arg8: tensor<32xf32> {loom.weight = "attn.value_projection.bias"}, %arg9: tensor<32x32xf32> {loom.weight = "attn.out_projection.weight"}, %arg10: tensor<32xf32> {loom.weight = "attn.out_projection.bias"}, %arg11: tensor<32xf32> {loom.weight = "mlp_norm.weight"}, %arg12: tensor<32xf32> {loom.weight = "mlp_norm.bias"}, %arg13: tensor<64x32xf32> {loom.weight = "mlp.fc1.weight"}, %arg14: tensor<64xf32> {loom.weight = "mlp.fc1.bias"}, %arg15: tensor<32x64xf32> {loom.weight = "mlp.fc2.weight"}, %arg16: tensor<32xf32> {loom.weight = "mlp.fc2.bias"}) -> tensor<?x32xf32> attributes {loom.block} {
    %0 = loom.layer_norm %arg0, %arg1, %arg2 eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>, tensor<32xf32>
    %1 = loom.linear %0, %arg3, %arg4 : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %c0 = arith.constant 0 : index
    %dim = tensor.dim %1, %c0 : tensor<?x32xf32>
    %expanded = tensor.expand_shape %1 [[0], [1, 2]] output_shape [%dim, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
    %2 = loom.unary sigmoid %expanded : tensor<?x4x8xf32>
    %3 = loom.linear %0, %arg5, %arg6 : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %c0_0 = arith.constant 0 : index
    %dim_1 = tensor.dim %3, %c0_0 : tensor<?x32xf32>
    %expanded_2 = tensor.expand_shape %3 [[0], [1, 2]] output_shape [%dim_1, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
    %4 = loom.unary sigmoid %expanded_2 : tensor<?x4x8xf32>
    %5 = loom.linear %0, %arg7, %arg8 : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %c0_3 = arith.constant 0 : index
    %dim_4 = tensor.dim %5, %c0_3 : tensor<?x32xf32>
    %expanded_5 = tensor.expand_shape %5 [[0], [1, 2]] output_shape [%dim_4, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
    %6 = loom.positions %0 : tensor<?x32xf32> -> tensor<?x1xf32>
    %cst = arith.constant dense<1.000000e+00> : tensor<1xf32>
    %7 = loom.add %6, %cst : tensor<?x1xf32>, tensor<1xf32>
    %cst_6 = arith.constant dense<9.99999997E-7> : tensor<1xf32>
    %8 = loom.add %2, %cst_6 : tensor<?x4x8xf32>, tensor<1xf32>
    %9 = loom.cumsum %4 : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32>
    %cst_7 = arith.constant dense<9.99999997E-7> : tensor<1xf32>
    %10 = loom.add %9, %cst_7 : tensor<?x4x8xf32>, tensor<1xf32>
    %11 = loom.mul %8, %10 : tensor<?x4x8xf32>, tensor<?x4x8xf32>
    %12 = loom.reduce sum %11 : tensor<?x4x8xf32> -> tensor<?x4x1xf32>
    %c0_8 = arith.constant 0 : index
    %dim_9 = tensor.dim %7, %c0_8 : tensor<?x1xf32>
    %expanded_10 = tensor.expand_shape %7 [[0], [1, 2]] output_shape [%dim_9, 1, 1] : tensor<?x1xf32> into tensor<?x1x1xf32>
    %13 = loom.div %expanded_10, %12 : tensor<?x1x1xf32>, tensor<?x4x1xf32>
    %cst_11 = arith.constant dense<9.99999997E-7> : tensor<1xf32>
    %14 = loom.add %4, %cst_11 : tensor<?x4x8xf32>, tensor<1xf32>
    %15 = loom.cumsum %2 : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32>
    %cst_12 = arith.constant dense<9.99999997E-7> : tensor<1xf32>
    %16 = loom.add %15, %cst_12 : tensor<?x4x8xf32>, tensor<1xf32>
    %17 = loom.mul %14, %16 : tensor<?x4x8xf32>, tensor<?x4x8xf32>
    %18 = loom.reduce sum %17 : tensor<?x4x8xf32> -> tensor<?x4x1xf32>
    %c0_13 = arith.constant 0 : index
    %dim_14 = tensor.dim %7, %c0_13 : tensor<?x1xf32>
    %expanded_15 = tensor.expand_shape %7 [[0], [1, 2]] output_shape [%dim_14, 1, 1] : tensor<?x1xf32> into tensor<?x1x1xf32>
    %19 = loom.div %expanded_15, %18 : tensor<?x1x1xf32>, tensor<?x4x1xf32>
    %cst_16 = arith.constant dense<9.99999997E-7> : tensor<1xf32>
    %20 = loom.add %2, %cst_16 : tensor<?x4x8xf32>, tensor<1xf32>
    %21 = loom.mul %4, %19 : tensor<?x4x8xf32>, tensor<?x4x1xf32>
    %22 = loom.cumsum %21 : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32>
    %cst_17 = arith.constant dense<9.99999997E-7> : tensor<1xf32>
    %23 = loom.add %22, %cst_17 : tensor<?x4x8xf32>, tensor<1xf32>
    %24 = loom.mul %20, %23 : tensor<?x4x8xf32>, tensor<?x4x8xf32>
    %25 = loom.reduce sum %24 : tensor<?x4x8xf32> -> tensor<?x4x1xf32>
    %c0_18 = arith.constant 0 : index
    %dim_19 = tensor.dim %7, %c0_18 : tensor<?x1xf32>
    %expanded_20 = tensor.expand_shape %7 [[0], [1, 2]] output_shape [%dim_19, 1, 1] : tensor<?x1xf32> into tensor<?x1x1xf32>
    %26 = loom.div %25, %expanded_20 : tensor<?x4x1xf32>, tensor<?x1x1xf32>
    %cst_21 = arith.constant dense<9.99999997E-7> : tensor<1xf32>
    %27 = loom.add %4, %cst_21 : tensor<?x4x8xf32>, tensor<1xf32>
    %28 = loom.mul %2, %13 : tensor<?x4x8xf32>, tensor<?x4x1xf32>
    %29 = loom.cumsum %28 : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32>
    %cst_22 = arith.constant dense<9.99999997E-7> : tensor<1xf32>
    %30 = loom.add %29, %cst_22 : tensor<?x4x8xf32>, tensor<1xf32>
    %31 = loom.mul %27, %30 : tensor<?x4x8xf32>, tensor<?x4x8xf32>
    %32 = loom.reduce sum %31 : tensor<?x4x8xf32> -> tensor<?x4x1xf32>
    %c0_23 = arith.constant 0 : index
    %dim_24 = tensor.dim %7, %c0_23 : tensor<?x1xf32>
    %expanded_25 = tensor.expand_shape %7 [[0], [1, 2]] output_shape [%dim_24, 1, 1] : tensor<?x1xf32> into tensor<?x1x1xf32>
    %33 = loom.div %32, %expanded_25 : tensor<?x4x1xf32>, tensor<?x1x1xf32>
    %cst_26 = arith.constant dense<-1.000000e+00> : tensor<1xf32>
    %34 = loom.max %33, %cst_26 : tensor<?x4x1xf32>, tensor<1xf32>
    %cst_27 = arith.constant dense<1.000000e+00> : tensor<1xf32>
    %35 = loom.min %34, %cst_27 : tensor<?x4x1xf32>, tensor<1xf32>
    %36 = loom.unary exp %35 : tensor<?x4x1xf32>
    %37 = loom.cumsum %36 : (tensor<?x4x1xf32>) -> tensor<?x4x1xf32>
    %38 = loom.div %36, %37 : tensor<?x4x1xf32>, tensor<?x4x1xf32>
    %c0_28 = arith.constant 0 : index
    %dim_29 = tensor.dim %7, %c0_28 : tensor<?x1xf32>
    %expanded_30 = tensor.expand_shape %7 [[0], [1, 2]] output_shape [%dim_29, 1, 1] : tensor<?x1xf32> into tensor<?x1x1xf32>
    %39 = loom.mul %38, %expanded_30 : tensor<?x4x1xf32>, tensor<?x1x1xf32>
    %c0_31 = arith.constant 0 : index
    %dim_32 = tensor.dim %7, %c0_31 : tensor<?x1xf32>
    %expanded_33 = tensor.expand_shape %7 [[0], [1, 2]] output_shape [%dim_32, 1, 1] : tensor<?x1xf32> into tensor<?x1x1xf32>
    %40 = loom.div %13, %expanded_33 : tensor<?x4x1xf32>, tensor<?x1x1xf32>
    %41 = loom.mul %2, %40 : tensor<?x4x8xf32>, tensor<?x4x1xf32>
    %42 = loom.mul %expanded_5, %39 : tensor<?x4x8xf32>, tensor<?x4x1xf32>
    %collapsed = tensor.collapse_shape %41 [[0], [1, 2]] : tensor<?x4x8xf32> into tensor<?x32xf32>
    %collapsed_34 = tensor.collapse_shape %4 [[0], [1, 2]] : tensor<?x4x8xf32> into tensor<?x32xf32>
    %collapsed_35 = tensor.collapse_shape %42 [[0], [1, 2]] : tensor<?x4x8xf32> into tensor<?x32xf32>
    %43 = loom.linear_attend %collapsed, %collapsed_34, %collapsed_35 heads = 4 kv_heads = 4 head_dim = 8 : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
    %c0_36 = arith.constant 0 : index
    %dim_37 = tensor.dim %43, %c0_36 : tensor<?x32xf32>
    %expanded_38 = tensor.expand_shape %43 [[0], [1, 2]] output_shape [%dim_37, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
    %44 = loom.unary sigmoid %26 : tensor<?x4x1xf32>
    %45 = loom.mul %expanded_38, %44 : tensor<?x4x8xf32>, tensor<?x4x1xf32>
    %collapsed_39 = tensor.collapse_shape %45 [[0], [1, 2]] : tensor<?x4x8xf32> into tensor<?x32xf32>
    %46 = loom.linear %collapsed_39, %arg9, %arg10 : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %47 = loom.add %arg0, %46 : tensor<?x32xf32>, tensor<?x32xf32>
    %48 = loom.layer_norm %47, %arg11, %arg12 eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>, tensor<32xf32>
    %49 = loom.mlp gelu %48, %arg13, %arg15 b_up %arg14 b_down %arg16 : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<32x64xf32>, tensor<64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %50 = loom.add %47, %49 : tensor<?x32xf32>, tensor<?x32xf32>
    return %50 : tensor<?x32xf32>
  }
  func.func @forward(%arg0: tensor<?xi32>) -> tensor<?x97xf32> attributes {loom.entry} {
    %0 = loom.weight @embed_tokens.weight : tensor<97x32xf32>
    %1 = loom.embedding %arg0, %0 : (tensor<?xi32>, tensor<97x32xf32>) -> tensor<?x32xf32>
    %2 = loom.weight @layers.0.attn_norm.weight : tensor<32xf32>
    %3 = loom.weight @layers.0.attn_norm.bias : tensor<32xf32>
    %4 = loom.weight @layers.0.attn.query_projection.weight : tensor<32x32xf32>
    %5 = loom.weight @layers.0.attn.query_projection.bias : tensor<32xf32>
    %6 = loom.weight @layers.0.attn.key_projection.weight : tensor<32x32xf32>
    %7 = loom.weight @layers.0.attn.key_projection.bias : tensor<32xf32>
    %8 = loom.weight @layers.0.attn.value_projection.weight : tensor<32x32xf32>
    %9 = loom.weight @layers.0.attn.value_projection.bias : tensor<32xf32>
    %10 = loom.weight @layers.0.attn.out_projection.weight : tensor<32x32xf32>
    %11 = loom.weight @layers.0.attn.out_projection.bias : tensor<32xf32>
    %12 = loom.weight @layers.0.mlp_norm.weight : tensor<32xf32>
    %13 = loom.weight @layers.0.mlp_norm.bias : tensor<32xf32>
    %14 = loom.weight @layers.0.mlp.fc1.weight : tensor<64x32xf32>
    %15 = loom.weight @layers.0.mlp.fc1.bias : tensor<64xf32>
    %16 = loom.weight @layers.0.mlp.fc2.weight : tensor<32x64xf32>
    %17 = loom.weight @layers.0.mlp.fc2.bias : tensor<32xf32>
    %18 = loom.weight @layers.1.attn_norm.weight : tensor<32xf32>
    %19 = loom.weight @layers.1.attn_norm.bias : tensor<32xf32>
    %20 = loom.weight @layers.1.attn.query_projection.weight : tensor<32x32xf32>
    %21 = loom.weight @layers.1.attn.query_projection.bias : tensor<32xf32>
    %22 = loom.weight @layers.1.attn.key_projection.weight : tensor<32x32xf32>
    %23 = loom.weight @layers.1.attn.key_projection.bias : tensor<32xf32>
    %24 = loom.weight @layers.1.attn.value_projection.weight : tensor<32x32xf32>
    %25 = loom.weight @layers.1.attn.value_projection.bias : tensor<32xf32>
    %26 = loom.weight @layers.1.attn.out_projection.weight : tensor<32x32xf32>
    %27 = loom.weight @layers.1.attn.out_projection.bias : tensor<32xf32>
    %28 = loom.weight @layers.1.mlp_norm.weight : tensor<32xf32>
    %29 = loom.weight @layers.1.mlp_norm.bias : tensor<32xf32>
    %30 = loom.weight @layers.1.mlp.fc1.weight : tensor<64x32xf32>
    %31 = loom.weight @layers.1.mlp.fc1.bias : tensor<64xf32>
    %32 = loom.weight @layers.1.mlp.fc2.weight : tensor<32x64xf32>
    %33 = loom.weight @layers.1.mlp.fc2.bias : tensor<32xf32>
    %34 = call @Layer(%1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17) : (tensor<?x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %35 = call @Layer(%34, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33) : (tensor<?x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %36 = loom.weight @norm.weight : tensor<32xf32>
    %37 = loom.weight @norm.bias : tensor<32xf32>
    %38 = loom.layer_norm %35, %36, %37 eps = 1.000000e-05 : tensor<?x32xf32>, tensor<32xf32>, tensor<32xf32>
    %39 = loom.weight @lm_head.weight : tensor<97x32xf32>
    %40 = loom.linear %38, %39 : (tensor<?x32xf32>, tensor<97x32xf32>) -> tensor<?x97xf32>
    return %40 : tensor<?x97xf32>
  }
}

