//===- PruneHeads.cpp - Remove the least important attention heads --------===//
//
// Implements --loom-prune-heads. With grouped-query attention a key/value
// head serves H / KV query heads; removing a query head alone would leave
// groups of different sizes, which the attention kernels do not run, so the
// unit removed is the group: its key/value head (rows of wk, wv and their
// biases), its query heads (rows of wq and bq) and their columns of wo.
// Each weight is replaced by `loom.prune_heads` of itself, which scores the
// groups from all the attention's weights and keeps the best: computed at
// load per layer (`--loom-derive-weights`). The attention's head counts
// shrink; its output width and head size stay.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/LayerCounts.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace loom {
#define GEN_PASS_DEF_LOOMPRUNEHEADS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

struct LoomPruneHeadsPass : loom::impl::LoomPruneHeadsBase<LoomPruneHeadsPass> {
  using LoomPruneHeadsBase::LoomPruneHeadsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!(ratio >= 0.0 && ratio < 1.0)) {
      emitError(module.getLoc())
          << "--loom-prune-heads: ratio must be in [0, 1), got "
          << llvm::formatv("{0}", double(ratio)).str();
      return signalPassFailure();
    }
    if (count != 0 && ratio != 0.0) {
      emitError(module.getLoc()) << "--loom-prune-heads: give a ratio or a "
                                    "count of head groups, not both";
      return signalPassFailure();
    }
    FailureOr<LayerCounts> parsed =
        LayerCounts::parse(keep, "--loom-prune-heads", module);
    if (failed(parsed))
      return signalPassFailure();
    counts = std::move(*parsed);
    auto collect = [&] {
      SmallVector<Operation *> attentions;
      module.walk([&](AttentionOp op) { attentions.push_back(op); });
      return attentions;
    };
    SymbolTable symbols(module);
    // A block whose layers keep different counts: one copy per layer.
    if (!counts.counts.empty())
      separateLayerCounts(
          collect,
          [&](Operation *op) {
            return countsPerCall(cast<AttentionOp>(op), symbols).size();
          },
          symbols);
    SmallVector<Operation *> attentions = collect();
    if (attentions.empty() && (ratio != 0.0 || count != 0 || !keep.empty()) &&
        hasEntryPoint(module))
      module.emitWarning() << "--loom-prune-heads: the model has no "
                              "attention layer to prune; a loop with LoRA "
                              "deltas reads its products one by one";
    for (Operation *attention : attentions)
      if (failed(prune(cast<AttentionOp>(attention), module, symbols)))
        return signalPassFailure();
    if (failed(counts.checkAllUsed("--loom-prune-heads",
                                   "attention has the output weight", module)))
      return signalPassFailure();
  }

  /// The head groups an attention of `groups` keeps without a count of its
  /// own (`count` removed, or `ratio` of them).
  int64_t keepByRatio(int64_t groups) const {
    if (count != 0)
      return groups - int64_t(count);
    return groups - int64_t(std::floor(ratio * double(groups)));
  }

  /// The distinct counts the calls of `op`'s function ask for (one outside
  /// blocks), by its output weight's name.
  llvm::SmallSetVector<int64_t, 2> countsPerCall(AttentionOp op,
                                                 SymbolTable &symbols) {
    llvm::SmallSetVector<int64_t, 2> distinct;
    std::optional<SmallVector<std::string>> names =
        weightNamesPerCall(op, op.getWo(), symbols);
    if (!names)
      return distinct;
    for (const std::string &name : *names)
      distinct.insert(
          counts.lookup(name).value_or(keepByRatio(op.getNumKvHeads())));
    return distinct;
  }

  LogicalResult prune(AttentionOp op, ModuleOp module, SymbolTable &symbols) {
    int64_t heads = op.getNumHeads(), groups = op.getNumKvHeads();
    int64_t headDim = op.getHeadDim();
    llvm::SmallSetVector<int64_t, 2> asked = countsPerCall(op, symbols);
    int64_t keep = asked.empty() ? keepByRatio(groups) : asked.front();
    if (keep < 1)
      return op.emitError("--loom-prune-heads: removing ")
             << int64_t(count) << " of its " << groups
             << " head groups leaves the attention none";
    if (keep > groups)
      return op.emitError("--loom-prune-heads: a count keeps ")
             << keep << " head groups of an attention of " << groups;
    if (keep == groups)
      return success();
    Value importance;
    if (this->importance) {
      FailureOr<Value> found =
          importanceFor(op, op.getWo(), heads * headDim, module, symbols);
      if (failed(found))
        return failure();
      importance = *found;
    }
    Value wq = op.getWq(), wk = op.getWk(), wv = op.getWv(), wo = op.getWo();
    OpBuilder builder(op);
    auto pruned = [&](OpOperand &operand, StringRef part) {
      auto type = cast<RankedTensorType>(operand.get().getType());
      int64_t axis = part == "o" ? 1 : 0;
      int64_t block = part == "kv" ? headDim : heads / groups * headDim;
      SmallVector<int64_t> shape(type.getShape());
      shape[axis] = block * keep;
      Value value = PruneHeadsOp::create(
          builder, op.getLoc(),
          RankedTensorType::get(shape, type.getElementType()), operand.get(),
          wq, wk, wv, wo, importance, builder.getStringAttr(part),
          builder.getI64IntegerAttr(keep), builder.getI64IntegerAttr(heads),
          builder.getI64IntegerAttr(groups),
          builder.getI64IntegerAttr(headDim));
      operand.set(value);
    };
    pruned(op.getWqMutable(), "q");
    pruned(op.getWkMutable(), "kv");
    pruned(op.getWvMutable(), "kv");
    pruned(op.getWoMutable(), "o");
    if (op.getBq())
      pruned(op.getBqMutable()[0], "q");
    if (op.getBk())
      pruned(op.getBkMutable()[0], "kv");
    if (op.getBv())
      pruned(op.getBvMutable()[0], "kv");
    op.setNumHeads(keep * (heads / groups));
    op.setNumKvHeads(keep);
    return success();
  }

  LayerCounts counts;
};

} // namespace
