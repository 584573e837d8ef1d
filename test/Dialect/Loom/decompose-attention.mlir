// RUN: loom-opt %s --loom-decompose-attention | FileCheck %s

// loom.attention becomes its projections around loom.attend; biases go with
// their projections and the attributes with the core.

// CHECK-LABEL: func.func @gqa(
// CHECK-SAME:    %[[X:.*]]: tensor<?x32xf32>, %[[WQ:.*]]: tensor<32x32xf32>, %[[WK:.*]]: tensor<16x32xf32>, %[[WV:.*]]: tensor<16x32xf32>, %[[WO:.*]]: tensor<32x32xf32>, %[[BQ:.*]]: tensor<32xf32>)
// CHECK:         %[[Q:.*]] = loom.linear %[[X]], %[[WQ]], %[[BQ]]
// CHECK:         %[[K:.*]] = loom.linear %[[X]], %[[WK]] :
// CHECK:         %[[V:.*]] = loom.linear %[[X]], %[[WV]] :
// CHECK:         %[[O:.*]] = loom.attend %[[Q]], %[[K]], %[[V]] heads = 4 kv_heads = 2 head_dim = 8 causal rope_theta = 1.000000e+04
// CHECK:         %[[Y:.*]] = loom.linear %[[O]], %[[WO]] :
// CHECK:         return %[[Y]]
// CHECK-NOT:     loom.attention
func.func @gqa(%x: tensor<?x32xf32>, %wq: tensor<32x32xf32>, %wk: tensor<16x32xf32>, %wv: tensor<16x32xf32>, %wo: tensor<32x32xf32>, %bq: tensor<32xf32>) -> tensor<?x32xf32> {
  %0 = loom.attention %x, %wq, %wk, %wv, %wo bq %bq heads = 4 kv_heads = 2 head_dim = 8 causal rope_theta = 1.0e+04 : (tensor<?x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// Inside weight-shared loops too.
// CHECK-LABEL: func.func @looped(
// CHECK:         loom.loop 2 times
// CHECK:           loom.attend {{.*}} heads = 2 kv_heads = 2 head_dim = 4 :
func.func @looped(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %0 = loom.loop 2 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %a = loom.attention %h, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    loom.yield %a : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}
