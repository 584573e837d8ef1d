// RUN: loom-opt %s --loom-lower-moe-calls | FileCheck %s

// A mixture of experts calls the runtime's kernel with the model context,
// the activations, the router, the stacked experts' matrices, the result
// buffer, the expert count, top_k, renormalize and the activation id
// (4: silu); without a shared expert, empty buffers in its place.

// CHECK-LABEL: func.func private @Block(
// CHECK-SAME:    %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[OUT:.*]] = memref.alloc
// CHECK-DAG:     %[[E:.*]] = arith.constant 4 : i64
// CHECK-DAG:     %[[K:.*]] = arith.constant 2 : i64
// CHECK-DAG:     %[[RENORM:.*]] = arith.constant 1 : i64
// CHECK-DAG:     %[[SILU:.*]] = arith.constant 4 : i64
// CHECK:         call @loom_moe(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE:.*]], %[[NONE2:.*]], %{{.*}}, %[[E]], %[[K]], %[[RENORM]], %[[SILU]])
// CHECK-NOT:     loom.moe
// CHECK:         %[[Y:.*]] = bufferization.to_tensor %[[OUT]]
// CHECK:         return %[[Y]]
func.func private @Block(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %u: tensor<64x8xf32>, %d: tensor<32x16xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %y = loom.moe silu %x, %r, %g, %u, %d experts = 4 top_k = 2 renormalize : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// A shared expert's output and its gate follow the experts' matrices.
// CHECK-LABEL: func.func private @Shared(
// CHECK-SAME:    %[[S:[a-z0-9]+]]: tensor<?x8xf32>, %[[G:[a-z0-9]+]]: tensor<1x8xf32>, %[[CTX2:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[SB:.*]] = bufferization.to_buffer %[[S]] read_only
// CHECK:         %[[SC:.*]] = memref.cast %[[SB]]
// CHECK:         %[[GB:.*]] = bufferization.to_buffer %[[G]] read_only
// CHECK:         %[[GC:.*]] = memref.cast %[[GB]]
// CHECK:         call @loom_moe(%[[CTX2]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SC]], %[[GC]],
func.func private @Shared(%x: tensor<?x8xf32>, %r: tensor<4x8xf32>, %g: tensor<64x8xf32>, %u: tensor<64x8xf32>, %d: tensor<32x16xf32>, %s: tensor<?x8xf32>, %sg: tensor<1x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  %y = loom.moe silu %x, %r, %g, %u, %d shared %s shared_gate %sg experts = 4 top_k = 2 : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<32x16xf32>, tensor<?x8xf32>, tensor<1x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// The kernel is declared once, with a C interface.
// CHECK:       func.func private @loom_moe(!llvm.ptr, {{.*}}, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
