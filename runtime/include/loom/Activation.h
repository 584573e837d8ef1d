//===- Activation.h - Activations in the products' epilogue -----*- C++ -*-===//
//
// The products apply an activation to their result while it is still in
// cache (`loom.linear ... activation gelu`): a register tile as soon as its
// last step of depth is added, a decode step's chunk of outputs as soon as
// it is computed. The vector forms call SLEEF's vectorized `exp` and `erfc`
// (1 and 1.5 ULP); the portable form calls the C library's.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_ACTIVATION_H
#define LOOM_ACTIVATION_H

#include "loom/loom_abi.h"

#include <cstdint>
#include <optional>

namespace loom {

/// An activation of a product's epilogue (LOOM_ACTIVATION_* of loom_abi.h).
enum class Activation : int64_t {
  None = LOOM_ACTIVATION_NONE,
  Relu = LOOM_ACTIVATION_RELU,
  Gelu = LOOM_ACTIVATION_GELU,
  GeluTanh = LOOM_ACTIVATION_GELU_TANH,
  Silu = LOOM_ACTIVATION_SILU,
};

/// The activation with id `id` (LOOM_ACTIVATION_*); none if there is none.
std::optional<Activation> activationFromId(int64_t id);

/// `kind` of `x`, in double precision: the definition the vector forms are
/// tested against.
double activate(Activation kind, double x);

/// Applies `kind` in place to the `rows` x `cols` block at `c` (rows `ldc`
/// floats apart).
void applyActivation(Activation kind, float *c, int64_t rows, int64_t cols,
                     int64_t ldc);

/// The instruction sets `applyActivation` can use.
enum class ActivationKernel { Portable, Avx2, Avx512 };

/// True if this CPU runs `kernel`.
bool cpuHasActivationKernel(ActivationKernel kernel);

/// Makes `applyActivation` use `kernel` (default: the widest this CPU has);
/// false, and nothing changed, if the CPU lacks it. For tests.
bool setActivationKernel(ActivationKernel kernel);

} // namespace loom

#endif // LOOM_ACTIVATION_H
