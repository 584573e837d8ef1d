//===- ApproximateMath.cpp - exp, tanh and erf as polynomials -------------===//
//
// LLVM lowers exp, tanh and erf to scalar libm calls, which stop the loop
// vectorizer in the middle of otherwise vectorized loops (SiLU and GELU in
// every MLP, softmax). MLIR's polynomial approximations keep them in vector
// registers, within a few float32 ULP of libm.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMAPPROXIMATEMATH
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;

namespace {
struct ApproximateMathPass
    : loom::cpu::impl::LoomApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return name == math::ExpOp::getOperationName() ||
             name == math::TanhOp::getOperationName() ||
             name == math::ErfOp::getOperationName();
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
