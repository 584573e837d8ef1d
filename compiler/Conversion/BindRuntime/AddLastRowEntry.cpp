//===- AddLastRowEntry.cpp - An entry point for the last row only ---------===//
//
// Implements --loom-add-last-row-entry: decoders generate from the last
// position's logits, so they get `@forward_last`, a copy of `@forward` that
// returns only the last row, with that row selection moved up through every
// row-wise op (`Loom_RowWise`: linear layers, norms, MLPs, elementwise
// math) so that they run on one row instead of the whole sequence; ops that
// mix rows (attention, blocks, loops) stay whole. The LM head then runs once
// per prompt.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/Passes.h"
#include "dialects/Loom/IR/LoomOps.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace loom;

namespace {

/// True for a [seq, width] activation (as opposed to a weight or a row).
bool isSequence(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getRank() == 2 && type.isDynamicDim(0);
}

/// `extract_slice(op(x, ...))[rows] -> op(extract_slice(x)[rows], ...)` for
/// ops that compute each row from the same row of their inputs.
struct SinkRowSlice : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractSliceOp slice,
                                PatternRewriter &rewriter) const override {
    Operation *producer = slice.getSource().getDefiningOp();
    if (!producer || producer->getNumResults() != 1 ||
        !producer->hasTrait<loom::OpTrait::RowWise>())
      return failure();
    // Only whole rows: offsets [r, 0], unit strides, full width.
    auto sourceType = cast<RankedTensorType>(slice.getSourceType());
    if (sourceType.getRank() != 2 || !slice.hasUnitStride() ||
        !isConstantIntValue(slice.getMixedOffsets()[1], 0) ||
        !isConstantIntValue(slice.getMixedSizes()[1], sourceType.getDimSize(1)))
      return failure();

    rewriter.setInsertionPoint(producer);
    IRMapping mapping;
    for (Value operand : producer->getOperands()) {
      if (!isSequence(operand))
        continue;
      auto operandType = cast<RankedTensorType>(operand.getType());
      SmallVector<OpFoldResult> offsets = {slice.getMixedOffsets()[0],
                                           rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {
          slice.getMixedSizes()[0],
          rewriter.getIndexAttr(operandType.getDimSize(1))};
      SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
      mapping.map(operand, tensor::ExtractSliceOp::create(
                               rewriter, slice.getLoc(), operand, offsets,
                               sizes, strides));
    }
    Operation *rowOp = rewriter.clone(*producer, mapping);
    // The clone's result type follows its operands.
    SmallVector<Type> inferred;
    auto inferable = cast<InferTypeOpInterface>(rowOp);
    if (failed(inferable.inferReturnTypes(
            rowOp->getContext(), rowOp->getLoc(), rowOp->getOperands(),
            rowOp->getRawDictionaryAttrs(), rowOp->getPropertiesStorage(),
            rowOp->getRegions(), inferred))) {
      rewriter.eraseOp(rowOp);
      return failure();
    }
    rowOp->getResult(0).setType(inferred.front());
    rewriter.replaceOp(slice, rowOp->getResults());
    return success();
  }
};

} // namespace

namespace loom {
#define GEN_PASS_DEF_LOOMADDLASTROWENTRY
#include "compiler/Conversion/Passes.h.inc"
} // namespace loom

/// Clones `entry` as `name`, returning only the last row of its result, and
/// moves that row selection up through the row-wise ops.
static func::FuncOp createLastRowEntry(func::FuncOp entry, StringRef name) {
  OpBuilder builder(entry);
  builder.setInsertionPointAfter(entry);
  auto clone = cast<func::FuncOp>(builder.clone(*entry));
  clone.setSymName(name);

  auto ret = cast<func::ReturnOp>(clone.front().getTerminator());
  Value result = ret.getOperand(0);
  auto type = cast<RankedTensorType>(result.getType());
  Location loc = ret.getLoc();
  // The last row's index, from the token ids (one row per token), at the
  // top so that it dominates every op the row selection moves above.
  builder.setInsertionPointToStart(&clone.front());
  Value rows = tensor::DimOp::create(builder, loc, clone.getArgument(0), 0);
  Value last = arith::SubIOp::create(
      builder, loc, rows, arith::ConstantIndexOp::create(builder, loc, 1));
  builder.setInsertionPoint(ret);
  SmallVector<OpFoldResult> offsets = {last, builder.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(1),
                                     builder.getIndexAttr(type.getDimSize(1))};
  SmallVector<OpFoldResult> strides(2, builder.getIndexAttr(1));
  Value row = tensor::ExtractSliceOp::create(builder, loc, result, offsets,
                                             sizes, strides);
  Value cast = tensor::CastOp::create(builder, loc, type, row);
  ret->setOperand(0, cast);

  RewritePatternSet patterns(entry.getContext());
  patterns.add<SinkRowSlice>(entry.getContext());
  (void)applyPatternsGreedily(clone, std::move(patterns));
  return clone;
}

namespace {
struct LoomAddLastRowEntryPass
    : loom::impl::LoomAddLastRowEntryBase<LoomAddLastRowEntryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(LOOM_ENTRY_FORWARD);
    if (!entry || entry.isExternal())
      return;
    if (Operation *taken = module.lookupSymbol(LOOM_ENTRY_FORWARD_LAST)) {
      // Already there (the pass ran before), unless a block took the name.
      auto function = dyn_cast<func::FuncOp>(taken);
      if (!function || function.isPrivate()) {
        taken->emitError("'" LOOM_ENTRY_FORWARD_LAST
                         "' is the name of a runtime entry point; rename the "
                         "block");
        return signalPassFailure();
      }
      return;
    }
    // Only decoders generate: models with causal attention, cumulative sums
    // or linear attention.
    bool causal = false;
    module.walk([&](Operation *op) {
      if (auto attention = dyn_cast<AttentionOp>(op))
        causal |= attention.getCausal();
      else if (auto attend = dyn_cast<AttendOp>(op))
        causal |= attend.getCausal();
      else
        causal |= isa<CumSumOp, LinearAttendOp>(op);
    });
    if (!causal)
      return;
    auto type = dyn_cast<FunctionType>(entry.getFunctionType());
    auto result = type.getNumResults() == 1
                      ? dyn_cast<RankedTensorType>(type.getResult(0))
                      : RankedTensorType();
    if (!result || result.getRank() != 2 || result.isDynamicDim(1) ||
        type.getNumInputs() != 1) {
      entry.emitError("the entry point must take token ids and return a "
                      "[seq, width] tensor of a static width");
      return signalPassFailure();
    }
    if (!entry.getBody().hasOneBlock() ||
        !isa<func::ReturnOp>(entry.front().getTerminator())) {
      entry.emitError("the entry point must be a single block of operations "
                      "ending in a return");
      return signalPassFailure();
    }
    createLastRowEntry(entry, LOOM_ENTRY_FORWARD_LAST);
  }
};
} // namespace
