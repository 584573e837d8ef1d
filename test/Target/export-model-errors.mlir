// RUN: loom-opt %s --loom-export-model --split-input-file --verify-diagnostics
// RUN: not loom-opt %s --loom-export-model="symbol=3d" --split-input-file 2>&1 | FileCheck %s --check-prefix=SYMBOL

// SYMBOL: error: the model's exported symbol '3d' is not a C identifier
// RUN: not loom-opt %s --loom-export-model="device=my-gpu" --split-input-file 2>&1 | FileCheck %s --check-prefix=DEVICE
// RUN: not loom-opt %s --loom-export-model="symbol=m device=m" --split-input-file 2>&1 | FileCheck %s --check-prefix=SAME
// DEVICE: error: the device model's symbol 'my-gpu' is not a C identifier other than 'loom_model_Tiny'
// SAME: error: the device model's symbol 'm' is not a C identifier other than 'm'

// expected-error @+1 {{no model to export: expected '_mlir_ciface_forward' and 'loom.model_info' (bind the model to the runtime and lower it to LLVM first)}}
module attributes {loom.model = "Tiny"} {
  llvm.mlir.global external constant @loom.model_info("{}\00") {addr_space = 0 : i32}
}

// -----

// expected-error @+1 {{the module already defines 'loom_model_Tiny'}}
module attributes {loom.model = "Tiny"} {
  llvm.mlir.global external constant @loom.model_info("{}\00") {addr_space = 0 : i32}
  llvm.mlir.global external constant @loom_model_Tiny(0 : i64) {addr_space = 0 : i32} : i64
  llvm.func @_mlir_ciface_forward(%ctx: !llvm.ptr) {
    llvm.return
  }
}

// -----

// expected-error @+1 {{the model's exported symbol 'loom_model_my-model' is not a C identifier}}
module attributes {loom.model = "my-model"} {
  llvm.mlir.global external constant @loom.model_info("{}\00") {addr_space = 0 : i32}
}

// -----

// A model to export (the option errors above are reported on it).
module attributes {loom.model = "Tiny"} {
  llvm.mlir.global external constant @loom.model_info("{}\00") {addr_space = 0 : i32}
  llvm.func @_mlir_ciface_forward(%ctx: !llvm.ptr) {
    llvm.return
  }
}
