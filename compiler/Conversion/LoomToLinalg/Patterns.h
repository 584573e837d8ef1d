//===- Patterns.h - loom → linalg conversion patterns -----------*- C++ -*-===//

#ifndef LOOM_COMPILER_CONVERSION_LOOMTOLINALG_PATTERNS_H
#define LOOM_COMPILER_CONVERSION_LOOMTOLINALG_PATTERNS_H

#include "dialects/Loom/IR/LoomOps.h"

namespace mlir {
class RewritePatternSet;
class TypeConverter;
} // namespace mlir

namespace loom {

/// Embeddings, linear layers, MLPs and norms.
void populateLayerLoweringPatterns(mlir::TypeConverter &converter,
                                   mlir::RewritePatternSet &patterns);
/// Activations, scale and glu.
void populateElementwiseLoweringPatterns(mlir::TypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);
/// Broadcasting binary ops, math functions and reductions.
void populateMathLoweringPatterns(mlir::TypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);
/// Weight reshaping ops and weight-shared loops.
void populateStructureLoweringPatterns(mlir::TypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);
/// Cumulative sums, causal linear attention (running states) and
/// positions.
void populateSequenceLoweringPatterns(mlir::TypeConverter &converter,
                                      mlir::RewritePatternSet &patterns);
/// Mixtures of experts that read only the chosen experts' weights.
void populateMoELoweringPatterns(mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
/// Whether the MoE lowering can find `op`'s experts' weight rows: static
/// expert sizes and width.
bool hasStaticExperts(MoEOp op);
/// RoPE and attention over the KV cache, as generated loops.
void populateAttentionLoweringPatterns(mlir::TypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);

} // namespace loom

#endif // LOOM_COMPILER_CONVERSION_LOOMTOLINALG_PATTERNS_H
