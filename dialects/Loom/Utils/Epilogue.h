//===- Epilogue.h - Activations lowered as a product's epilogue -*- C++ -*-===//
//
// `loom.linear ... activation A` lowers to its contraction followed by an
// elementwise `linalg.generic` that applies A in place to the contraction's
// result, marked with `loom.epilogue = #loom.activation<A>`. Generated as
// loops, the mark changes nothing; a target whose product kernels apply
// activations themselves (the CPU runtime's) folds a marked op into the
// kernel call of the product it follows.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECTS_LOOM_UTILS_EPILOGUE_H
#define LOOM_DIALECTS_LOOM_UTILS_EPILOGUE_H

#include "dialects/Loom/IR/LoomOps.h"

#include "runtime/include/loom/loom_abi.h"

namespace loom {

/// The discardable attribute that marks an epilogue (its value an
/// `ActivationKindAttr`).
inline constexpr llvm::StringLiteral kEpilogueAttr = "loom.epilogue";

/// The runtime's id of `kind` (LOOM_ACTIVATION_*).
inline int64_t getActivationKernelId(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::Relu:
    return LOOM_ACTIVATION_RELU;
  case ActivationKind::Gelu:
    return LOOM_ACTIVATION_GELU;
  case ActivationKind::GeluTanh:
    return LOOM_ACTIVATION_GELU_TANH;
  case ActivationKind::Silu:
    return LOOM_ACTIVATION_SILU;
  }
  llvm_unreachable("unknown activation");
}

} // namespace loom

#endif // LOOM_DIALECTS_LOOM_UTILS_EPILOGUE_H
