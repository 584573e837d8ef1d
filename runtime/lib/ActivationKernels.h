//===- ActivationKernels.h - Vector forms of the epilogue activations -----===//
//
// Declared apart from loom/Activation.h so that the files defining them,
// compiled for AVX2 and AVX-512, include no C++ library header: an inline
// library function instantiated there would be compiled for that
// instruction set, and the linker could keep that copy for every caller.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_RUNTIME_ACTIVATIONKERNELS_H
#define LOOM_RUNTIME_ACTIVATIONKERNELS_H

#include <stdint.h>

namespace loom::detail {

/// Applies activation `kind` (LOOM_ACTIVATION_*, not NONE) to `count`
/// consecutive floats in place, with AVX2 and FMA.
void activateAvx2(int64_t kind, float *values, int64_t count);

/// The same with AVX-512.
void activateAvx512(int64_t kind, float *values, int64_t count);

} // namespace loom::detail

#endif // LOOM_RUNTIME_ACTIVATIONKERNELS_H
