// RUN: loom-opt %s --loom-lower-embedding-calls | FileCheck %s

// loom.embedding calls the runtime's kernel with the model context: it finds
// the table by its address wherever the runtime keeps it.

// CHECK-LABEL: func.func @embed(
// CHECK-SAME:    %[[IDS:[a-z0-9]+]]: tensor<?xi32>, %[[TABLE:[a-z0-9]+]]: tensor<50x8xf32>, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[T:.*]] = bufferization.to_buffer %[[TABLE]] read_only
// CHECK:         %[[I:.*]] = bufferization.to_buffer %[[IDS]] read_only
// CHECK:         %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK:         call @loom_embedding(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
// A static number of tokens: the output buffer is allocated static.
// CHECK-LABEL: func.func @static_rows(
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK:         call @loom_embedding(
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable : memref<4x8xf32> to tensor<4x8xf32>
// A quantized table: the quantized kernel, with the format's id (q4_1: 2).
// CHECK-LABEL: func.func @quantized(
// CHECK-SAME:    %{{[a-z0-9]+}}: tensor<?xi32>, %[[QT:[a-z0-9]+]]: tensor<50x20xi8>, %[[QCTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[Q:.*]] = bufferization.to_buffer %[[QT]] read_only
// CHECK:         %[[ID:.*]] = arith.constant 2 : i64
// CHECK:         call @loom_embedding_quantized(%[[QCTX]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ID]]) : (!llvm.ptr, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?xi32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) -> ()
// CHECK-DAG:   func.func private @loom_embedding({{.*}}) attributes {llvm.emit_c_interface}
// CHECK-DAG:   func.func private @loom_embedding_quantized({{.*}}) attributes {llvm.emit_c_interface}
func.func @embed(%ids: tensor<?xi32>, %table: tensor<50x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %e = loom.embedding %ids, %table : (tensor<?xi32>, tensor<50x8xf32>) -> tensor<?x8xf32>
  return %e : tensor<?x8xf32>
}

func.func @static_rows(%ids: tensor<4xi32>, %t: tensor<10x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<4x8xf32> {
  %x = loom.embedding %ids, %t : (tensor<4xi32>, tensor<10x8xf32>) -> tensor<4x8xf32>
  return %x : tensor<4x8xf32>
}

func.func @quantized(%ids: tensor<?xi32>, %table: tensor<50x20xi8>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x32xf32> {
  %e = loom.embedding %ids, %table format q4_1 : (tensor<?xi32>, tensor<50x20xi8>) -> tensor<?x32xf32>
  return %e : tensor<?x32xf32>
}
