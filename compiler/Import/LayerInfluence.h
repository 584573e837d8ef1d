//===- LayerInfluence.h - Block influence from calibration statistics -----===//
//
// A calibration run (the program's `--calibrate`) writes each observed
// layer's block influence, 1 - cos(input, output) averaged over rows
// (ShortGPT), as a one-element tensor `LAYER.block_influence`. `loomc`
// reads them to remove the least influential layers
// (`--drop-layers-count`) and to report them (`--emit=layers`).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_IMPORT_LAYERINFLUENCE_H
#define LOOM_COMPILER_IMPORT_LAYERINFLUENCE_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace loom {

/// Each layer's block influence in the statistics file at `path`. Errors
/// name the file (and the tensor): unreadable, no `*.block_influence`
/// tensor (statistics of a build that observes no layers), or one that is
/// not a single finite f32.
llvm::Expected<llvm::StringMap<double>>
readLayerInfluence(llvm::StringRef path);

} // namespace loom

#endif // LOOM_COMPILER_IMPORT_LAYERINFLUENCE_H
