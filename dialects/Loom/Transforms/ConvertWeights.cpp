//===- ConvertWeights.cpp - Weights of products in half precision ---------===//
//
// Implements --loom-convert-weights: each `loom.linear` with an f32 weight
// (and each token embedding table) reads it through `loom.convert` to bf16
// or f16, and the product (the lookup) widens each element as it reads it.
// `--loom-derive-weights` then computes each conversion once at load, so a
// decode step streams two bytes a weight.
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace loom {
#define GEN_PASS_DEF_LOOMCONVERTWEIGHTS
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

struct ConvertWeightsPass
    : loom::impl::LoomConvertWeightsBase<ConvertWeightsPass> {
  using LoomConvertWeightsBase::LoomConvertWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    Type half;
    if (type == "bf16")
      half = BFloat16Type::get(ctx);
    else if (type == "f16")
      half = Float16Type::get(ctx);
    if (!half) {
      module.emitError("--loom-convert-weights: unknown type '")
          << type << "'; expected bf16 or f16";
      return signalPassFailure();
    }

    // Products inside layers become linear layers of their own.
    SmallVector<Operation *> layers;
    module.walk([&](Operation *op) {
      if (isa<AttentionOp, MLPOp, GatedMLPOp>(op) &&
          !op->getParentOfType<ParamOp>())
        layers.push_back(op);
    });
    for (Operation *layer : layers)
      splitIntoProducts(layer);

    module.walk([&](LinearOp linear) {
      if (linear.getFormat() || linear->getParentOfType<ParamOp>())
        return;
      auto weightType = cast<RankedTensorType>(linear.getW().getType());
      if (!weightType.getElementType().isF32() ||
          !getElementTypeOrSelf(linear.getX()).isF32())
        return;
      OpBuilder builder(linear);
      Value converted = ConvertOp::create(
          builder, linear.getLoc(), weightType.clone(half), linear.getW());
      linear.getWMutable().assign(converted);
    });

    // Token embedding tables too: the lookup widens each row it reads, and
    // an LM head tied to the table reads the same converted copy (one
    // derived weight), so the f32 table is only read at load.
    module.walk([&](EmbeddingOp embedding) {
      if (embedding.getFormat() || embedding->getParentOfType<ParamOp>())
        return;
      auto tableType = cast<RankedTensorType>(embedding.getTable().getType());
      if (!tableType.getElementType().isF32())
        return;
      OpBuilder builder(embedding);
      Value converted =
          ConvertOp::create(builder, embedding.getLoc(), tableType.clone(half),
                            embedding.getTable());
      embedding.getTableMutable().assign(converted);
    });
  }
};

} // namespace
