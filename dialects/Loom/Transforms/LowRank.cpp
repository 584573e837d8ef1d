//===- LowRank.cpp - Factor weights by truncated SVD ----------------------===//
//
// Implements --loom-low-rank. A selected product `x w^T` becomes
// `(x a^T) b^T` with `a` and `b` the two `loom.low_rank` factors of `w`,
// which `--loom-derive-weights` turns into derived weights computed at load
// (a block's weights are arguments, so one pair per call). Layers that hide
// their products (attention, MLPs) are split into products first, but only
// when one of their weights is selected, so that the fusions still see the
// others whole.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/LayerCounts.h"
#include "dialects/Loom/Transforms/Passes.h"
#include "dialects/Loom/Transforms/ProductSelection.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

namespace loom {
#define GEN_PASS_DEF_LOOMLOWRANK
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

struct LoomLowRankPass : loom::impl::LoomLowRankBase<LoomLowRankPass> {
  using LoomLowRankBase::LoomLowRankBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    if (rank == 0 && keep == 0.0 && ranks.empty())
      return;
    FailureOr<LayerCounts> parsed =
        LayerCounts::parse(ranks, "--loom-low-rank", module);
    if (failed(parsed))
      return signalPassFailure();
    perWeight = std::move(*parsed);
    FailureOr<ProductSelection> selection =
        ProductSelection::parse(module, "loom-low-rank", "factor", "factored",
                                layers, include, exclude);
    if (failed(selection) || failed(exposeProducts(module, *selection)))
      return signalPassFailure();
    SymbolTable &symbols = selection->getSymbols();
    // Selected first: factoring changes what the graph says of the others.
    auto collect = [&]() -> FailureOr<SmallVector<Operation *>> {
      SmallVector<Operation *> selected;
      SmallVector<LinearOp> linears;
      module.walk([&](LinearOp linear) {
        if (!linear.getFormat() && !linear->getParentOfType<ParamOp>())
          linears.push_back(linear);
      });
      for (LinearOp linear : linears) {
        FailureOr<bool> chosen = selection->selects(linear);
        if (failed(chosen))
          return failure();
        if (*chosen)
          selected.push_back(linear);
      }
      return selected;
    };
    if (failed(collect()))
      return signalPassFailure();
    // A block whose layers' weights have different ranks: one copy per
    // layer.
    if (!perWeight.counts.empty())
      separateLayerCounts(
          [&] { return *collect(); },
          [&](Operation *op) {
            return ranksPerCall(cast<LinearOp>(op), symbols).size();
          },
          symbols);
    FailureOr<SmallVector<Operation *>> selected = collect();
    if (failed(selected))
      return signalPassFailure();
    for (Operation *linear : *selected)
      if (failed(factor(cast<LinearOp>(linear), module, symbols)))
        return signalPassFailure();
    selection->warnUnmatched();
    if (failed(perWeight.checkAllUsed(
            "--loom-low-rank", "selected product has the weight", module)))
      return signalPassFailure();
  }

  /// The ranks the calls of `linear`'s function ask for, by its weight's
  /// name (`ranks`), or `rank` / `keep` (0: leave it alone).
  llvm::SmallSetVector<int64_t, 2> ranksPerCall(LinearOp linear,
                                                SymbolTable &symbols) {
    llvm::SmallSetVector<int64_t, 2> distinct;
    std::optional<SmallVector<std::string>> names =
        weightNamesPerCall(linear, linear.getW(), symbols);
    if (!names) {
      distinct.insert(defaultRank(linear));
      return distinct;
    }
    for (const std::string &name : *names)
      distinct.insert(perWeight.lookup(name).value_or(defaultRank(linear)));
    return distinct;
  }

  /// The rank of `rank` or `keep` for `linear`'s weight (0 for neither).
  int64_t defaultRank(LinearOp linear) const {
    auto type = cast<RankedTensorType>(linear.getW().getType());
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    if (rank != 0 || keep == 0.0)
      return rank;
    return std::max<int64_t>(
        1, int64_t(std::floor(keep * double(rows) * double(cols) /
                              double(rows + cols))));
  }

