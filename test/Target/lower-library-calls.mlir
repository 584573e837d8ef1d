// linalg ops with a library_call become calls of that kernel on dynamically
// shaped, strided memrefs (loom-lower-library-calls). A product whose
// output was just zero-filled for it calls the kernel's `_overwrite` form,
// and the fill (or the copy of a fill shared by several products) goes. The
// model context (the function's `loom.context` argument) is passed first,
// the activation id (LOOM_ACTIVATION_*) of a following `loom.epilogue` last.

// RUN: loom-opt %s --loom-lower-library-calls --split-input-file | FileCheck %s

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#trait = {indexing_maps = [#a, #b, #c],
          iterator_types = ["parallel", "parallel", "reduction"],
          library_call = "loom_sgemm_nt"}

// CHECK-LABEL: func.func @fresh_fill(
// CHECK-SAME:    %[[CTX:[a-z0-9]+]]: !llvm.ptr {loom.context}
// CHECK-NOT:     linalg.fill
// CHECK:         %[[C:.*]] = memref.cast %{{.*}} : memref<?x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK:         %[[NONE:.*]] = arith.constant 0 : i64
// CHECK:         call @loom_sgemm_nt_overwrite(%[[CTX]], %{{.*}}, %{{.*}}, %[[C]], %[[NONE]])
// CHECK:       func.func private @loom_sgemm_nt_overwrite(!llvm.ptr, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface}
func.func @fresh_fill(%x: memref<?x4xf32>, %w: memref<8x4xf32>, %ctx: !llvm.ptr {loom.context}) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %out = memref.alloc(%n) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x8xf32>)
  linalg.generic #trait ins(%x, %w : memref<?x4xf32>, memref<8x4xf32>) outs(%out : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %out : memref<?x8xf32>
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#trait = {indexing_maps = [#a, #b, #c],
          iterator_types = ["parallel", "parallel", "reduction"],
          library_call = "loom_sgemm_nt"}

// One fill shared by two products: bufferization copies it for the first
// and hands it to the second. Both overwrite; the fill and its copy go.
// CHECK-LABEL: func.func @shared_fill(
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     memref.copy
// CHECK:         call @loom_sgemm_nt_overwrite
// CHECK-NOT:     memref.copy
// CHECK:         call @loom_sgemm_nt_overwrite
func.func @shared_fill(%x: memref<?x4xf32>, %w1: memref<8x4xf32>, %w2: memref<8x4xf32>, %ctx: !llvm.ptr {loom.context}) -> (memref<?x8xf32>, memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %filled = memref.alloc(%n) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%filled : memref<?x8xf32>)
  %first = memref.alloc(%n) : memref<?x8xf32>
  memref.copy %filled, %first : memref<?x8xf32> to memref<?x8xf32>
  linalg.generic #trait ins(%x, %w1 : memref<?x4xf32>, memref<8x4xf32>) outs(%first : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic #trait ins(%x, %w2 : memref<?x4xf32>, memref<8x4xf32>) outs(%filled : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %first, %filled : memref<?x8xf32>, memref<?x8xf32>
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#trait = {indexing_maps = [#a, #b, #c],
          iterator_types = ["parallel", "parallel", "reduction"],
          library_call = "loom_sgemm_nt"}

// Products that must add to C: a fill other than zero, a buffer read
// between its fill and the product, and a caller's buffer.
// CHECK-LABEL: func.func @accumulate(
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[ONES:.*]] : memref<?x8xf32>)
// CHECK:         call @loom_sgemm_nt(
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[READ:.*]] : memref<?x8xf32>)
// CHECK:         memref.copy %[[READ]]
// CHECK:         call @loom_sgemm_nt(
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%arg3 : memref<?x8xf32>)
// CHECK:         call @loom_sgemm_nt(
// CHECK-NOT:     _overwrite
func.func @accumulate(%x: memref<?x4xf32>, %w: memref<8x4xf32>, %seen: memref<?x8xf32>, %result: memref<?x8xf32>, %ctx: !llvm.ptr {loom.context}) -> (memref<?x8xf32>, memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %ones = memref.alloc(%n) : memref<?x8xf32>
  linalg.fill ins(%one : f32) outs(%ones : memref<?x8xf32>)
  linalg.generic #trait ins(%x, %w : memref<?x4xf32>, memref<8x4xf32>) outs(%ones : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %read = memref.alloc(%n) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%read : memref<?x8xf32>)
  memref.copy %read, %seen : memref<?x8xf32> to memref<?x8xf32>
  linalg.generic #trait ins(%x, %w : memref<?x4xf32>, memref<8x4xf32>) outs(%read : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.fill ins(%zero : f32) outs(%result : memref<?x8xf32>)
  linalg.generic #trait ins(%x, %w : memref<?x4xf32>, memref<8x4xf32>) outs(%result : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %ones, %read : memref<?x8xf32>, memref<?x8xf32>
}

