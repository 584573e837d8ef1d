// RUN: loom-opt %s --loom-export-model | FileCheck %s -DABI=%loom_abi
// RUN: loom-opt %s --loom-export-model="symbol=my_model program=true" | FileCheck %s --check-prefix=PROGRAM
// RUN: loom-opt %s --loom-export-model="device=loom_model_Tiny_cuda" | FileCheck %s --check-prefix=DEVICE

// The model's one exported symbol: a constant loom_model_def (ABI version,
// description, entry points; no last-row or prepare entry here, so null),
// named after the model, and no device build (null); everything else the
// module defines becomes internal, and the context marker goes. With
// `device`, the definition points to the device build's, which another
// module defines (`loomc --target=cuda` links the two).

module attributes {loom.model = "Tiny"} {
  llvm.mlir.global external constant @loom.model_info("{}\00") {addr_space = 0 : i32}
  llvm.func @forward(%ctx: !llvm.ptr {loom.context}) {
    llvm.return
  }
  llvm.func @_mlir_ciface_forward(%ctx: !llvm.ptr {loom.context}, %tokens: !llvm.ptr, %pos: i64, %k: !llvm.ptr, %v: !llvm.ptr, %out: !llvm.ptr) attributes {llvm.emit_c_interface} {
    llvm.call @forward(%ctx) : (!llvm.ptr) -> ()
    llvm.return
  }
  llvm.func @loom_sgemm_nt(!llvm.ptr)
}

// CHECK: llvm.mlir.global internal constant @loom.model_info
// CHECK: llvm.func internal @forward(%{{.*}}: !llvm.ptr)
// CHECK: llvm.func internal @_mlir_ciface_forward(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr,
// Declarations stay external.
// CHECK: llvm.func @loom_sgemm_nt(!llvm.ptr)
// CHECK: llvm.mlir.global external constant @loom_model_Tiny() {{.*}} : !llvm.struct<(i64, ptr, ptr, ptr, ptr, ptr)> {
// CHECK:   %[[VERSION:.*]] = llvm.mlir.constant([[ABI]] : i64) : i64
// CHECK:   llvm.insertvalue %[[VERSION]], %{{.*}}[0]
// CHECK:   %[[INFO:.*]] = llvm.mlir.addressof @loom.model_info
// CHECK:   llvm.insertvalue %[[INFO]], %{{.*}}[1]
// CHECK:   %[[FORWARD:.*]] = llvm.mlir.addressof @_mlir_ciface_forward
// CHECK:   llvm.insertvalue %[[FORWARD]], %{{.*}}[2]
// CHECK:   %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:   llvm.insertvalue %[[NULL]], %{{.*}}[3]
// CHECK:   %[[NULL2:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:   llvm.insertvalue %[[NULL2]], %{{.*}}[4]
// CHECK:   %[[NULL3:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:   llvm.insertvalue %[[NULL3]], %{{.*}}[5]
// CHECK-NOT: loom_program_model
// CHECK-NOT: loom.context

// PROGRAM: llvm.mlir.global external constant @my_model()
// PROGRAM: llvm.mlir.global external constant @loom_program_model() {{.*}} : !llvm.ptr {
// PROGRAM:   %[[DEF:.*]] = llvm.mlir.addressof @my_model : !llvm.ptr
// PROGRAM:   llvm.return %[[DEF]] : !llvm.ptr

// DEVICE: llvm.mlir.global external constant @loom_model_Tiny_cuda() {{.*}} : !llvm.struct<(i64, ptr, ptr, ptr, ptr, ptr)>
// DEVICE-NOT: llvm.return
// DEVICE: llvm.mlir.global external constant @loom_model_Tiny() {{.*}} {
// DEVICE:   %[[DEVICE:.*]] = llvm.mlir.addressof @loom_model_Tiny_cuda
// DEVICE:   llvm.insertvalue %[[DEVICE]], %{{.*}}[5]
