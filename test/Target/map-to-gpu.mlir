// RUN: loom-opt %s --loom-map-to-gpu="block-size=128" | FileCheck %s

// The CUDA target's mapping (targets/cuda/MapToGpu.cpp) on bufferized
// linalg: what the forward entry points reach becomes GPU launches, and
// prepare (derived weights, computed on the host at load) plain loops.

// An elementwise op: blocks of 128 threads, one an element, with a guard at
// the edge.
// CHECK-LABEL: func.func @forward(
// CHECK: %[[N:.*]] = memref.dim %arg0
// CHECK: arith.constant 128 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}) threads({{.*}}) in ({{.*}})
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK: scf.if
// CHECK: memref.load %arg0[%[[I:.*]]]
// CHECK: math.exp
// CHECK: memref.store %{{.*}}, %arg1[%[[I]]]
// A reduction to one value: one thread runs the loop.
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]]) threads({{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK-NEXT: scf.for
// CHECK: arith.addf
// CHECK: gpu.terminator
// CHECK: call @layer
// A function forward calls is mapped too.
// CHECK-LABEL: func.func private @layer(
// CHECK: gpu.launch
// CHECK: memref.store %cst
// A 2-D op is one dimension of threads, the innermost varying fastest
// (consecutive threads, consecutive elements; any size fits the grid's x).
// CHECK-LABEL: func.func @forward_last(
// CHECK: %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[COLS:.*]] = memref.dim %arg0, %c1
// CHECK: %[[R:.*]] = arith.muli %{{.*}}, %[[ROWS]]
// CHECK: %[[TOTAL:.*]] = arith.muli %[[R]], %[[COLS]]
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %[[ONE2:[^,]*]], %{{.*}} = %[[ONE2]])
// CHECK: arith.cmpi ult, %{{.*}}, %[[TOTAL]]
// CHECK: scf.if
// CHECK: %[[COL:.*]] = arith.remsi %[[I:.*]], %[[COLS]]
// CHECK: %[[ROW:.*]] = arith.divsi %[[I]], %[[COLS]]
// CHECK: memref.load %arg0[%[[ROW]], %[[COL]]]
// A reduction's initial fill runs in its loop's launch (the loops were
// fused: same bounds, and the reduction reads what the fill wrote where it
// wrote it).
// CHECK: call @rows
// CHECK-LABEL: func.func private @rows(
// CHECK: %[[S:.*]] = memref.alloc() : memref<16xf32>
// CHECK: %[[T:.*]] = memref.alloc() : memref<4x4xf32>
// CHECK: gpu.launch
// CHECK: scf.if
// CHECK-NEXT: memref.store %{{.*}}, %[[S]][%[[R:.*]]] : memref<16xf32>
// CHECK-NEXT: scf.for
// CHECK: memref.load %[[S]][%[[R]]]
// CHECK: arith.addf
// CHECK: gpu.terminator
// Read across (transposed), a fill's result is not fused: two launches.
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[T]]
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.load %[[T]]
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: gpu.terminator
// Two loops that write one buffer, the second at transposed indices and
// without reading it: fused, the two writes of an element could come in
// either order. Two launches.
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[W:[a-z_0-9]+]][
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.load %[[SRC:[a-z_0-9]+]][
// CHECK: memref.store %{{.*}}, %[[W]][
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// prepare stays on the host.
// CHECK-LABEL: func.func @prepare(
// CHECK-NOT: gpu.launch
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.load %arg0
// CHECK: memref.store
// CHECK-NOT: gpu.launch

func.func @forward(%a: memref<?xf32>, %b: memref<?xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : memref<?xf32>) outs(%b : memref<?xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%a : memref<?xf32>) outs(%s : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %t = arith.addf %acc, %x : f32
    linalg.yield %t : f32
  }
  call @layer(%b) : (memref<?xf32>) -> ()
  return
}

func.func private @layer(%x: memref<?xf32>) {
  %c = arith.constant 2.0 : f32
  linalg.fill ins(%c : f32) outs(%x : memref<?xf32>)
  return
}

func.func @forward_last(%a: memref<?x?xf32>, %b: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<?x?xf32>) outs(%b : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  %m = memref.alloc() : memref<16x8xf32>
  %u = memref.alloc() : memref<4x4xf32>
  call @rows(%m, %u) : (memref<16x8xf32>, memref<4x4xf32>) -> ()
  return
}

func.func private @rows(%a: memref<16x8xf32>, %u: memref<4x4xf32>) {
  %s = memref.alloc() : memref<16xf32>
  %t = memref.alloc() : memref<4x4xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%s : memref<16xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a : memref<16x8xf32>) outs(%s : memref<16xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %sum = arith.addf %acc, %x : f32
    linalg.yield %sum : f32
  }
  linalg.fill ins(%zero : f32) outs(%t : memref<4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : memref<4x4xf32>) outs(%u : memref<4x4xf32>) {
  ^bb0(%x: f32, %y: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  %w = memref.alloc() : memref<4x4xf32>
  %src = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%zero : f32) outs(%w : memref<4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>], iterator_types = ["parallel", "parallel"]} ins(%src : memref<4x4xf32>) outs(%w : memref<4x4xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}

// prepare (derived weights, at load) runs on the host.
func.func @prepare(%w: memref<4x8xf32>, %t: memref<8x4xf32>) {
  linalg.transpose ins(%w : memref<4x8xf32>) outs(%t : memref<8x4xf32>) permutation = [1, 0]
  return
}
