// RUN: loom-opt %s --loom-loopify="blocks=2" --split-input-file | FileCheck %s
// RUN: loom-opt %s --loom-loopify="blocks=2 init=first" --split-input-file | FileCheck %s --check-prefix=FIRST
// RUN: loom-opt %s --loom-loopify="blocks=2 share-vectors=true" --split-input-file | FileCheck %s --check-prefix=VECTORS
// RUN: loom-opt %s --loom-loopify="blocks=2 rank=4" --split-input-file | FileCheck %s --check-prefix=LORA
// RUN: loom-opt %s --loom-loopify="blocks=2 rank=4" --loom-derive-weights --split-input-file | FileCheck %s --check-prefix=DERIVED
// RUN: loom-opt %s --loom-loopify="blocks=2 rank=4 importance=true" --split-input-file | FileCheck %s --check-prefix=IMP
// RUN: loom-opt %s --loom-loopify="blocks=2 full-rank=true" --split-input-file | FileCheck %s --check-prefix=FULL
// RUN: loom-opt %s --loom-loopify="blocks=4" --split-input-file | FileCheck %s --check-prefix=SAME
// RUN: loom-opt %s --loom-loopify --split-input-file | FileCheck %s --check-prefix=SAME
// RUN: loom-opt %s --loom-loopify="blocks=2 rank=4 share-vectors=true prefix=m.shared.{i}" --loom-derive-weights --split-input-file | FileCheck %s --check-prefix=PREFIX

// With a prefix, the derived weights have the names a relaxed recursive
// loop of the language reads (`loop B[2] x 2 lora(4) @ "m.shared.{i}"`):
// block j's shared weights `m.shared.J.NAME`, layer l's factors
// `m.shared.J.NAME.lora.T.a/b`, J = l mod 2, T = l / 2.
// PREFIX-DAG: loom.param @m.shared.0.g
// PREFIX-DAG: loom.param @m.shared.1.w
// PREFIX-DAG: loom.param @m.shared.0.w.lora.1.a
// PREFIX-DAG: loom.param @m.shared.1.w.lora.0.b

// Four layers, two shared blocks: layers 0 and 2 run block 0, layers 1
// and 3 block 1, whose matrix is the average of theirs (or the first's);
// each layer keeps its norm scale unless vectors are shared too. With a
// rank, a copy of the block adds each layer's delta, the rank-4 factors of
// its difference from the shared matrix. As many blocks as layers, or
// none, changes nothing.

loom.param @l.0.w : tensor<16x16xf32>
loom.param @l.1.w : tensor<16x16xf32>
loom.param @l.2.w : tensor<16x16xf32>
loom.param @l.3.w : tensor<16x16xf32>
loom.param @l.0.g : tensor<16xf32>
loom.param @l.1.g : tensor<16xf32>
loom.param @l.2.g : tensor<16xf32>
loom.param @l.3.g : tensor<16xf32>
func.func private @layer(%x: tensor<?x16xf32>, %w: tensor<16x16xf32> {loom.weight = "w"}, %g: tensor<16xf32> {loom.weight = "g"}) -> tensor<?x16xf32> {
  %0 = loom.rms_norm %x, %g eps = 1.0e-5 : tensor<?x16xf32>, tensor<16xf32>
  %1 = loom.linear %0, %w residual %x activation silu : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[G0:.*]] = loom.weight @l.0.g
