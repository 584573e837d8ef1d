// RUN: loom-opt %s --loom-add-last-row-entry --split-input-file | FileCheck %s

// A decoder gets @forward_last: the last row's selection moves up through
// the LM head and the final norm, to just after the last attention.

loom.param @w : tensor<8x8xf32>
loom.param @g : tensor<8xf32>
loom.param @head : tensor<50x8xf32>

// CHECK-LABEL: func.func @forward(
// CHECK:         loom.linear %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<50x8xf32>) -> tensor<?x50xf32>
// CHECK-LABEL: func.func @forward_last(
// CHECK-SAME:    %[[IDS:.*]]: tensor<?xi32>) -> tensor<?x50xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[IDS]]
// CHECK:         %[[LAST:.*]] = arith.subi %[[N]], %{{.*}} : index
// CHECK:         %[[A:.*]] = loom.attention
// CHECK:         %[[ROW:.*]] = tensor.extract_slice %[[A]][%[[LAST]], 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
// CHECK:         loom.rms_norm %[[ROW]]
// CHECK:         %[[Y:.*]] = loom.linear %{{.*}}, %{{.*}} : (tensor<1x8xf32>, tensor<50x8xf32>) -> tensor<1x50xf32>
// CHECK:         %[[C:.*]] = tensor.cast %[[Y]] : tensor<1x50xf32> to tensor<?x50xf32>
// CHECK:         return %[[C]]
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x50xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %g = loom.weight @g : tensor<8xf32>
  %head = loom.weight @head : tensor<50x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %n = loom.rms_norm %a, %g eps = 1.0e-05 : tensor<?x8xf32>, tensor<8xf32>
  %y = loom.linear %n, %head : (tensor<?x8xf32>, tensor<50x8xf32>) -> tensor<?x50xf32>
  return %y : tensor<?x50xf32>
}

// -----

// An encoder (no causal attention) returns every row anyway: left alone.

loom.param @w : tensor<8x8xf32>
// CHECK-LABEL: func.func @forward(
// CHECK-NOT:   @forward_last
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %a : tensor<?x8xf32>
}

// -----

// Tensor math is row-wise too: a column from a reduction and the rows it
// broadcasts against are taken at the last row, a [1] constant whole.

loom.param @w : tensor<8x8xf32>
loom.param @head : tensor<50x8xf32>

// CHECK-LABEL: func.func @forward_last(
// CHECK:         %[[A:.*]] = loom.attention
// CHECK:         %[[ROW:.*]] = tensor.extract_slice %[[A]][%{{.*}}, 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
// CHECK:         %[[M:.*]] = loom.reduce mean %[[ROW]] : tensor<1x8xf32> -> tensor<1x1xf32>
// CHECK:         %[[ROW2:.*]] = tensor.extract_slice %[[A]][%{{.*}}, 0] [1, 8] [1, 1]
// CHECK:         %[[S:.*]] = loom.sub %[[ROW2]], %[[M]] : tensor<1x8xf32>, tensor<1x1xf32>
// CHECK:         %[[D:.*]] = loom.div %[[S]], %{{.*}} : tensor<1x8xf32>, tensor<1xf32>
// CHECK:         loom.linear %[[D]], %{{.*}} : (tensor<1x8xf32>, tensor<50x8xf32>) -> tensor<1x50xf32>
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x50xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %head = loom.weight @head : tensor<50x8xf32>
  %two = arith.constant dense<2.0> : tensor<1xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %m = loom.reduce mean %a : tensor<?x8xf32> -> tensor<?x1xf32>
  %s = loom.sub %a, %m : tensor<?x8xf32>, tensor<?x1xf32>
  %d = loom.div %s, %two : tensor<?x8xf32>, tensor<1xf32>
  %y = loom.linear %d, %head : (tensor<?x8xf32>, tensor<50x8xf32>) -> tensor<?x50xf32>
  return %y : tensor<?x50xf32>
}
