//===- Dot.h - Architecture pictures of elaborated models -------*- C++ -*-===//
//
// `loomc --emit=dot` (and `--emit=svg` through Graphviz): the model as a
// graph people would rather look at than read. The model's forward body is
// the main graph; each block is drawn once, as a cluster, next to the uses
// that call it (a stack `Decoder × 12`, a weight-shared loop `loop × 4`).
// Layers show their sizes and checkpoint binding; hovering a layer in the
// SVG lists its tensors.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DSL_DOT_H
#define LOOM_DSL_DOT_H

#include "dsl/Elab.h"

#include "llvm/Support/raw_ostream.h"

namespace loom::dsl {

/// Writes `model` as a Graphviz digraph.
void writeDot(const Model &model, llvm::raw_ostream &os);

} // namespace loom::dsl

#endif // LOOM_DSL_DOT_H
