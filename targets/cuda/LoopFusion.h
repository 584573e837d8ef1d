//===- LoopFusion.h - Adjacent parallel loops fused, safely -----*- C++ -*-===//
//
// Each linalg op becomes its own parallel loop, and each loop its own kernel
// launch. Adjacent loops over the same space that read what the other wrote
// only where it wrote it (a reduction's initial fill, the attention mask
// after the scores) can be one loop, so one launch.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_CUDA_LOOPFUSION_H
#define LOOM_TARGETS_CUDA_LOOPFUSION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace loom::cuda {

/// Fuses adjacent `scf.parallel` loops of `function` with the same bounds
/// (MLIR's `naivelyFuseParallelOps`, with MLIR's alias analysis), except
/// where two would store to one buffer at different indices: MLIR's check
/// compares one loop's stores with the other's loads only, so fusing those
/// could reorder two writes of an element.
void fuseParallelLoops(mlir::func::FuncOp function);

} // namespace loom::cuda

#endif // LOOM_TARGETS_CUDA_LOOPFUSION_H
