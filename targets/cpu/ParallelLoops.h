//===- ParallelLoops.h - What the two parallel-loop passes share -*- C++
//-*-===//
//
// `loom-outline-parallel-loops` marks the functions it outlines with
// kParallelGrainAttr; `loom-lower-parallel-calls` turns their calls into
// runtime calls.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TARGETS_CPU_PARALLELLOOPS_H
#define LOOM_TARGETS_CPU_PARALLELLOOPS_H

#include "llvm/ADT/StringRef.h"

namespace loom::cpu {

/// Marks an outlined loop body; its value is the grain (the fewest
/// iterations worth a task).
inline constexpr llvm::StringLiteral kParallelGrainAttr = "loom.parallel_grain";

} // namespace loom::cpu

#endif // LOOM_TARGETS_CPU_PARALLELLOOPS_H
