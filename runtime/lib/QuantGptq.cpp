//===- QuantGptq.cpp - Quantization with error feedback -------------------===//
//
// GPTQ (Frantar et al., 2022): the weights of a row are rounded one input
// channel at a time, and each rounding error is compensated on the channels
// not yet rounded, in proportion to how the calibration inputs correlate
// them. With H the inputs' covariance (sum of x x^T), U the upper Cholesky
// factor of H^-1 (H^-1 = U^T U), rounding weight p with error e takes
// e / U[p][p] * U[p][t] off every later weight t: the output error on the
// calibration inputs is then the least the remaining weights can make it.
// It costs k work a weight (k^2 a row), and k^3 for the factorizations;
// GPTQ's lazy batched updates, which matter for rows of thousands, are not
// done here.
// Rows are independent given U, so they run on the pool's threads. The
// factorizations are LAPACK's (dpotrf, dpotri).
//
//===----------------------------------------------------------------------===//

#include "loom/Quant.h"

#include "QuantInternal.h"

#include <fmt/format.h>
#include <lapacke.h>

#include <cmath>
#include <vector>

using namespace loom;

bool loom::quantHasFeedback(QuantFormat format) {
  return format == QuantFormat::Q8_0 || format == QuantFormat::Q4_0 ||
         format == QuantFormat::Q4_1;
}

namespace {

/// The upper Cholesky factor of the inverse of `h` ([k, k], symmetric,
/// row-major), damped by `damp` times its mean diagonal; row-major in `u`.
/// False if the damped matrix is not positive definite.
bool inverseCholesky(std::vector<double> h, int64_t k, double damp,
                     std::vector<double> &u) {
  double mean = 0;
  for (int64_t p = 0; p < k; ++p)
    mean += h[size_t(p * k + p)];
  mean /= double(k);
  for (int64_t p = 0; p < k; ++p) {
    double &diagonal = h[size_t(p * k + p)];
    // A channel the calibration never saw: nothing to compensate against.
    if (diagonal <= 0)
      diagonal = mean > 0 ? mean : 1.0;
    diagonal += damp * mean;
  }
  // Row-major symmetric is column-major symmetric: factor the lower half,
  // invert, then factor the inverse's upper half.
  auto n = lapack_int(k);
  if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, h.data(), n) != 0 ||
      LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', n, h.data(), n) != 0)
    return false;
  for (int64_t col = 0; col < k; ++col)
    for (int64_t row = col + 1; row < k; ++row)
      h[size_t(row * k + col)] = h[size_t(col * k + row)];
  if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', n, h.data(), n) != 0)
    return false;
  for (int64_t p = 0; p < k; ++p)
    if (!(h[size_t(p + p * k)] > 0) || !std::isfinite(h[size_t(p + p * k)]))
      return false;
  // Column-major upper U(p, t) is h[p + t * k]; row-major u[p * k + t].
  u.assign(size_t(k * k), 0.0);
  for (int64_t p = 0; p < k; ++p)
    for (int64_t t = p; t < k; ++t)
      u[size_t(p * k + t)] = h[size_t(p + t * k)];
  return true;
}

} // namespace

Status loom::quantizeWithFeedback(ThreadPool &pool, QuantFormat format,
                                  const float *w, int64_t ldw, int64_t n,
                                  int64_t k, const float *covariance,
                                  int64_t ldh, const float *importance,
                                  uint8_t *out, int64_t ldo) {
  if (!quantHasFeedback(format))
    return makeError(fmt::format("{} has no quantization with error feedback "
                                 "(Q8_0, Q4_0 and Q4_1 have)",
                                 quantFormatName(format)));
  std::vector<double> h(size_t(k * k));
  for (int64_t p = 0; p < k; ++p)
    for (int64_t t = 0; t < k; ++t) {
      double value = covariance[p * ldh + t];
      // LAPACK would not be sure to notice (its NaN checks can be off).
      if (!std::isfinite(value))
        return makeError("the input covariance holds a value that is not "
                         "finite");
      h[size_t(p * k + t)] = value;
    }
  // GPTQ's damping, raised until the matrix factors.
  std::vector<double> u;
  double damp = 0.01;
  while (!inverseCholesky(h, k, damp, u)) {
    damp *= 10;
    if (damp > 100)
      return makeError("the input covariance is not positive definite, even "
                       "damped (is it a calibration run's?)");
  }
  pool.parallelFor(0, n, 4, [&](int64_t first, int64_t last) {
    std::vector<double> row(static_cast<size_t>(k));
    for (int64_t r = first; r < last; ++r) {
      for (int64_t p = 0; p < k; ++p)
        row[size_t(p)] = w[r * ldw + p];
      detail::quantizeRowWithFeedback(format, row.data(), k, u.data(),
                                      importance, out + r * ldo);
    }
  });
  return Status::success();
}
