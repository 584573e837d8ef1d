//===- EarlyExit.h - Adaptive depth: tokens leaving a loop early -*- C++
//-*-===//
//
// The state of an adaptive `loom.loop` while it runs (one per model
// instance), the rules that decide when a token leaves it, and the counts
// the program reports (average iterations per token). The generated code
// brackets each run of the loop with `loom_exit_begin` / `loom_exit_end`,
// calls `loom_exit_step` after each iteration, and caches key and value
// rows through `loom_write_kv`, which gives the iterations a token skips
// the rows of its last one.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_EARLYEXIT_H
#define LOOM_EARLYEXIT_H

#include <cstdint>
#include <optional>
#include <vector>

namespace loom {

/// Per-token exit decisions of one adaptive loop run.
struct ExitState {
  /// True between `loom_exit_begin` and `loom_exit_end`.
  bool running = false;
  /// LOOM_EXIT_GATE or LOOM_EXIT_CONVERGE.
  int64_t rule = 0;
  /// The threshold in force (the compiled one unless overridden).
  double threshold = 1.0;
  int64_t tripCount = 0;
  /// Floats per cached position that one iteration's attention slots take:
  /// the same slot one iteration later is `maxSeq * iterationWidth` floats
  /// further.
  int64_t iterationWidth = 0;
  /// The iteration the loop body runs now (0-based).
  int64_t iteration = 0;
  /// Per row: whether the token has left, the exit gate's cumulative exit
  /// probability and survival, and the iterations it ran.
  std::vector<uint8_t> done;
  std::vector<double> cdf, survival;
  std::vector<int32_t> depth;

  /// Run-time settings (the program's `--exit-threshold`, `--full-depth`).
  std::optional<double> thresholdOverride;
  bool fullDepth = false;

  /// Since the instance was made: tokens that went through an adaptive
  /// loop, the iterations they ran, and the iterations they could have run.
  int64_t tokens = 0;
  int64_t iterations = 0;
  int64_t maxIterations = 0;

  /// The threshold generated code applies: the override, 0 under
  /// `fullDepth` (no token leaves before the last iteration), else the
  /// model's `threshold`.
  double effectiveThreshold(double threshold);
  /// Counts a run of generated code: `depths` (the iterations each of
  /// `rows` tokens ran) of at most `tripCount`.
  void record(const int32_t *depths, int64_t stride, int64_t rows,
              int64_t tripCount);

  /// Starts a run over `rows` tokens.
  void begin(int64_t rows, int64_t rule, double threshold, int64_t tripCount,
             int64_t iterationWidth);
  /// Decides, after iteration `iteration` (0-based), which of the still
  /// running tokens leave, from their new rows `next` and their rows before
  /// it `previous` (`[rows, width]`, row strides `ldNext` and `ldPrevious`)
  /// and the gate's logits (`logits[r * ldLogits]`; null for `converge`).
  /// Returns the number of tokens still running.
  int64_t step(int64_t iteration, const float *previous, int64_t ldPrevious,
               const float *next, int64_t ldNext, int64_t width,
               const float *logits, int64_t ldLogits);
  /// Ends the run and counts its iterations.
  void end();
};

/// The Ouro exit rule for one token: with exit probabilities `lambda_t =
/// sigmoid(logit_t)` applied in turn, whether it leaves after iteration
/// `iteration` (0-based) of `tripCount` (with a threshold of 1, only after
/// the last); updates its cumulative probability `cdf` and survival.
bool gateExits(double logit, int64_t iteration, int64_t tripCount,
               double threshold, double &cdf, double &survival);

/// The convergence rule: whether `next` differs from `previous` by less
/// than `threshold` relative to `previous` (L2 norms of `width` floats).
bool hasConverged(const float *previous, const float *next, int64_t width,
                  double threshold);

} // namespace loom

#endif // LOOM_EARLYEXIT_H
