//===- Quality.cpp - Comparing a model's logits with a reference ----------===//

#include "loom/Quality.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

using namespace loom;

namespace {

/// log-softmax of `row` ([vocab]) in double precision.
std::vector<double> logSoftmax(const float *row, int64_t vocab) {
  double max = -INFINITY;
  for (int64_t v = 0; v < vocab; ++v)
    max = std::max(max, double(row[v]));
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v)
    sum += std::exp(double(row[v]) - max);
  double logSum = max + std::log(sum);
  std::vector<double> out(static_cast<size_t>(vocab));
  for (int64_t v = 0; v < vocab; ++v)
    out[size_t(v)] = double(row[v]) - logSum;
  return out;
}

int64_t argmax(const float *row, int64_t vocab) {
  return std::max_element(row, row + vocab) - row;
}

} // namespace

LogitComparison loom::compareLogits(const float *reference, const float *logits,
                                    int64_t rows, int64_t vocab,
                                    const std::vector<int64_t> &tokens) {
  LogitComparison result;
  result.positions = rows;
  if (rows == 0 || vocab == 0)
    return result;
  double nll = 0, referenceNll = 0, klSum = 0;
  int64_t same = 0, predicted = 0;
  for (int64_t t = 0; t < rows; ++t) {
    const float *p = reference + t * vocab, *q = logits + t * vocab;
    std::vector<double> logP = logSoftmax(p, vocab),
                        logQ = logSoftmax(q, vocab);
    double kl = 0;
    for (int64_t v = 0; v < vocab; ++v) {
      kl += std::exp(logP[size_t(v)]) * (logP[size_t(v)] - logQ[size_t(v)]);
      result.maxLogitDifference =
          std::max(result.maxLogitDifference, std::fabs(double(p[v] - q[v])));
    }
    // Rounding can make a KL divergence of equal rows slightly negative.
    kl = std::max(kl, 0.0);
    klSum += kl;
    result.maxKL = std::max(result.maxKL, kl);
    same += argmax(p, vocab) == argmax(q, vocab);
    if (t + 1 < rows && size_t(t + 1) < tokens.size()) {
      int64_t next = tokens[size_t(t + 1)];
      if (next >= 0 && next < vocab) {
        nll -= logQ[size_t(next)];
        referenceNll -= logP[size_t(next)];
        ++predicted;
      }
    }
  }
  result.meanKL = klSum / double(rows);
  result.sameTop1 = double(same) / double(rows);
  if (predicted) {
    result.perplexity = std::exp(nll / double(predicted));
    result.referencePerplexity = std::exp(referenceNll / double(predicted));
  }
  return result;
}

std::string loom::formatComparison(const LogitComparison &c,
                                   const std::string &referenceName) {
  std::string text = fmt::format("compared with {} over {} positions:\n",
                                 referenceName, c.positions);
  if (c.positions > 1)
    text += fmt::format("  perplexity        {:.4f} (reference {:.4f}, "
                        "{:+.3f}%)\n",
                        c.perplexity, c.referencePerplexity,
                        100.0 * (c.perplexity / c.referencePerplexity - 1.0));
  text += fmt::format("  KL divergence     mean {:.6f}, max {:.6f} nats\n",
                      c.meanKL, c.maxKL);
  text += fmt::format("  same top-1        {:.2f}%\n", 100.0 * c.sameTop1);
  text += fmt::format("  max |logit diff|  {:.4g}\n", c.maxLogitDifference);
  return text;
}
