//===- Activation.cpp - Activations in the products' epilogue -------------===//

#include "loom/Activation.h"

#include "ActivationKernels.h"

#include <atomic>
#include <cmath>

using namespace loom;

std::optional<Activation> loom::activationFromId(int64_t id) {
  switch (id) {
  case LOOM_ACTIVATION_NONE:
  case LOOM_ACTIVATION_RELU:
  case LOOM_ACTIVATION_GELU:
  case LOOM_ACTIVATION_GELU_TANH:
  case LOOM_ACTIVATION_SILU:
    return Activation(id);
  default:
    return std::nullopt;
  }
}

double loom::activate(Activation kind, double x) {
  switch (kind) {
  case Activation::None:
    return x;
  case Activation::Relu:
    return x > 0.0 ? x : 0.0;
  case Activation::Gelu:
    return 0.5 * x * std::erfc(-x * M_SQRT1_2);
  case Activation::GeluTanh: {
    // 0.5 x (1 + tanh(u)) = x / (1 + exp(-2u)), without 1 + tanh's
    // cancellation for x < 0.
    double u = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
    return x / (1.0 + std::exp(-2.0 * u));
  }
  case Activation::Silu:
    return x / (1.0 + std::exp(-x));
  }
  return x;
}

/// `kind` of `x` in single precision, as the vector forms compute it.
static float activatePortable(Activation kind, float x) {
  switch (kind) {
  case Activation::None:
    return x;
  case Activation::Relu:
    return std::fmax(x, 0.0f);
  case Activation::Gelu:
    return 0.5f * x * std::erfc(-x * 0.70710678118654752f);
  case Activation::GeluTanh: {
    float inner = x + 0.044715f * x * x * x;
    return x / (1.0f + std::exp(-1.5957691216057308f * inner));
  }
  case Activation::Silu:
    return x / (1.0f + std::exp(-x));
  }
  return x;
}

bool loom::cpuHasActivationKernel(ActivationKernel kernel) {
  switch (kernel) {
  case ActivationKernel::Portable:
    return true;
#if defined(__x86_64__)
  case ActivationKernel::Avx2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case ActivationKernel::Avx512:
    return __builtin_cpu_supports("avx512f");
#else
  case ActivationKernel::Avx2:
  case ActivationKernel::Avx512:
    return false;
#endif
  }
  return false;
}

/// The kernel `applyActivation` uses.
static std::atomic<ActivationKernel> &selectedKernel() {
  static std::atomic<ActivationKernel> kernel = [] {
    for (ActivationKernel candidate :
         {ActivationKernel::Avx512, ActivationKernel::Avx2})
      if (cpuHasActivationKernel(candidate))
        return candidate;
    return ActivationKernel::Portable;
  }();
  return kernel;
}

bool loom::setActivationKernel(ActivationKernel kernel) {
  if (!cpuHasActivationKernel(kernel))
    return false;
  selectedKernel().store(kernel);
  return true;
}

void loom::applyActivation(Activation kind, float *c, int64_t rows,
                           int64_t cols, int64_t ldc) {
  if (kind == Activation::None || rows <= 0 || cols <= 0)
    return;
  ActivationKernel kernel = selectedKernel().load(std::memory_order_relaxed);
  for (int64_t i = 0; i < rows; ++i) {
    float *row = c + i * ldc;
    switch (kernel) {
#if defined(__x86_64__)
    case ActivationKernel::Avx512:
      detail::activateAvx512(int64_t(kind), row, cols);
      continue;
    case ActivationKernel::Avx2:
      detail::activateAvx2(int64_t(kind), row, cols);
      continue;
#endif
    default:
      for (int64_t j = 0; j < cols; ++j)
        row[j] = activatePortable(kind, row[j]);
    }
  }
}
