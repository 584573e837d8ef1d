// RUN: loom-opt %s --convert-loom-to-linalg | FileCheck %s

// A mixture of experts as generated loops (MoEPatterns.cpp), the way
// `--kernels=generated` and the CUDA target's device build run it: no sort
// and no data-dependent trip count, only parallel loop nests. Its numbers
// are checked end to end against PyTorch (test/Integration/moe.test, and
// on the emulated GPU in cuda-emulated.test); this checks the structure.

// CHECK-DAG: #[[ROW3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[OTHER:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[X4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-DAG: #[[SLOT4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-DAG: #[[HID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[H4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[SLOTD:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
// CHECK-LABEL: func.func @moe(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>, %[[R:[^:]*]]: tensor<4x8xf32>, %[[WG:[^:]*]]: tensor<24x8xf32>, %[[WU:[^:]*]]: tensor<24x8xf32>, %[[WD:[^:]*]]: tensor<32x6xf32>, %[[S:[^:]*]]: tensor<?x8xf32>, %[[SG:[^:]*]]: tensor<1x8xf32>

// The router's logits, their row maxima, exp(logit - maximum), row sums.
// CHECK: %[[LOGITS:.*]] = linalg.generic {{.*}} library_call = "loom_sgemm_nt"} ins(%[[X]], %[[R]] :
// CHECK: arith.maximumf
// CHECK: %[[P:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: %[[TOTAL:.*]] = linalg.generic

// Each expert's rank: experts ahead of it, higher or tied at a lower index.
// CHECK: %[[RANK:.*]] = linalg.generic {indexing_maps = [#[[ROW3]], #[[OTHER]], #[[ROW3]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[P]], %[[P]] : tensor<?x4xf32>, tensor<?x4xf32>) outs(%{{.*}} : tensor<?x4xi32>)
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpi ult
// The slots [seq, top_k]: the expert of rank j, and its probability.
// CHECK: %[[SLOTS:.*]]:2 = linalg.generic {{.*}} ins(%[[RANK]], %[[P]] : {{.*}}) outs({{.*}} : tensor<?x2xi32>, tensor<?x2xf32>)
// CHECK: arith.cmpi eq
// CHECK: arith.select
// Divided by the total, then renormalized when the chosen sum is positive.
// CHECK: linalg.generic {{.*}} ins(%[[SLOTS]]#1, %[[TOTAL]] :
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: %[[WEIGHTS:.*]] = linalg.generic
// CHECK: arith.cmpf ogt
// CHECK: arith.select

// Gate and up projections of the slots' experts only: weight row
// expert * hidden + f, read in the contraction's body.
// CHECK: %[[PROJ:.*]]:2 = linalg.generic {indexing_maps = [#[[X4]], #[[SLOT4]], #[[HID4]], #[[HID4]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[X]], %[[SLOTS]]#0 : tensor<?x8xf32>, tensor<?x2xi32>) outs({{.*}} : tensor<?x2x6xf32>, tensor<?x2x6xf32>)
// CHECK: ^bb0(%{{.*}}: f32, %[[E:.*]]: i32,
// CHECK: %[[EI:.*]] = arith.index_cast %[[E]] : i32 to index
// CHECK: %[[C6:.*]] = arith.constant 6 : index
// CHECK: %[[FIRST:.*]] = arith.muli %[[EI]], %[[C6]] : index
// CHECK: %[[ROW:.*]] = arith.addi %[[FIRST]], %{{.*}} : index
// CHECK: tensor.extract %[[WG]][%[[ROW]], %{{.*}}] : tensor<24x8xf32>
// CHECK: tensor.extract %[[WU]]
// silu(gate) * up * the slot's weight.
// CHECK: %[[ACT:.*]] = linalg.generic {{.*}} ins(%[[PROJ]]#0, %[[PROJ]]#1, %[[WEIGHTS]] :
// CHECK: math.exp
// CHECK: arith.mulf
// CHECK: arith.mulf

// The shared expert scaled by sigmoid(x g^T) starts the sum.
// CHECK: %[[GL:.*]] = linalg.generic {{.*}} library_call = "loom_sgemm_nt"} ins(%[[X]], %[[SG]] :
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[COL]], #{{.*}}], {{.*}} ins(%[[S]], %[[GL]] :
// The down projections, summed over slots and hidden units.
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[H4]], #[[SLOTD]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[ACT]], %[[SLOTS]]#0 : tensor<?x2x6xf32>, tensor<?x2xi32>) outs(%[[INIT]] : tensor<?x8xf32>)
// CHECK: arith.constant 8 : index
// CHECK: tensor.extract %[[WD]]
// CHECK: return %[[Y]]
func.func @moe(%x: tensor<?x8xf32>, %router: tensor<4x8xf32>,
               %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>,
               %wd: tensor<32x6xf32>, %s: tensor<?x8xf32>,
               %sg: tensor<1x8xf32>) -> tensor<?x8xf32> {
  %y = loom.moe silu %x, %router, %wg, %wu, %wd shared %s shared_gate %sg
         experts = 4 top_k = 2 renormalize
         : (tensor<?x8xf32>, tensor<4x8xf32>, tensor<24x8xf32>,
            tensor<24x8xf32>, tensor<32x6xf32>, tensor<?x8xf32>,
            tensor<1x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
