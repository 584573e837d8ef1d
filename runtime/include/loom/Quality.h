//===- Quality.h - Comparing a model's logits with a reference ---*- C++
//-*-===//
//
// How much a rewritten model (quantized, pruned, looped) departs from the
// model it came from, measured on the same tokens: the perplexity of both on
// the text, the mean KL divergence of its next-token distributions from the
// reference's, how often both rank the same token first, and the largest
// logit difference.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_QUALITY_H
#define LOOM_QUALITY_H

#include <cstdint>
#include <string>
#include <vector>

namespace loom {

/// The comparison of logits with reference logits on the same tokens.
struct LogitComparison {
  /// Rows (positions) compared.
  int64_t positions = 0;
  /// exp(mean negative log-likelihood of token t + 1 at position t), of
  /// these logits and of the reference's; 0 with fewer than 2 positions.
  double perplexity = 0, referencePerplexity = 0;
  /// KL(reference || these) of the softmax distributions: mean and largest
  /// over positions, in nats.
  double meanKL = 0, maxKL = 0;
  /// Fraction of positions whose largest logit is the same token.
  double sameTop1 = 0;
  /// max |logit - reference logit| over all positions and tokens.
  double maxLogitDifference = 0;
};

/// Compares `logits` with `reference`, both [rows, vocab] row-major, for the
/// prompt `tokens` (rows of them).
LogitComparison compareLogits(const float *reference, const float *logits,
                              int64_t rows, int64_t vocab,
                              const std::vector<int64_t> &tokens);

/// The comparison as a few lines of text.
std::string formatComparison(const LogitComparison &comparison,
                             const std::string &referenceName);

} // namespace loom

#endif // LOOM_QUALITY_H