// -----

// A product that also reads its output buffer reads the zeros: the fill
// stays and the accumulating kernel is called.
// CHECK-LABEL: func.func @reads_own_output(
// CHECK:         linalg.fill
// CHECK:         call @loom_sgemm_nt(
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#trait = {indexing_maps = [#a, #b, #c],
          iterator_types = ["parallel", "parallel", "reduction"],
          library_call = "loom_sgemm_nt"}
func.func @reads_own_output(%w: memref<8x8xf32>, %ctx: !llvm.ptr {loom.context}) -> memref<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<8x8xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<8x8xf32>)
  linalg.generic #trait ins(%out, %w : memref<8x8xf32>, memref<8x8xf32>) outs(%out : memref<8x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %out : memref<8x8xf32>
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
#trait = {indexing_maps = [#a, #b, #c],
          iterator_types = ["parallel", "parallel", "reduction"],
          library_call = "loom_sgemm_nt"}

// An epilogue on the product's output becomes the kernel's activation
// argument (GELU's tanh form: 3), even with other ops in between, and goes.
// CHECK-LABEL: func.func @epilogue(
// CHECK:         %[[ACT:.*]] = arith.constant 3 : i64
// CHECK:         call @loom_sgemm_nt_overwrite({{.*}}, %[[ACT]])
// CHECK-NOT:     linalg.generic
// CHECK:         memref.dealloc
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @epilogue(%x: memref<?x4xf32>, %w: memref<8x4xf32>, %ctx: !llvm.ptr {loom.context}) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %out = memref.alloc(%n) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x8xf32>)
  linalg.generic #trait ins(%x, %w : memref<?x4xf32>, memref<8x4xf32>) outs(%out : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.dealloc %x : memref<?x4xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%out : memref<?x8xf32>) attrs = {loom.epilogue = #loom.activation<gelu_tanh>} {
  ^bb0(%o: f32):
    %t = math.tanh %o : f32
    linalg.yield %t : f32
  }
  return %out : memref<?x8xf32>
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
#trait = {indexing_maps = [#a, #b, #c],
          iterator_types = ["parallel", "parallel", "reduction"],
          library_call = "loom_sgemm_nt"}

// Not an epilogue of the product: the output is read in between, or the
// op is not marked. Both stay loops; the kernel applies nothing.
// CHECK-LABEL: func.func @not_epilogues(
// CHECK:         %[[NONE:.*]] = arith.constant 0 : i64
// CHECK:         call @loom_sgemm_nt_overwrite({{.*}}, %[[NONE]])
// CHECK:         memref.copy
// CHECK:         linalg.generic {{.*}}loom.epilogue
// CHECK:         call @loom_sgemm_nt_overwrite({{.*}}, %{{.*}})
// CHECK:         linalg.generic
// CHECK-NOT:     loom.epilogue
func.func @not_epilogues(%x: memref<?x4xf32>, %w: memref<8x4xf32>, %copy: memref<?x8xf32>, %ctx: !llvm.ptr {loom.context}) -> (memref<?x8xf32>, memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %out = memref.alloc(%n) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x8xf32>)
  linalg.generic #trait ins(%x, %w : memref<?x4xf32>, memref<8x4xf32>) outs(%out : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.copy %out, %copy : memref<?x8xf32> to memref<?x8xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%out : memref<?x8xf32>) attrs = {loom.epilogue = #loom.activation<silu>} {
  ^bb0(%o: f32):
    %t = math.tanh %o : f32
    linalg.yield %t : f32
  }
  %out2 = memref.alloc(%n) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%out2 : memref<?x8xf32>)
  linalg.generic #trait ins(%x, %w : memref<?x4xf32>, memref<8x4xf32>) outs(%out2 : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%out2 : memref<?x8xf32>) {
  ^bb0(%o: f32):
    %t = math.tanh %o : f32
    linalg.yield %t : f32
  }
  return %out, %out2 : memref<?x8xf32>, memref<?x8xf32>
}
