//===- SmoothActivations.cpp - Input ranges moved into the weights --------===//
//
// Implements --loom-smooth-activations. A norm whose result feeds only
// linear layers computes `n * gamma` (+ beta); with scales `s` from the
// calibrated importance of that input and the products' weights
// (`loom.smooth_scales`), the norm's scale becomes `gamma / s` (and
// `beta / s`) and each product's weight `w diag(s)`: the same model before
// rounding, whose quantized products then round an input with flatter
// channels. The scales and scaled weights are computations on weights,
// which `--loom-derive-weights` turns into derived weights computed at load.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace loom {
#define GEN_PASS_DEF_LOOMSMOOTHACTIVATIONS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

SmoothScalesOp loom::getSmoothing(Value w) {
  auto mul = w.getDefiningOp<MulOp>();
  if (!mul)
    return {};
  auto scales = mul.getRhs().getDefiningOp<SmoothScalesOp>();
  return scales && !scales.getInverse() ? scales : SmoothScalesOp();
}

/// Moves the computation of `value` (pure ops on weights) before `point`,
/// in the same block, so that what is built there may read it.
static void hoistBefore(Value value, Operation *point) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() ||
      def->isBeforeInBlock(point))
    return;
  for (Value operand : def->getOperands())
    hoistBefore(operand, point);
  def->moveBefore(point);
}

namespace {

/// A norm's scale (and shift), whichever kind it is.
struct NormParts {
  Operation *op;
  OpOperand *gamma, *beta;
};

std::optional<NormParts> normParts(Operation *op) {
  if (auto rms = dyn_cast<RMSNormOp>(op)) {
    // A per-group scale is no product's input-channel scale.
    if (rms.getGroup())
      return std::nullopt;
    MutableOperandRange gamma = rms.getGammaMutable();
    return NormParts{op, gamma.empty() ? nullptr : &gamma[0], nullptr};
  }
  if (auto layer = dyn_cast<LayerNormOp>(op)) {
    MutableOperandRange beta = layer.getBetaMutable();
    return NormParts{op, &layer.getGammaMutable(),
                     beta.empty() ? nullptr : &beta[0]};
  }
  return std::nullopt;
}

struct Smoother {
  ModuleOp module;
  SymbolTable symbols;
  double alpha;

  /// Smooths the products `norm` feeds; false if it does not qualify,
  /// failure on an error.
  FailureOr<bool> smooth(NormParts norm);

  /// Smooths `linear` alone: its input times 1 / s as it runs; false if it
  /// does not qualify, failure on an error.
  FailureOr<bool> smooth(LinearOp linear);
};

} // namespace

FailureOr<bool> Smoother::smooth(NormParts norm) {
  std::optional<SmallVector<LinearOp>> readers =
      productsReading(norm.op->getResult(0));
  if (!readers || readers->empty())
    return false;
  SmallVector<LinearOp> linears = std::move(*readers);
  for (LinearOp linear : linears)
    if (linear.getFormat() || getSmoothing(linear.getW()) ||
        isReadElsewhere(linear.getW()))
      return false;
  auto weightType = cast<RankedTensorType>(linears.front().getW().getType());
  if (!weightType.hasStaticShape() || !weightType.getElementType().isF32())
    return false;
  int64_t k = weightType.getDimSize(1);
  FailureOr<Value> importance = importanceFor(
      linears.front(), linears.front().getW(), k, module, symbols);
  if (failed(importance))
    return failure();
  // The scales are built before the norm, from what only weights compute.
  Operation *point = norm.op;
  hoistBefore(*importance, point);
  SmallVector<Value> weights;
  for (LinearOp linear : linears) {
    hoistBefore(linear.getW(), point);
    weights.push_back(linear.getW());
  }
  OpBuilder builder(point);
  Location loc = point->getLoc();
  Value stacked = weights.size() == 1
                      ? weights.front()
                      : ConcatOp::create(builder, loc, weights, 0).getResult();
  Value scales = SmoothScalesOp::create(builder, loc, stacked, *importance,
                                        alpha, /*inverse=*/false);
  Value inverse = SmoothScalesOp::create(builder, loc, stacked, *importance,
                                         alpha, /*inverse=*/true);
  if (norm.gamma)
    norm.gamma->set(MulOp::create(builder, loc, norm.gamma->get(), inverse));
  else
    cast<RMSNormOp>(norm.op).getGammaMutable().assign(inverse);
  if (norm.beta)
    norm.beta->set(MulOp::create(builder, loc, norm.beta->get(), inverse));
  for (LinearOp linear : linears) {
    OpBuilder at(linear);
    linear.getWMutable().assign(
        MulOp::create(at, linear.getLoc(), linear.getW(), scales));
  }
  return true;
}

FailureOr<bool> Smoother::smooth(LinearOp linear) {
  auto weightType = cast<RankedTensorType>(linear.getW().getType());
  if (linear.getFormat() || getSmoothing(linear.getW()) ||
      isReadElsewhere(linear.getW()) || !weightType.hasStaticShape() ||
      !weightType.getElementType().isF32())
    return false;
  FailureOr<Value> importance = importanceFor(
      linear, linear.getW(), weightType.getDimSize(1), module, symbols);
  if (failed(importance))
    return failure();
  OpBuilder builder(linear);
  Location loc = linear.getLoc();
  Value scales = SmoothScalesOp::create(builder, loc, linear.getW(),
                                        *importance, alpha, /*inverse=*/false);
  Value inverse = SmoothScalesOp::create(builder, loc, linear.getW(),
                                         *importance, alpha, /*inverse=*/true);
  linear.getXMutable().assign(
      MulOp::create(builder, loc, linear.getX(), inverse));
  linear.getWMutable().assign(
      MulOp::create(builder, loc, linear.getW(), scales));
  return true;
}

namespace {
struct LoomSmoothActivationsPass
    : loom::impl::LoomSmoothActivationsBase<LoomSmoothActivationsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!(alpha >= 0.0 && alpha <= 1.0)) {
      module.emitError("--loom-smooth-activations: alpha must be in [0, 1], "
                       "got ")
          << alpha;
      return signalPassFailure();
    }
    SmallVector<NormParts> norms;
    module.walk([&](Operation *op) {
      if (std::optional<NormParts> parts = normParts(op))
        norms.push_back(*parts);
    });
    Smoother smoother{module, SymbolTable(module), alpha};
    int64_t smoothed = 0;
    for (NormParts norm : norms) {
      FailureOr<bool> done = smoother.smooth(norm);
      if (failed(done))
        return signalPassFailure();
      smoothed += *done;
    }
    if (allProducts) {
      SmallVector<LinearOp> linears;
      // Not the computations of derived params (their products are none).
      module.walk([&](LinearOp linear) {
        if (!linear->getParentOfType<ParamOp>())
          linears.push_back(linear);
      });
      for (LinearOp linear : linears) {
        FailureOr<bool> done = smoother.smooth(linear);
        if (failed(done))
          return signalPassFailure();
        smoothed += *done;
      }
    }
    if (!smoothed && allProducts)
      module.emitWarning("--loom-smooth-activations: no product could be "
                         "smoothed; nothing was");
    else if (!smoothed)
      module.emitWarning("--loom-smooth-activations: no norm feeds only "
                         "linear layers (post-norm models' norms feed the "
                         "residual too); nothing was smoothed. "
                         "all-products=true (loomc --smooth-all-products) "
                         "smooths every product's own input");
  }
};
} // namespace
