// RUN: loom-opt %s --loom-lower-attention-calls | FileCheck %s

// loom.cached_attention writes its keys and values into its cache slot and
// calls the runtime's kernel with the model context.

// CHECK-LABEL: func.func @attend(
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: tensor<?x8xf32>, %[[K:[a-z0-9]+]]: tensor<?x4xf32>, %[[V:[a-z0-9]+]]: tensor<?x4xf32>, %[[KC:[a-z0-9]+]]: memref<2x?x4xf32>, %[[VC:[a-z0-9]+]]: memref<2x?x4xf32>, %[[POS:[a-z0-9]+]]: index, %[[SLOT:[a-z0-9]+]]: index, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[KROWS:.*]] = memref.subview %[[KC]][%[[SLOT]], %[[POS]], 0]
// CHECK:         bufferization.materialize_in_destination %[[K]] in writable %[[KROWS]]
// CHECK:         %[[VROWS:.*]] = memref.subview %[[VC]][%[[SLOT]], %[[POS]], 0]
// CHECK:         bufferization.materialize_in_destination %[[V]] in writable %[[VROWS]]
// CHECK:         call @loom_attention(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>,
// A static number of rows: the cache views and the output keep it.
// CHECK-LABEL: func.func @static_rows(
// CHECK:         memref.subview %{{.*}}[%{{.*}}, %{{.*}}, 0] [1, 3, 4] [1, 1, 1] : memref<2x?x4xf32> to memref<3x4xf32, strided<[4, 1], offset: ?>>
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<3x8xf32>
// CHECK:         call @loom_attention(
// CHECK:       func.func private @loom_attention({{.*}}) attributes {llvm.emit_c_interface}
func.func @attend(%q: tensor<?x8xf32>, %k: tensor<?x4xf32>, %v: tensor<?x4xf32>, %kc: memref<2x?x4xf32>, %vc: memref<2x?x4xf32>, %pos: index, %slot: index, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 2 kv_heads = 1 head_dim = 4 causal : (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, memref<2x?x4xf32>, memref<2x?x4xf32>, index, index) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

func.func @static_rows(%q: tensor<3x8xf32>, %k: tensor<3x4xf32>, %v: tensor<3x4xf32>, %kc: memref<2x?x4xf32>, %vc: memref<2x?x4xf32>, %pos: index, %slot: index, %ctx: !llvm.ptr {loom.context}) -> tensor<3x8xf32> {
  %o = loom.cached_attention %q, %k, %v, %kc, %vc, %pos, %slot heads = 2 kv_heads = 1 head_dim = 4 causal : (tensor<3x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>, memref<2x?x4xf32>, memref<2x?x4xf32>, index, index) -> tensor<3x8xf32>
  return %o : tensor<3x8xf32>
}
