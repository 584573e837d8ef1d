// RUN: loom-opt %s --loom-lower-quantized-calls | FileCheck %s

// A product with a quantized weight calls the runtime's integer kernel with
// the weight's bytes, an empty bias buffer when it has none, the format id,
// whether it accumulates (into the residual, copied to the result first),
// the activation of its epilogue (LOOM_ACTIVATION_*) and its input bits (8
// unless the product says otherwise).

// CHECK-LABEL: func.func @product(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x64xf32>, %[[W:[a-z0-9]+]]: tensor<16x36xi8>, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK:         bufferization.to_buffer %[[X]] read_only
// CHECK:         bufferization.to_buffer %[[W]] read_only
// CHECK:         %[[NOBIAS:.*]] = memref.alloca() : memref<0xf32>
// CHECK:         %[[Q40:.*]] = arith.constant 1 : i64
// CHECK:         %[[SET:.*]] = arith.constant 0 : i64
// CHECK:         %[[NONE:.*]] = arith.constant 0 : i64
// CHECK:         %[[INT8:.*]] = arith.constant 0 : i64
// CHECK:         call @loom_qgemm_nt(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[Q40]], %[[SET]], %[[NONE]], %[[INT8]]) : (!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, i64, i64) -> ()
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
func.func @product(%x: tensor<?x64xf32>, %w: tensor<16x36xi8>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x16xf32> {
  %y = loom.linear %x, %w format q4_0 : (tensor<?x64xf32>, tensor<16x36xi8>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @residual(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x64xf32>, %[[W:[a-z0-9]+]]: tensor<16x68xi8>, %[[B:[a-z0-9]+]]: tensor<16xf32>, %[[R:[a-z0-9]+]]: tensor<?x16xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK:         %[[RB:.*]] = bufferization.to_buffer %[[R]] read_only
// CHECK:         %[[RC:.*]] = memref.cast %[[RB]]
// CHECK:         memref.copy %[[RC]], %[[OUT]]
// CHECK:         bufferization.to_buffer %[[B]] read_only
// CHECK:         %[[Q80:.*]] = arith.constant 0 : i64
// CHECK:         %[[ADD:.*]] = arith.constant 1 : i64
// CHECK:         call @loom_qgemm_nt(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[Q80]], %[[ADD]], %{{.*}}, %{{.*}})
func.func @residual(%x: tensor<?x64xf32>, %w: tensor<16x68xi8>, %b: tensor<16xf32>, %r: tensor<?x16xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x16xf32> {
  %y = loom.linear %x, %w, %b residual %r format q8_0 : (tensor<?x64xf32>, tensor<16x68xi8>, tensor<16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @activation(
// CHECK:         %[[GELU:.*]] = arith.constant 2 : i64
// CHECK:         call @loom_qgemm_nt({{.*}}, %[[GELU]], %{{.*}})
func.func @activation(%x: tensor<?x64xf32>, %w: tensor<16x68xi8>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x16xf32> {
  %y = loom.linear %x, %w format q8_0 activation gelu : (tensor<?x64xf32>, tensor<16x68xi8>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @inputs(
// CHECK:         %[[INT8X2:.*]] = arith.constant 1 : i64
// CHECK:         call @loom_qgemm_nt({{.*}}, %[[INT8X2]])
// CHECK:         %[[BF16:.*]] = arith.constant 2 : i64
// CHECK:         call @loom_qgemm_nt({{.*}}, %[[BF16]])
func.func @inputs(%x: tensor<?x64xf32>, %w: tensor<16x68xi8>, %ctx: !llvm.ptr {loom.context}) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %y = loom.linear %x, %w format q8_0 inputs int8x2 : (tensor<?x64xf32>, tensor<16x68xi8>) -> tensor<?x16xf32>
  %z = loom.linear %x, %w format q8_0 inputs bf16 : (tensor<?x64xf32>, tensor<16x68xi8>) -> tensor<?x16xf32>
  return %y, %z : tensor<?x16xf32>, tensor<?x16xf32>
}

// A quantization (as in `prepare`) writes a new byte buffer.
// CHECK-LABEL: func.func @quantize(
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<16x40xi8>
// CHECK:         %[[NOCOV:.*]] = memref.alloca() : memref<0x0xf32>
// CHECK:         %[[Q41:.*]] = arith.constant 2 : i64
// CHECK:         call @loom_quantize(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[Q41]]) : (!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, i64) -> ()
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable : memref<16x40xi8> to tensor<16x40xi8>
// A covariance (error feedback) is passed as a [k, k] buffer.
// CHECK-LABEL: func.func @quantize_with_feedback(
// CHECK-SAME:    %{{[a-z0-9]+}}: tensor<16x64xf32>, %[[H:[a-z0-9]+]]: tensor<64x64xf32>
// CHECK:         %[[HB:.*]] = bufferization.to_buffer %[[H]] read_only
// CHECK-NEXT:    %[[HC:.*]] = memref.cast %[[HB]]
// CHECK:         call @loom_quantize(%{{.*}}, %{{.*}}, %{{.*}}, %[[HC]], %{{.*}}, %{{.*}})
// CHECK:       func.func private @loom_qgemm_nt({{.*}}) attributes {llvm.emit_c_interface}
// CHECK:       func.func private @loom_quantize({{.*}}) attributes {llvm.emit_c_interface}
func.func @quantize(%w: tensor<16x64xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<16x40xi8> {
  %q = loom.quantize %w format q4_1 : tensor<16x64xf32> -> tensor<16x40xi8>
  return %q : tensor<16x40xi8>
}

func.func @quantize_with_feedback(%w: tensor<16x64xf32>, %h: tensor<64x64xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<16x40xi8> {
  %q = loom.quantize %w covariance %h format q4_1 : tensor<16x64xf32> covariance tensor<64x64xf32> -> tensor<16x40xi8>
  return %q : tensor<16x40xi8>
}
