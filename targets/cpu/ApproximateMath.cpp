//===- ApproximateMath.cpp - exp, tanh and erf as polynomials -------------===//
//
// LLVM lowers exp, tanh and erf to scalar libm calls, which stop the loop
// vectorizer in the middle of otherwise vectorized loops (SiLU and GELU in
// every MLP, softmax). MLIR's polynomial approximations keep them in vector
// registers, within a few float32 ULP of libm.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/CpuTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {
struct ApproximateMathPass
    : PassWrapper<ApproximateMathPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ApproximateMathPass)

  StringRef getArgument() const final { return "loom-approximate-math"; }
  StringRef getDescription() const final {
    return "Replace math.exp, math.tanh and math.erf by polynomial "
           "approximations";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, math::MathDialect,
                    vector::VectorDialect>();
  }
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

std::unique_ptr<Pass> loom::cpu::createApproximateMathPass() {
  return std::make_unique<ApproximateMathPass>();
}
