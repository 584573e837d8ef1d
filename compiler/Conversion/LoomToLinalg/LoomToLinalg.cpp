//===- LoomToLinalg.cpp - The loom → linalg conversion pass ---------------===//

#include "compiler/Conversion/LoomToLinalg/Patterns.h"
#include "compiler/Conversion/Passes.h"
#include "dialects/Loom/IR/LoomDialect.h"
#include "dialects/Loom/IR/LoomOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace loom {
#define GEN_PASS_DEF_CONVERTLOOMTOLINALG
#include "compiler/Conversion/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// Lets the sums, products and maxima of reductions be reassociated and
/// fused (as every BLAS does), so that they vectorize. This changes rounding
/// at the level of float32 noise, well inside the 1e-4 the end-to-end tests
/// hold the results to.
void allowReassociation(ModuleOp module) {
  auto flags = arith::FastMathFlagsAttr::get(
      module.getContext(),
      arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  module.walk([&](linalg::GenericOp generic) {
    if (generic.getNumReductionLoops() == 0)
      return;
    generic.getRegion().walk([&](Operation *op) {
      if (isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp>(op))
        op->setAttr("fastmath", flags);
    });
  });
}

struct ConvertLoomToLinalgPass
    : loom::impl::ConvertLoomToLinalgBase<ConvertLoomToLinalgPass> {
  using ConvertLoomToLinalgBase::ConvertLoomToLinalgBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    // Types do not change: tensors stay tensors.
    TypeConverter converter;
    converter.addConversion([](Type type) { return type; });

    ConversionTarget target(*ctx);
    target.addLegalDialect<
        arith::ArithDialect, bufferization::BufferizationDialect,
        linalg::LinalgDialect, math::MathDialect, memref::MemRefDialect,
        scf::SCFDialect, tensor::TensorDialect, func::FuncDialect,
        LLVM::LLVMDialect>();
    target.addLegalOp<ModuleOp, UnrealizedConversionCastOp>();
    target.addIllegalDialect<LoomDialect>();
    // Parameters stay until every use is gone, then are erased below.
    // Attention needs the runtime's KV cache; left alone here, it is
    // reported below with advice.
    target.addLegalOp<ParamOp, WeightOp, YieldOp, AttentionOp>();
    // Quantized weights are read by the target's kernels only, neurons
    // selected and factors computed by them; left alone here, they are
    // reported below.
    target.addLegalOp<QuantizeOp, PruneNeuronsOp, PruneHeadsOp, LowRankOp,
                      SmoothScalesOp>();
    target.addDynamicallyLegalOp<LinearOp>(
        [](LinearOp op) { return op.getFormat().has_value(); });
    target.addDynamicallyLegalOp<EmbeddingOp>(
        [](EmbeddingOp op) { return op.getFormat().has_value(); });
    // So are loops that tokens may leave early (the runtime decides).
    target.addDynamicallyLegalOp<LoopOp>(
        [](LoopOp op) { return op.isAdaptive(); });

    // What the generated loops cannot lower, said before converting.
    WalkResult unsupported = module.walk([](MoEOp op) {
      if (hasStaticExperts(op))
        return WalkResult::advance();
      op.emitError("a mixture of experts in generated loops needs static "
                   "expert sizes and width");
      return WalkResult::interrupt();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();

    RewritePatternSet patterns(ctx);
    populateLayerLoweringPatterns(converter, patterns);
    populateElementwiseLoweringPatterns(converter, patterns);
    populateMathLoweringPatterns(converter, patterns);
    populateStructureLoweringPatterns(converter, patterns);
    populateMoELoweringPatterns(converter, patterns);
    populateAttentionLoweringPatterns(converter, patterns);
    populateSequenceLoweringPatterns(converter, patterns);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    // Anything of the loom dialect left now cannot run on this target.
    WalkResult leftover = module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<ParamOp>(op) ||
          op->getDialect() != ctx->getLoadedDialect<LoomDialect>())
        return WalkResult::advance();
      if (op->getParentOfType<ParamOp>())
        return WalkResult::advance();
      auto linear = dyn_cast<LinearOp>(op);
      auto embedding = dyn_cast<EmbeddingOp>(op);
      if ((linear && linear.getFormat()) ||
          (embedding && embedding.getFormat()) || isa<QuantizeOp>(op)) {
        op->emitError("quantized weights are read and written by the "
                      "target's kernels: compile with the runtime's kernels "
                      "(loomc --kernels=runtime)");
        return WalkResult::interrupt();
      }
      if (isa<PruneNeuronsOp, PruneHeadsOp>(op)) {
        op->emitError("what a pruned weight keeps is selected by the target's "
                      "kernels: compile with the runtime's kernels "
                      "(loomc --kernels=runtime)");
        return WalkResult::interrupt();
      }
      if (auto loop = dyn_cast<LoopOp>(op); loop && loop.isAdaptive()) {
        op->emitError("a loop that tokens may leave early ('exit') needs the "
                      "runtime's kernels: compile with them (loomc "
                      "--kernels=runtime)");
        return WalkResult::interrupt();
      }
      if (isa<LowRankOp>(op)) {
        op->emitError("a weight's factors are computed by the target's "
                      "kernels: compile with the runtime's kernels "
                      "(loomc --kernels=runtime)");
        return WalkResult::interrupt();
      }
      if (isa<SmoothScalesOp>(op)) {
        op->emitError("smoothing scales are computed by the target's "
                      "kernels: compile with the runtime's kernels "
                      "(loomc --kernels=runtime)");
        return WalkResult::interrupt();
      }
      op->emitError("cannot be lowered: bind the model to the runtime first "
                    "(--loom-bind-runtime)");
      return WalkResult::interrupt();
    });
    if (leftover.wasInterrupted())
      return signalPassFailure();
    for (ParamOp param : llvm::make_early_inc_range(module.getOps<ParamOp>()))
      param.erase();
    allowReassociation(module);
  }
};

} // namespace