// CHECK:         %[[W0:.*]] = loom.weight @l.0.w
// CHECK:         %[[W2:.*]] = loom.weight @l.2.w
// CHECK:         %[[S02:.*]] = loom.add %[[W0]], %[[W2]]
// CHECK:         %[[M0:.*]] = loom.scale %[[S02]] by 5.000000e-01 {loom.derived_name = "l.{0,2}.w.mean"}
// CHECK:         %[[M1:.*]] = loom.scale %{{.*}} by 5.000000e-01 {loom.derived_name = "l.{1,3}.w.mean"}
// CHECK:         %[[A:.*]] = call @layer(%{{.*}}, %[[M0]], %[[G0]])
// CHECK:         %[[G1:.*]] = loom.weight @l.1.g
// CHECK:         %[[B:.*]] = call @layer(%[[A]], %[[M1]], %[[G1]])
// CHECK:         %[[G2:.*]] = loom.weight @l.2.g
// CHECK:         %[[C:.*]] = call @layer(%[[B]], %[[M0]], %[[G2]])
// CHECK:         %[[G3:.*]] = loom.weight @l.3.g
// CHECK:         call @layer(%[[C]], %[[M1]], %[[G3]])
// FIRST-LABEL: func.func @forward(
// FIRST-DAG:     %[[W0:.*]] = loom.weight @l.0.w
// FIRST-DAG:     %[[W1:.*]] = loom.weight @l.1.w
// FIRST-NOT:     loom.weight @l.2.w
// FIRST-NOT:     loom.weight @l.3.w
// FIRST:         call @layer(%{{.*}}, %[[W0]],
// FIRST:         call @layer(%{{.*}}, %[[W1]],
// FIRST:         call @layer(%{{.*}}, %[[W0]],
// FIRST:         call @layer(%{{.*}}, %[[W1]],
// VECTORS-LABEL: func.func @forward(
// VECTORS:       loom.scale %{{.*}} {loom.derived_name = "l.{0,2}.g.mean"}
// VECTORS-NOT:   loom.weight @l.2.g
// LORA-LABEL: func.func private @layer_lora4(
// LORA-SAME:    %[[X:[a-z0-9]+]]: tensor<?x16xf32>, %[[W:[a-z0-9]+]]: tensor<16x16xf32> {loom.weight = "w"}, %[[G:[a-z0-9]+]]: tensor<16xf32> {loom.weight = "g"}, %[[FA:[a-z0-9]+]]: tensor<4x16xf32>, %[[FB:[a-z0-9]+]]: tensor<16x4xf32>)
// LORA:         %[[N:.*]] = loom.rms_norm %[[X]], %[[G]]
// LORA:         %[[T:.*]] = loom.linear %[[N]], %[[FA]] : (tensor<?x16xf32>, tensor<4x16xf32>) -> tensor<?x4xf32>
// LORA:         %[[Y0:.*]] = loom.linear %[[N]], %[[W]] residual %[[X]] : (
// LORA:         %[[Y:.*]] = loom.linear %[[T]], %[[FB]] residual %[[Y0]] activation silu
// LORA:         return %[[Y]]
// LORA-LABEL: func.func @forward(
// LORA:         %[[W0:.*]] = loom.weight @l.0.w
// LORA:         %[[M0:.*]] = loom.scale %{{.*}} by 5.000000e-01 {loom.derived_name = "l.{0,2}.w.mean"}
// LORA:         %[[NEG:.*]] = loom.scale %[[M0]] by -1.000000e+00
// LORA:         %[[D:.*]] = loom.add %[[W0]], %[[NEG]]
// LORA:         %[[A0:.*]] = loom.low_rank %[[D]] part "a" rank 4 {loom.derived_name = "l.0.w.lora4.a"}
// LORA:         %[[B0:.*]] = loom.low_rank %[[D]] part "b" rank 4 {loom.derived_name = "l.0.w.lora4.b"}
// LORA:         call @layer_lora4(%{{.*}}, %[[M0]], %{{.*}}, %[[A0]], %[[B0]])
// DERIVED:     loom.param @"l.{0,2}.w.mean" : tensor<16x16xf32> init {
// DERIVED:     loom.param @l.0.w.lora4.a : tensor<4x16xf32> init {
// DERIVED-NEXT:  loom.weight @l.0.w :
// DERIVED-NEXT:  loom.weight @"l.{0,2}.w.mean"
// DERIVED-LABEL: func.func @forward(
// DERIVED-NOT:   loom.low_rank
// DERIVED-NOT:   loom.add
// DERIVED:       call @layer_lora4(
// IMP-LABEL: func.func @forward(
// IMP:         %[[I3:.*]] = loom.weight @l.3.w.importance : tensor<16xf32>
// IMP:         loom.low_rank %{{.*}} importance %[[I3]] part "a" rank 4 {loom.derived_name = "l.3.w.lora4.a"}
// FULL-LABEL: func.func private @layer_lorafull(
// FULL-SAME:    tensor<16x16xf32>, %{{.*}}: tensor<16x16xf32>)
// FULL-LABEL: func.func @forward(
// FULL:         loom.low_rank %{{.*}} part "a" rank 16 {loom.derived_name = "l.0.w.lora16.a"}
// SAME-LABEL: func.func @forward(
// SAME-NOT:     loom.scale
// SAME:         call @layer(%{{.*}}, %{{.*}}, %{{.*}}) :
func.func @forward(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %w0 = loom.weight @l.0.w : tensor<16x16xf32>
  %w1 = loom.weight @l.1.w : tensor<16x16xf32>
  %w2 = loom.weight @l.2.w : tensor<16x16xf32>
  %w3 = loom.weight @l.3.w : tensor<16x16xf32>
  %g0 = loom.weight @l.0.g : tensor<16xf32>
  %0 = func.call @layer(%x, %w0, %g0) : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %g1 = loom.weight @l.1.g : tensor<16xf32>
  %1 = func.call @layer(%0, %w1, %g1) : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %g2 = loom.weight @l.2.g : tensor<16xf32>
  %2 = func.call @layer(%1, %w2, %g2) : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %g3 = loom.weight @l.3.g : tensor<16xf32>
  %3 = func.call @layer(%2, %w3, %g3) : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %3 : tensor<?x16xf32>
}
