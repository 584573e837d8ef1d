//===- ActivationAvx512.cpp - Epilogue activations with AVX-512 -----------===//
//
// Compiled with -mavx512f (runtime/CMakeLists.txt) and called only on CPUs
// that have it. Includes no C++ library header (ActivationKernels.h says
// why).
//
//===----------------------------------------------------------------------===//

#include "ActivationKernels.h"

#include "loom/loom_abi.h"

#include <immintrin.h>
#include <sleef.h>

namespace {

/// `kind` of 16 floats.
inline __m512 activate16(int64_t kind, __m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  switch (kind) {
  case LOOM_ACTIVATION_RELU:
    return _mm512_max_ps(x, _mm512_setzero_ps());
  case LOOM_ACTIVATION_GELU: {
    // x * Phi(x) = x / 2 * erfc(-x / sqrt(2)): no cancellation for x < 0.
    __m512 scaled = _mm512_mul_ps(x, _mm512_set1_ps(-0.70710678118654752f));
    __m512 half = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
    return _mm512_mul_ps(half, Sleef_erfcf16_u15avx512f(scaled));
  }
  case LOOM_ACTIVATION_GELU_TANH: {
    // x / 2 * (1 + tanh(u)) = x / (1 + exp(-2u)),
    // u = sqrt(2 / pi) * (x + 0.044715 x^3).
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 inner =
        _mm512_fmadd_ps(_mm512_mul_ps(x2, x), _mm512_set1_ps(0.044715f), x);
    __m512 exponent =
        _mm512_mul_ps(inner, _mm512_set1_ps(-1.5957691216057308f));
    return _mm512_div_ps(x,
                         _mm512_add_ps(one, Sleef_expf16_u10avx512f(exponent)));
  }
  case LOOM_ACTIVATION_SILU: {
    __m512 negated = _mm512_sub_ps(_mm512_setzero_ps(), x);
    return _mm512_div_ps(x,
                         _mm512_add_ps(one, Sleef_expf16_u10avx512f(negated)));
  }
  default:
    return x;
  }
}

} // namespace

void loom::detail::activateAvx512(int64_t kind, float *values, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16)
    _mm512_storeu_ps(values + i, activate16(kind, _mm512_loadu_ps(values + i)));
  if (i == count)
    return;
  __mmask16 mask = __mmask16((1u << (count - i)) - 1);
  __m512 tail = _mm512_maskz_loadu_ps(mask, values + i);
  _mm512_mask_storeu_ps(values + i, mask, activate16(kind, tail));
}
