func.func @tensor_math(%x: tensor<?x8xf32>, %v: tensor<8xf32>, %s: tensor<1xf32>) -> (tensor<?x8xf32>, tensor<1xf32>) {
  %m = loom.reduce mean %x : tensor<?x8xf32> -> tensor<?x1xf32>
  %0 = loom.sub %x, %m : tensor<?x8xf32>, tensor<?x1xf32>
  %1 = loom.div %s, %0 : tensor<1xf32>, tensor<?x8xf32>
  %2 = loom.max %1, %v : tensor<?x8xf32>, tensor<8xf32>
  %3 = loom.min %m, %v : tensor<?x1xf32>, tensor<8xf32>
  %4 = loom.pow %3, %s : tensor<?x8xf32>, tensor<1xf32>
  %5 = loom.unary sigmoid %4 : tensor<?x8xf32>
  %6 = loom.reduce norm2 %5 : tensor<?x8xf32> -> tensor<?x1xf32>
  %7 = loom.mul %5, %6 : tensor<?x8xf32>, tensor<?x1xf32>
  %8 = loom.reduce max %v : tensor<8xf32> -> tensor<1xf32>
  return %7, %8 : tensor<?x8xf32>, tensor<1xf32>
}
