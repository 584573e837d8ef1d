// RUN: loom-opt %s --loom-lower-moe-calls | FileCheck %s

// A mixture of experts calls the runtime's kernel with the model context,
// the activations, the router, the stacked experts' matrices, the result
// buffer, the expert count, top_k, renormalize and the activation id
// (4: silu).

// CHECK-LABEL: func.func private @Block(
// CHECK-SAME:    %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[OUT:.*]] = memref.alloc
// CHECK-DAG:     %[[E:.*]] = arith.constant 4 : i64
// CHECK-DAG:     %[[K:.*]] = arith.constant 2 : i64
// CHECK-DAG:     %[[RENORM:.*]] = arith.constant 1 : i64
// CHECK-DAG:     %[[SILU:.*]] = arith.constant 4 : i64
// CHECK:         call @loom_moe(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[E]], %[[K]], %[[RENORM]], %[[SILU]])
// CHECK-NOT:     loom.moe
// CHECK:         %[[Y:.*]] = bufferization.to_tensor %[[OUT]]
// CHECK:         return %[[Y]]
// CHECK:       func.func private @loom_moe(!llvm.ptr, {{.*}}, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
func.func private @Block(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %u: tensor<64x8xf32>, %d: tensor<32x16xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %y = loom.moe silu %x, %r, %g, %u, %d experts = 4 top_k = 2 renormalize : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
