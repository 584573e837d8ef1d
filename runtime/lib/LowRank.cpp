//===- LowRank.cpp - Factors of weights by truncated SVD ------------------===//

#include "loom/LowRank.h"

#include "loom/Kernels.h"

#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

using namespace loom;

/// The column scales of an activation-aware decomposition: the square
/// roots of `importance`, floored at 1e-5 of the largest; all ones without
/// it or when no entry is positive.
static std::vector<double> columnScales(const float *importance, int64_t stride,
                                        int64_t k) {
  std::vector<double> scales(size_t(k), 1.0);
  if (!importance)
    return scales;
  double largest = 0;
  for (int64_t j = 0; j < k; ++j) {
    double x = importance[j * stride];
    if (std::isfinite(x))
      largest = std::max(largest, x);
  }
  if (!(largest > 0))
    return scales;
  for (int64_t j = 0; j < k; ++j) {
    double x = importance[j * stride];
    scales[size_t(j)] =
        std::sqrt(std::max(std::isfinite(x) ? x : 0.0, 1e-10 * largest));
  }
  return scales;
}

std::vector<double> loom::singularValues(const MatrixView &w,
                                         const float *importance,
                                         int64_t stride) {
  const int64_t n = w.rows, k = w.cols;
  std::vector<double> scales = columnScales(importance, stride, k);
  std::vector<double> m(size_t(n * k));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double x = w.at(i, j);
      if (!std::isfinite(x))
        return {};
      m[size_t(i + j * n)] = x * scales[size_t(j)];
    }
  std::vector<double> s(size_t(std::min(n, k)));
  lapack_int info =
      LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', lapack_int(n), lapack_int(k),
                     m.data(), lapack_int(n), s.data(), nullptr, 1, nullptr, 1);
  if (info != 0)
    badKernelCall(LOOM_KERNEL_LOW_RANK,
                  "the singular value decomposition did not converge");
  return s;
}

int64_t loom::rankForEnergy(const std::vector<double> &values, double energy) {
  double total = 0;
  for (double value : values)
    total += value * value;
  double kept = 0;
  for (size_t r = 0; r < values.size(); ++r) {
    kept += values[r] * values[r];
    if (kept >= energy * total)
      return int64_t(r + 1);
  }
  return int64_t(values.size());
}

LowRankFactors loom::factorLowRank(const MatrixView &w, int64_t rank,
                                   const float *importance, int64_t stride) {
  const int64_t n = w.rows, k = w.cols, shorter = std::min(n, k);
  LowRankFactors factors;
  factors.a.assign(size_t(rank * k), 0.0f);
  factors.b.assign(size_t(n * rank), 0.0f);
  std::vector<double> scales = columnScales(importance, stride, k);
  // Column-major, as LAPACK reads it.
  std::vector<double> m(size_t(n * k));
  bool finite = true;
  auto fill = [&] {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j) {
        double x = w.at(i, j);
        finite &= std::isfinite(x);
        m[size_t(i + j * n)] = x * scales[size_t(j)];
      }
  };
  fill();
  if (!finite) {
    std::fill(factors.a.begin(), factors.a.end(),
              std::numeric_limits<float>::quiet_NaN());
    std::fill(factors.b.begin(), factors.b.end(),
              std::numeric_limits<float>::quiet_NaN());
    return factors;
  }
  std::vector<double> s(static_cast<size_t>(shorter)),
      u(static_cast<size_t>(n * shorter)), vt(static_cast<size_t>(shorter * k));
  lapack_int info =
      LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', lapack_int(n), lapack_int(k),
                     m.data(), lapack_int(n), s.data(), u.data(), lapack_int(n),
                     vt.data(), lapack_int(shorter));
  if (info > 0) {
    // Divide and conquer did not converge: the QR iteration, on a fresh
    // copy (dgesdd overwrote it).
    fill();
    std::vector<double> superb(size_t(std::max<int64_t>(shorter - 1, 1)));
    info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', lapack_int(n),
                          lapack_int(k), m.data(), lapack_int(n), s.data(),
                          u.data(), lapack_int(n), vt.data(),
                          lapack_int(shorter), superb.data());
  }
  if (info != 0)
    badKernelCall(LOOM_KERNEL_LOW_RANK,
                  "the singular value decomposition did not converge");
  for (int64_t r = 0; r < rank; ++r) {
    // The row of V^T, signed so that its largest entry is positive.
    int64_t largest = 0;
    for (int64_t j = 1; j < k; ++j)
      if (std::abs(vt[size_t(r + j * shorter)]) >
          std::abs(vt[size_t(r + largest * shorter)]))
        largest = j;
    double sign = vt[size_t(r + largest * shorter)] < 0 ? -1.0 : 1.0;
    for (int64_t j = 0; j < k; ++j)
      factors.a[size_t(r * k + j)] =
          float(sign * vt[size_t(r + j * shorter)] / scales[size_t(j)]);
    for (int64_t i = 0; i < n; ++i)
      factors.b[size_t(i * rank + r)] =
          float(sign * u[size_t(i + r * n)] * s[size_t(r)]);
  }
  return factors;
}

