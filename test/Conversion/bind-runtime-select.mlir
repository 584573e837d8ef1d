// RUN: loom-opt %s --loom-bind-runtime | FileCheck %s

// A param picked by an index (a rolled stack of layers) is read where it is
// picked: the index selects its weight table entry from a constant array
// of the params' table indices (@b is entry 2, @a entry 1). The model info
// describes both as read by the entry point, as matrices.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr {loom.context}
// CHECK:         %[[FIELD:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK:         %[[TABLE:.*]] = llvm.load %[[FIELD]]
// CHECK:         loom.loop 2 times(%[[I:.*]]) iter_args
// CHECK:           %[[INDICES:.*]] = llvm.mlir.addressof @loom.select.0
// CHECK:           %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK:           %[[AT:.*]] = llvm.getelementptr %[[INDICES]][0, %[[I64]]]
// CHECK:           %[[ENTRY:.*]] = llvm.load %[[AT]] : !llvm.ptr -> i64
// CHECK:           %[[SLOT:.*]] = llvm.getelementptr %[[TABLE]][%[[ENTRY]]]
// CHECK:           %[[DATA:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:           bufferization.to_tensor %{{.*}} restrict : memref<8x8xf32>
// CHECK:           loom.linear
// CHECK:       llvm.mlir.global external constant @loom.model_info(
// CHECK-SAME:    \22matrix\22:true,\22name\22:\22a\22,\22other_uses\22:false,\22prepare_only\22:false
// CHECK-SAME:    \22matrix\22:true,\22name\22:\22b\22,\22other_uses\22:false,\22prepare_only\22:false
// CHECK:       llvm.mlir.global internal constant @loom.select.0(dense<[2, 1]> : tensor<2xi64>)
loom.param @emb : tensor<50x8xf32>
loom.param @a : tensor<8x8xf32>
loom.param @b : tensor<8x8xf32>
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %e = loom.weight @emb : tensor<50x8xf32>
  %x = loom.embedding %ids, %e : (tensor<?xi32>, tensor<50x8xf32>) -> tensor<?x8xf32>
  %y = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %w = loom.weight_select [@b, @a][%i] : tensor<8x8xf32>
    %z = loom.linear %h, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    loom.yield %z : tensor<?x8xf32>
  }
  return %y : tensor<?x8xf32>
}
