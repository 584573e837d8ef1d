// RUN: loom-opt %s --loom-lower-observe-calls | FileCheck %s

// An observation calls the runtime's kernel with the model context, the
// hidden state and the side (0: input, 1: output); nothing else changes.

// CHECK-LABEL: func.func private @Block(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x8xf32>, %[[W:[a-z0-9]+]]: tensor<8x8xf32>, %[[CTX:[a-z0-9]+]]: !llvm.ptr
// CHECK:         %[[IN:.*]] = bufferization.to_buffer %[[X]] read_only
// CHECK:         %[[INPUT:.*]] = arith.constant 0 : i64
// CHECK:         call @loom_observe(%[[CTX]], %{{.*}}, %[[INPUT]]) : (!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) -> ()
// CHECK:         %[[Y:.*]] = loom.linear %[[X]], %[[W]]
// CHECK:         %[[OUT:.*]] = bufferization.to_buffer %[[Y]] read_only
// CHECK:         %[[OUTPUT:.*]] = arith.constant 1 : i64
// CHECK:         call @loom_observe(%[[CTX]], %{{.*}}, %[[OUTPUT]])
// CHECK-NOT:     loom.observe
// CHECK:         return %[[Y]]
// CHECK:       func.func private @loom_observe(!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface}
func.func private @Block(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %ctx: !llvm.ptr {loom.context}) -> tensor<?x8xf32> {
  loom.observe input %x : tensor<?x8xf32>
  %y = loom.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  loom.observe output %y : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
