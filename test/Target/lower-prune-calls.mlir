// RUN: loom-opt %s --loom-lower-prune-calls --split-input-file | FileCheck %s

// A pruning calls the runtime's kernel with the model context, the target,
// the score weights (an empty buffer for a missing gate), the importance
// (empty if none), a new result buffer, then its axis and count (neurons)
// or its part, count and head shape (heads). A bias goes as a matrix of one
// column, collapsed back afterwards. Prunings inside a param's init are
// left to `prepare`.

// CHECK-LABEL: func.func @neurons(
// CHECK-SAME:    %[[D:[a-z0-9]+]]: tensor<4x8xf32>, %[[U:[a-z0-9]+]]: tensor<8x4xf32>, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<4x6xf32>
// CHECK:         %[[NOGATE:.*]] = memref.alloca() : memref<0x0xf32>
// CHECK:         %[[NOIMP:.*]] = memref.alloca() : memref<0xf32>
// CHECK:         %[[AXIS:.*]] = arith.constant 1 : i64
// CHECK:         %[[KEEP:.*]] = arith.constant 6 : i64
// CHECK:         call @loom_prune_neurons(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[AXIS]], %[[KEEP]]) : (!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64) -> ()
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
func.func @neurons(%d: tensor<4x8xf32>, %u: tensor<8x4xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<4x6xf32> {
  %0 = loom.prune_neurons %d axis 1 keep 6 scores(%u, %d) : (tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func.func @bias(
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<6x1xf32>
// CHECK:         call @loom_prune_neurons(
// CHECK:         %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0, 1]] : memref<6x1xf32> into memref<6xf32>
// CHECK:         bufferization.to_tensor %[[FLAT]]
func.func @bias(%b: tensor<8xf32>, %u: tensor<8x4xf32>, %d: tensor<4x8xf32>, %g: tensor<8x4xf32>, %i: tensor<8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<6xf32> {
  %0 = loom.prune_neurons %b axis 0 keep 6 scores(%u, %d, %g) importance %i : (tensor<8xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// CHECK-LABEL: func.func @heads(
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<32x16xf32>
// CHECK:         %[[PART:.*]] = arith.constant 2 : i64
// CHECK:         %[[KEEP:.*]] = arith.constant 1 : i64
// CHECK:         %[[H:.*]] = arith.constant 4 : i64
// CHECK:         %[[KV:.*]] = arith.constant 2 : i64
// CHECK:         %[[HD:.*]] = arith.constant 8 : i64
// CHECK:         call @loom_prune_heads(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[PART]], %[[KEEP]], %[[H]], %[[KV]], %[[HD]])
func.func @heads(%q: tensor<32x32xf32>, %k: tensor<16x32xf32>, %o: tensor<32x32xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<32x16xf32> {
  %0 = loom.prune_heads %o part "o" keep 1 heads = 4 kv_heads = 2 head_dim = 8 scores(%q, %k, %k, %o) : (tensor<32x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<32x16xf32>
  return %0 : tensor<32x16xf32>
}

// -----

// CHECK-LABEL: loom.param @pruned
// CHECK:         loom.prune_neurons
// CHECK-NOT:     call @loom_prune_neurons
loom.param @u : tensor<8x4xf32>
loom.param @d : tensor<4x8xf32>
loom.param @pruned : tensor<6x4xf32> init {
  %u = loom.weight @u : tensor<8x4xf32>
  %d = loom.weight @d : tensor<4x8xf32>
  %0 = loom.prune_neurons %u axis 0 keep 6 scores(%u, %d) : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<6x4xf32>
  loom.yield %0 : tensor<6x4xf32>
}