uint64_t loom::hashMatrix(const MatrixView &w) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (int64_t i = 0; i < w.rows; ++i)
    for (int64_t j = 0; j < w.cols; ++j) {
      float x = w.at(i, j);
      unsigned char bytes[sizeof(float)];
      std::memcpy(bytes, &x, sizeof(float));
      for (unsigned char byte : bytes)
        hash = (hash ^ byte) * 0x100000001b3ull;
    }
  return hash;
}

extern "C" void _mlir_ciface_loom_low_rank(loom_context *context,
                                           MemRef<float, 2> *w,
                                           MemRef<float, 1> *importance,
                                           MemRef<float, 2> *out, int64_t part,
                                           int64_t rank) {
  const int64_t n = w->sizes[0], k = w->sizes[1];
  bool hasImportance = importance->sizes[0] != 0;
  if ((part != 0 && part != 1) || rank < 1 || rank > std::min(n, k) ||
      (hasImportance && importance->sizes[0] != k) ||
      out->sizes[0] != (part == 0 ? rank : n) ||
      out->sizes[1] != (part == 0 ? k : rank))
    badKernelCall(LOOM_KERNEL_LOW_RANK, "operands of mismatched shapes");
  MatrixView view{w->aligned + w->offset, n, k, w->strides[0], w->strides[1]};
  const float *scores =
      hasImportance ? importance->aligned + importance->offset : nullptr;
  int64_t stride = importance->strides[0];
  LowRankCache &cache = *context->kernels->lowRank;
  LowRankCache::Key key{
      n, k, hashMatrix(view),
      scores ? hashMatrix(MatrixView{scores, 1, k, 0, stride}) : 0, rank};
  std::unique_lock<std::mutex> lock(cache.mutex);
  auto found = cache.entries.find(key);
  if (found == cache.entries.end()) {
    lock.unlock();
    LowRankFactors factors = factorLowRank(view, rank, scores, stride);
    lock.lock();
    found = cache.entries.try_emplace(key).first;
    found->second.factors = std::move(factors);
  }
  LowRankCache::Entry &entry = found->second;
  const std::vector<float> &factor =
      part == 0 ? entry.factors.a : entry.factors.b;
  int64_t cols = out->sizes[1];
  float *to = out->aligned + out->offset;
  for (int64_t i = 0; i < out->sizes[0]; ++i)
    for (int64_t j = 0; j < cols; ++j)
      to[i * out->strides[0] + j * out->strides[1]] =
          factor[size_t(i * cols + j)];
  entry.taken[part] = true;
  // Both parts taken: nothing will ask for this decomposition again.
  if (entry.taken[0] && entry.taken[1])
    cache.entries.erase(found);
}
