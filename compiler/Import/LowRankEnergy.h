//===- LowRankEnergy.h - Ranks that keep a fraction of the energy ---------===//
//
// `--low-rank-energy=E` factors each selected weight at the smallest rank
// whose singular values keep E of its squared Frobenius norm (PELA,
// DSFormer). Ranks decide the program's shapes, so `loomc` reads the
// weights at compile time and computes their singular values with the
// runtime's LAPACK code; `--loom-low-rank` then gets one rank per weight
// (`ranks=NAME=R`).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_IMPORT_LOWRANKENERGY_H
#define LOOM_COMPILER_IMPORT_LOWRANKENERGY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace loom {

/// A weight a product reads, by checkpoint name, and its shape.
struct FactoredWeight {
  std::string name;
  int64_t rows = 0, cols = 0;
};

/// The weights of `module`'s `loom.low_rank` factors (what
/// `--loom-low-rank` selected), once per layer that reads them; an error
/// naming the place of one that is computed rather than a checkpoint
/// tensor.
llvm::Expected<std::vector<FactoredWeight>>
findFactoredWeights(mlir::ModuleOp module);

/// What `energyRanks` reads and keeps.
struct LowRankEnergyOptions {
  /// The checkpoint (and, with `importance`, the statistics file).
  std::vector<std::string> checkpoints;
  /// Fraction of each weight's squared Frobenius norm to keep, in (0, 1].
  double energy = 1;
  /// The singular values of `w diag(s)` (ASVD), `s` from each weight's
  /// `NAME.importance`.
  bool importance = false;
};

/// One `NAME=R` rank per weight: the smallest rank keeping `energy`.
/// Errors name the checkpoint and tensor.
llvm::Expected<std::vector<std::string>>
energyRanks(const std::vector<FactoredWeight> &weights,
            const LowRankEnergyOptions &options);

} // namespace loom

#endif // LOOM_COMPILER_IMPORT_LOWRANKENERGY_H