  LogicalResult checkOptions(ModuleOp module) {
    if (rank < 0)
      return emitError(module.getLoc())
             << "--loom-low-rank: rank must not be negative, got "
             << int64_t(rank);
    if (!(keep >= 0.0 && keep < 1.0))
      return emitError(module.getLoc())
             << "--loom-low-rank: keep must be in [0, 1), got "
             << llvm::formatv("{0}", double(keep)).str();
    if (rank != 0 && keep != 0.0)
      return emitError(module.getLoc())
             << "--loom-low-rank: give rank or keep, not both";
    if (multipleOf < 1)
      return emitError(module.getLoc())
             << "--loom-low-rank: multiple-of must be positive, got "
             << int64_t(multipleOf);
    return success();
  }

  /// Splits the attention and MLP layers that have a selected weight into
  /// products.
  LogicalResult exposeProducts(ModuleOp module, ProductSelection &selection) {
    SmallVector<Operation *> layers;
    module.walk([&](Operation *op) {
      if (isa<AttentionOp, MLPOp, GatedMLPOp>(op) &&
          !op->getParentOfType<ParamOp>())
        layers.push_back(op);
    });
    for (Operation *op : layers) {
      SmallVector<Value> weights;
      ProductKind kind = ProductKind::Ffn;
      if (auto attention = dyn_cast<AttentionOp>(op)) {
        weights = {attention.getWq(), attention.getWk(), attention.getWv(),
                   attention.getWo()};
        kind = ProductKind::Attention;
      } else if (auto gated = dyn_cast<GatedMLPOp>(op)) {
        weights = {gated.getWGate(), gated.getWUp(), gated.getWDown()};
      } else {
        auto mlp = cast<MLPOp>(op);
        weights = {mlp.getWUp(), mlp.getWDown()};
      }
      bool any = false;
      for (Value weight : weights) {
        FailureOr<bool> chosen = selection.selects(op, kind, weight);
        if (failed(chosen))
          return failure();
        any |= *chosen;
      }
      if (any)
        splitIntoProducts(op);
    }
    return success();
  }

  /// Replaces `linear` by the products of its weight's factors, unless they
  /// would not be smaller.
  LogicalResult factor(LinearOp linear, ModuleOp module, SymbolTable &symbols) {
    auto type = cast<RankedTensorType>(linear.getW().getType());
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    if (type.isDynamicDim(0) || type.isDynamicDim(1))
      return linear.emitError("cannot factor a weight of dynamic shape ")
             << type;
    llvm::SmallSetVector<int64_t, 2> asked = ranksPerCall(linear, symbols);
    int64_t r = asked.front();
    if (r > std::min(rows, cols))
      return linear.emitError("--loom-low-rank: rank ")
             << r << " is above the smaller side of this product's weight "
             << type;
    if (r == 0)
      return success();
    r = llvm::alignTo(r, uint64_t(multipleOf));
    if (r * (rows + cols) >= rows * cols || r > std::min(rows, cols))
      return success();
    Value scores;
    if (importance) {
      FailureOr<Value> found =
          importanceFor(linear, linear.getW(), cols, module, symbols);
      if (failed(found))
        return failure();
      scores = *found;
    }
    OpBuilder builder(linear);
    Location loc = linear.getLoc();
    Type element = type.getElementType();
    Value a = LowRankOp::create(builder, loc,
                                RankedTensorType::get({r, cols}, element),
                                linear.getW(), scores, "a", r);
    Value b = LowRankOp::create(builder, loc,
                                RankedTensorType::get({rows, r}, element),
                                linear.getW(), scores, "b", r);
    Value thin = LinearOp::create(builder, loc, linear.getX(), a, Value());
    linear.getXMutable().assign(thin);
    linear.getWMutable().assign(b);
    return success();
  }

  LayerCounts perWeight;
};

} // namespace
