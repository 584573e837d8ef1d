//===- LowRank.h - Factors of weights by truncated SVD ----------*- C++ -*-===//
//
// The computation behind `loom.low_rank`, which the compiled program runs
// once at load (or `loomc --emit=weights` ahead of time): the factors of a
// weight's best approximation of a given rank. The singular value
// decomposition is LAPACK's (`dgesdd`), in double precision.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_LOWRANK_H
#define LOOM_LOWRANK_H

#include "loom/Model.h"
#include "loom/Prune.h"
#include "loom/loom_abi.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

namespace loom {

/// The factors of `w ~= b a` at rank r: `a` [r, K] (row-major, orthonormal
/// rows) and `b` [N, r] (row-major).
struct LowRankFactors {
  std::vector<float> a, b;
};

/// The factors of `w`'s best rank-`rank` approximation: with `w = U S V^T`,
/// `a = V_r^T` and `b = U_r S_r`, each singular pair's sign chosen so that
/// the largest entry of its row of `a` is positive (the result does not
/// depend on LAPACK's choice). With `importance` ([K], entries `stride`
/// apart: the mean square of each input channel), activation-aware (ASVD):
/// the factors of `w diag(s)`, `s = sqrt(importance)` floored at 1e-5 of
/// its largest entry, with `a` then scaled by `diag(s)^-1`; an importance
/// of no positive entry is ignored. A weight with a NaN or an infinity
/// gives NaN factors. `rank` must be in [1, min(N, K)].
LowRankFactors factorLowRank(const MatrixView &w, int64_t rank,
                             const float *importance = nullptr,
                             int64_t stride = 1);

/// The singular values of `w` (of `w diag(s)` with `importance`, as
/// `factorLowRank` weighs it), largest first; empty if `w` has a NaN or an
/// infinity.
std::vector<double> singularValues(const MatrixView &w,
                                   const float *importance = nullptr,
                                   int64_t stride = 1);

/// The smallest rank whose largest singular values of `values` (largest
/// first) keep at least `energy` (in (0, 1]) of their squares' sum: what
/// a truncation keeps of the weight's squared Frobenius norm.
int64_t rankForEnergy(const std::vector<double> &values, double energy);

/// A 64-bit hash (FNV-1a) of `w`'s values in row-major order.
uint64_t hashMatrix(const MatrixView &w);

/// The factorizations whose two parts have not both been taken yet, so that
/// one decomposition serves a weight's `a` and `b` (`loom_low_rank` is
/// called once per part).
struct LowRankCache {
  /// A weight's shape, hashes of its values and of its importance (0 for
  /// none), and the rank. By content, not by address: a weight computed at
  /// load (a difference of weights) is a temporary buffer whose address a
  /// later one may reuse.
  using Key = std::tuple<int64_t, int64_t, uint64_t, uint64_t, int64_t>;
  struct Entry {
    LowRankFactors factors;
    bool taken[2] = {false, false};
  };
  std::mutex mutex;
  std::map<Key, Entry> entries;
};

} // namespace loom

extern "C" {
/// `loom_low_rank` (LOOM_KERNEL_LOW_RANK).
void _mlir_ciface_loom_low_rank(loom_context *context,
                                loom::MemRef<float, 2> *w,
                                loom::MemRef<float, 1> *importance,
                                loom::MemRef<float, 2> *out, int64_t part,
                                int64_t rank);
}

#endif // LOOM_LOWRANK_H
