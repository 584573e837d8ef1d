// The calls of a block that --loom-quantize-weights would quantize in
// several ways (per-layer patterns and overrides) get a copy of the block
// each (SpecializeBlocks.cpp).
// RUN: loom-opt %S/Inputs/block-own-weight.mlir --loom-quantize-weights="include=shared" 2>&1 | FileCheck %s --check-prefix=OWNWEIGHT
// RUN: loom-opt %S/Inputs/per-layer-blocks.mlir --loom-quantize-weights="format=q4_0 overrides=l1\.=q8_0" 2>&1 | FileCheck %s --check-prefix=PERLAYER
// RUN: loom-opt %S/Inputs/per-layer-blocks.mlir --loom-quantize-weights="include=l[02]\." 2>&1 | FileCheck %s --check-prefix=SOMELAYERS
// RUN: loom-opt %S/Inputs/per-layer-blocks.mlir --loom-quantize-weights="overrides=l2\.=q8_0:bf16,l1\.=q4_1" 2>&1 | FileCheck %s --check-prefix=THREEWAYS
// RUN: loom-opt %S/Inputs/per-layer-blocks.mlir --loom-quantize-weights="overrides=l.\.=q4_1" 2>&1 | FileCheck %s --check-prefix=ONEWAY

// A block whose calls quantize its product differently gets a copy per
// way, the calls with the first call's way keeping the original: layer 1
// in q8_0, layers 0 and 2 in q4_0.
// PERLAYER: remark: --loom-quantize-weights: this block's calls quantize its products 2 ways: one copy of the block each
// PERLAYER-LABEL: func.func private @Block(
// PERLAYER:         loom.quantize %{{.*}} format q4_0
// PERLAYER:         loom.linear %{{.*}}, %{{.*}} format q4_0 :
// PERLAYER-LABEL: func.func private @Block_1(
// PERLAYER:         loom.quantize %{{.*}} format q8_0
// PERLAYER:         loom.linear %{{.*}}, %{{.*}} format q8_0 :
// PERLAYER-LABEL: func.func @forward(
// PERLAYER:         call @Block(
// PERLAYER:         call @Block_1(
// PERLAYER:         call @Block(

// Include patterns may pick layers: layer 1's copy is left in f32.
// SOMELAYERS-LABEL: func.func private @Block(
// SOMELAYERS:         loom.linear %{{.*}}, %{{.*}} format q8_0 :
// SOMELAYERS-LABEL: func.func private @Block_1(
// SOMELAYERS-NOT:     loom.quantize
// SOMELAYERS:         loom.linear %{{.*}}, %{{.*}} : (tensor<?x32xf32>, tensor<32x32xf32>)
// SOMELAYERS-LABEL: func.func @forward(
// SOMELAYERS:         call @Block(
// SOMELAYERS:         call @Block_1(
// SOMELAYERS:         call @Block(

// Formats and input roundings: three ways, three copies.
// THREEWAYS: remark: --loom-quantize-weights: this block's calls quantize its products 3 ways
// THREEWAYS-LABEL: func.func private @Block(
// THREEWAYS:         loom.linear %{{.*}}, %{{.*}} format q8_0 :
// THREEWAYS-LABEL: func.func private @Block_1(
// THREEWAYS:         loom.linear %{{.*}}, %{{.*}} format q4_1 :
// THREEWAYS-LABEL: func.func private @Block_2(
// THREEWAYS:         loom.linear %{{.*}}, %{{.*}} format q8_0 inputs bf16 :
// THREEWAYS-LABEL: func.func @forward(
// THREEWAYS:         call @Block(
// THREEWAYS:         call @Block_1(
// THREEWAYS:         call @Block_2(

// Calls that agree share the block.
// ONEWAY-NOT: remark
// ONEWAY-NOT: @Block_1
// ONEWAY: loom.linear %{{.*}}, %{{.*}} format q4_1 :

// A weight of the block's own is read in every call: a pattern that names
// it selects the product in every call (one block, no copy).
// OWNWEIGHT-NOT: remark
// OWNWEIGHT-LABEL: func.func private @Block(
// OWNWEIGHT:         loom.linear %{{.*}}, %{{.*}} format q8_0 :
// OWNWEIGHT-NOT:   @Block_1
