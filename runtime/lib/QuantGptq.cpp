//===- QuantGptq.cpp - Quantization with error feedback -------------------===//
//
// GPTQ (Frantar et al., 2022): the weights of a row are rounded one input
// channel at a time, and each rounding error is compensated on the channels
// not yet rounded, in proportion to how the calibration inputs correlate
// them. With H the inputs' covariance (sum of x x^T), U the upper Cholesky
// factor of H^-1 (H^-1 = U^T U), rounding weight p with error e takes
// e / U[p][p] * U[p][t] off every later weight t: the output error on the
// calibration inputs is then the least the remaining weights can make it.
// It costs k work a weight (k^2 a row), and k^3 for the factorizations.
// Rows are independent given U, so they run on the pool's threads; the
// errors reach the later columns a span at a time, as one matrix product
// (GPTQ's lazy batched updates). The factorizations and the products are
// LAPACK's and BLAS's (OpenBLAS: dpotrf, dpotri, dgemm).
//
//===----------------------------------------------------------------------===//

#include "loom/Quant.h"

#include "QuantInternal.h"

#include <cblas.h>
#include <fmt/format.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace loom;

bool loom::quantHasFeedback(QuantFormat format) {
  return format != QuantFormat::Q6_K;
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

Status loom::detail::gptqInverseFactor(const float *covariance, int64_t ldh,
                                       int64_t k, std::vector<double> &u) {
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
  double damp = 0.01;
  while (!inverseCholesky(h, k, damp, u)) {
    damp *= 10;
    if (damp > 100)
      return makeError("the input covariance is not positive definite, even "
                       "damped (is it a calibration run's?)");
  }
  return Status::success();
}

Status loom::quantizeWithFeedback(ThreadPool &pool, QuantFormat format,
                                  const float *w, int64_t ldw, int64_t n,
                                  int64_t k, const float *covariance,
                                  int64_t ldh, const float *importance,
                                  uint8_t *out, int64_t ldo) {
  if (!quantHasFeedback(format))
    return makeError(fmt::format("{} has no quantization with error feedback "
                                 "(Q8_0, Q4_0, Q4_1, Q4_K and INT8 have)",
                                 quantFormatName(format)));
  int64_t block = quantBlockWeights(format);
  if (k % block != 0)
    return makeError(fmt::format("rows of {} weights are not whole blocks of "
                                 "{}",
                                 k, block));
  std::vector<double> u;
  if (Status factored = detail::gptqInverseFactor(covariance, ldh, k, u);
      !factored)
    return factored;
  // GPTQ's lazy batched updates: the weights are rounded a span of columns
  // at a time, each row on the pool's threads, with the errors passed on
  // inside the span only; the span's errors are then taken off all the
  // later columns at once, a matrix product (BLAS's dgemm) in place of
  // rank-one updates that would read all of U (k^2 doubles, more than a
  // cache holds for wide products) once a row. Rows go a group at a time,
  // which bounds the copy in doubles (a vocabulary-wide head has many).
  // Spans hold whole blocks: 128 columns, or one Q4_K super-block.
  constexpr int64_t kGroup = 2048;
  int64_t span = std::max<int64_t>(128, block);
  int64_t group = std::min(n, kGroup);
  std::vector<double> x(size_t(group * k)), errors(size_t(group * span));
  for (int64_t first = 0; first < n; first += group) {
    int64_t rows = std::min(group, n - first);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t p = 0; p < k; ++p)
        x[size_t(r * k + p)] = w[(first + r) * ldw + p];
    // INT8's one scale a row is chosen before any weight is rounded, from
    // the row as it is (as without feedback), and kept in its header.
    if (format == QuantFormat::Int8)
      pool.parallelFor(0, rows, 16, [&](int64_t low, int64_t high) {
        for (int64_t r = low; r < high; ++r)
          detail::quantizeRowInt8(w + (first + r) * ldw, k, importance,
                                  out + (first + r) * ldo);
      });
    for (int64_t begin = 0; begin < k; begin += span) {
      int64_t end = std::min(k, begin + span);
      pool.parallelFor(0, rows, 16, [&](int64_t low, int64_t high) {
        for (int64_t r = low; r < high; ++r)
          detail::quantizeSpanWithFeedback(
              format, x.data() + r * k, k, begin, end, u.data(), importance,
              errors.data() + r * span, out + (first + r) * ldo);
      });
      if (end < k)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows),
                    int(k - end), int(end - begin), -1.0, errors.data(),
                    int(span), u.data() + begin * k + end, int(k), 1.0,
                    x.data() + end, int(k));
    }
  }
  return Status::success();
}
