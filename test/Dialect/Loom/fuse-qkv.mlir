// RUN: loom-opt %s --loom-fuse-qkv --split-input-file | FileCheck %s

// The q, k and v projections of one input become one product over their
// concatenated weights and biases, split back for loom.attend.

// CHECK-LABEL: func.func @biased(
// CHECK-SAME:    %[[X:.*]]: tensor<?x32xf32>, %[[WQ:.*]]: tensor<32x32xf32>, %[[WK:.*]]: tensor<16x32xf32>, %[[WV:.*]]: tensor<16x32xf32>, %[[BQ:.*]]: tensor<32xf32>, %[[BK:.*]]: tensor<16xf32>, %[[BV:.*]]: tensor<16xf32>)
// CHECK:         %[[W:.*]] = loom.concat %[[WQ]], %[[WK]], %[[WV]] axis = 0 : (tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<64x32xf32>
// CHECK:         %[[B:.*]] = loom.concat %[[BQ]], %[[BK]], %[[BV]] axis = 0
// CHECK:         %[[Y:.*]] = loom.linear %[[X]], %[[W]], %[[B]] : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<?x64xf32>
// CHECK:         %[[P:.*]]:3 = loom.split %[[Y]] axis = 1 sizes = [32, 16, 16]
// CHECK:         loom.attend %[[P]]#0, %[[P]]#1, %[[P]]#2
// CHECK-NOT:     loom.linear
func.func @biased(%x: tensor<?x32xf32>, %wq: tensor<32x32xf32>, %wk: tensor<16x32xf32>, %wv: tensor<16x32xf32>, %bq: tensor<32xf32>, %bk: tensor<16xf32>, %bv: tensor<16xf32>) -> tensor<?x32xf32> {
  %q = loom.linear %x, %wq, %bq : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %k = loom.linear %x, %wk, %bk : (tensor<?x32xf32>, tensor<16x32xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %v = loom.linear %x, %wv, %bv : (tensor<?x32xf32>, tensor<16x32xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %o = loom.attend %q, %k, %v heads = 4 kv_heads = 2 head_dim = 8 : (tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x32xf32>
  return %o : tensor<?x32xf32>
}

// -----

// Pieces of one stored tensor (GPT-2's c_attn): the concatenation of its
// pieces folds back to it.
// CHECK-LABEL: func.func @pieces(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[C:.*]]: tensor<8x24xf32>
// CHECK:         %[[T:.*]] = loom.transpose %[[C]]
// CHECK:         loom.linear %[[X]], %[[T]] : (tensor<?x8xf32>, tensor<24x8xf32>) -> tensor<?x24xf32>
func.func @pieces(%x: tensor<?x8xf32>, %c: tensor<8x24xf32>) -> tensor<?x8xf32> {
  %t = loom.transpose %c : tensor<8x24xf32> -> tensor<24x8xf32>
  %w:3 = loom.split %t axis = 0 sizes = [8, 8, 8] : tensor<24x8xf32> -> tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
  %q = loom.linear %x, %w#0 : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %k = loom.linear %x, %w#1 : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %v = loom.linear %x, %w#2 : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %o = loom.attend %q, %k, %v heads = 2 kv_heads = 2 head_dim = 4 : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// -----

// Left alone: projections of different inputs, a bias on only some of them,
// and a projection read by something else too.
// CHECK-LABEL: func.func @unfusable(
// CHECK-NOT:     loom.concat
// CHECK-NOT:     loom.split
func.func @unfusable(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %q = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %k = loom.linear %y, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %v = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %o = loom.attend %q, %k, %v heads = 2 kv_heads = 2 head_dim = 4 : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %q2 = loom.linear %x, %w, %b : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %o2 = loom.attend %q2, %v, %v heads = 2 kv_heads = 2 head_dim = 4 : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %q3 = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %k3 = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %v3 = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %o3 = loom.attend %q3, %k3, %v3 heads = 2 kv_heads = 2 head_dim = 4 : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %r = loom.add %o3, %q3 : tensor<?x8xf32>, tensor<?x8xf32>
  return %o, %o2, %r : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}
