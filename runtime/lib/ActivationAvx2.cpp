//===- ActivationAvx2.cpp - Epilogue activations with AVX2 ----------------===//
//
// Compiled with -mavx2 -mfma (runtime/CMakeLists.txt) and called only on
// CPUs that have both. Includes no C++ library header (ActivationKernels.h
// says why).
//
//===----------------------------------------------------------------------===//

#include "ActivationKernels.h"

#include "loom/loom_abi.h"

#include <immintrin.h>
#include <sleef.h>

namespace {

/// `kind` of 8 floats (the same forms as the AVX-512 file).
inline __m256 activate8(int64_t kind, __m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  switch (kind) {
  case LOOM_ACTIVATION_RELU:
    return _mm256_max_ps(x, _mm256_setzero_ps());
  case LOOM_ACTIVATION_GELU: {
    __m256 scaled = _mm256_mul_ps(x, _mm256_set1_ps(-0.70710678118654752f));
    __m256 half = _mm256_mul_ps(x, _mm256_set1_ps(0.5f));
    return _mm256_mul_ps(half, Sleef_erfcf8_u15avx2(scaled));
  }
  case LOOM_ACTIVATION_GELU_TANH: {
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 inner =
        _mm256_fmadd_ps(_mm256_mul_ps(x2, x), _mm256_set1_ps(0.044715f), x);
    __m256 exponent =
        _mm256_mul_ps(inner, _mm256_set1_ps(-1.5957691216057308f));
    return _mm256_div_ps(x, _mm256_add_ps(one, Sleef_expf8_u10avx2(exponent)));
  }
  case LOOM_ACTIVATION_SILU: {
    __m256 negated = _mm256_sub_ps(_mm256_setzero_ps(), x);
    return _mm256_div_ps(x, _mm256_add_ps(one, Sleef_expf8_u10avx2(negated)));
  }
  default:
    return x;
  }
}

} // namespace

void loom::detail::activateAvx2(int64_t kind, float *values, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(values + i, activate8(kind, _mm256_loadu_ps(values + i)));
  if (i == count)
    return;
  // Lanes below the remaining count: their sign bit set.
  __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count - i)), lanes);
  __m256 tail = _mm256_maskload_ps(values + i, mask);
  _mm256_maskstore_ps(values + i, mask, activate8(kind, tail));
}
