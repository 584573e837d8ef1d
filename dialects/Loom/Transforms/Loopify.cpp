//===- Loopify.cpp - A stack's weights shared by fewer blocks -------------===//
//
// Implements --loom-loopify (Relaxed Recursive Transformers). A stack of N
// layers, found as a chain of calls (LayerChains.h), becomes K shared blocks
// applied N / K times: call l passes shared block l mod K's weights, which
// are computed from the weights of the layers the block stands for. With a
// rank, each call also passes the factors of its own LoRA delta, and the
// block (a copy, with the factors as new arguments) adds the delta's
// product to each product that reads a shared matrix.
//
// Everything computed here is a computation on weights in the entry
// function, which `--loom-derive-weights` turns into derived params; the
// names are chosen here (`kDerivedNameAttr`).
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/LayerChains.h"
#include "dialects/Loom/Transforms/LoraDeltas.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace loom {
#define GEN_PASS_DEF_LOOMLOOPIFY
#include "dialects/Loom/Transforms/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// How a block names its argument `index`: its `loom.weight` name, else its
/// position.
struct LoomLoopifyPass : loom::impl::LoomLoopifyBase<LoomLoopifyPass> {
  using LoomLoopifyBase::LoomLoopifyBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    if (blocks == 0)
      return;
    SmallVector<LayerChain> chains;
    module->walk([&](Block *block) {
      llvm::append_range(chains, findLayerChains(*block, /*minLayers=*/2));
    });
    if (chains.empty()) {
      emitError(module.getLoc())
          << "--loom-loopify: the model has no stack of layers (calls of one "
             "block, each with its own weights) to share";
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    for (LayerChain &chain : chains)
      if (failed(loopify(chain, symbols)))
        return signalPassFailure();
    // The layers' own weights that nothing reads any more.
    SmallVector<WeightOp> unused;
    module.walk([&](WeightOp weight) {
      if (weight.use_empty() && !weight->getParentOfType<ParamOp>())
        unused.push_back(weight);
    });
    for (WeightOp weight : unused)
      weight.erase();
  }

  LogicalResult checkOptions(ModuleOp module) {
    if (blocks < 0)
      return emitError(module.getLoc())
             << "--loom-loopify: blocks must not be negative, got "
             << int64_t(blocks);
    if (init != "average" && init != "first")
      return emitError(module.getLoc())
             << "--loom-loopify: unknown init '" << init
             << "'; the inits are average and first";
    if (rank < 0)
      return emitError(module.getLoc())
             << "--loom-loopify: rank must not be negative, got "
             << int64_t(rank);
    if (rank > 0 && fullRank)
      return emitError(module.getLoc())
             << "--loom-loopify: give rank or full-rank, not both";
    if (!prefix.empty()) {
      if (!shareVectors)
        return emitError(module.getLoc())
               << "--loom-loopify: prefix names a loop of the language, "
                  "which shares norm scales and biases too: add "
                  "share-vectors";
      if (fullRank)
        return emitError(module.getLoc())
               << "--loom-loopify: prefix names a loop of the language, "
                  "whose deltas have one rank: give rank, not full-rank";
      bool indexed = StringRef(prefix).contains("{i}");
      if (indexed != (blocks > 1))
        return emitError(module.getLoc())
               << "--loom-loopify: with " << int64_t(blocks)
               << (blocks > 1 ? " blocks the prefix needs {i} (the block: "
                                "'loop Block[K] x N lora(r) @ \"P.{i}\"')"
                              : " block the prefix must not have {i}");
    }
    return success();
  }

  /// Where the language's loop reads shared block `block`'s weights (the
  /// prefix, `{i}` replaced by the block).
  std::string prefixOf(int64_t block) const {
    std::string path = prefix;
    size_t at = path.find("{i}");
    if (at != std::string::npos)
      path.replace(at, 3, std::to_string(block));
    return path;
  }

  LogicalResult loopify(const LayerChain &chain, SymbolTable &symbols) {
    SmallVector<func::CallOp> calls(chain.calls);
    int64_t layers = calls.size();
    if (layers % blocks != 0)
      return calls.front().emitError("--loom-loopify: ")
             << layers << " layers cannot be shared by " << int64_t(blocks)
             << " blocks applied alike: the blocks must divide the layers";
    if (blocks == layers)
      return success();
    // Operand positions whose weights are shared, and those of them that
    // get a delta.
    SmallVector<unsigned> shared, deltas;
    for (auto [i, kind] : llvm::enumerate(chain.kinds)) {
      if (kind != ChainArgument::Weight)
        continue;
      auto type =
          cast<RankedTensorType>(calls.front().getOperand(i + 1).getType());
      bool matrix = type.getRank() == 2;
      if (matrix || shareVectors)
        shared.push_back(unsigned(i + 1));
      if (matrix && (rank > 0 || fullRank))
        deltas.push_back(unsigned(i + 1));
    }
    auto callee =
        symbols.lookup<func::FuncOp>(calls.front().getCalleeAttr().getAttr());
    if (!callee || callee.isExternal())
      return calls.front().emitError(
          "--loom-loopify: the layers' block is not defined here");
    func::FuncOp target = callee;
    if (!deltas.empty()) {
      FailureOr<func::FuncOp> withDeltas =
          addDeltas(callee, deltas, calls.front(), symbols);
      if (failed(withDeltas))
        return failure();
      target = *withDeltas;
    }

    // The shared weights, before the first call: per block, per position.
    OpBuilder builder(calls.front());
    int64_t times = layers / blocks;
    SmallVector<DenseMap<unsigned, Value>> sharedValues(blocks);
    for (int64_t block = 0; block < blocks; ++block)
      for (unsigned position : shared) {
        Value value =
            sharedWeight(builder, calls, block, times, position, symbols);
        if (!prefix.empty()) {
          // The language's name; a weight read as it is gets a (exact)
          // computation to carry it.
          Operation *named = value.getDefiningOp();
          if (isa<WeightOp>(named)) {
            named = ScaleOp::create(builder, value.getLoc(), value, 1.0);
            value = named->getResult(0);
          }
          named->setAttr(kDerivedNameAttr,
                         builder.getStringAttr(prefixOf(block) + "." +
                                               argumentName(callee, position)));
        }
        sharedValues[block][position] = value;
      }

    for (auto [layer, call] : llvm::enumerate(calls)) {
      int64_t block = int64_t(layer) % blocks;
      SmallVector<Value> operands(call.getOperands());
      for (unsigned position : shared)
        operands[position] = sharedValues[block][position];
      for (unsigned position : deltas) {
        auto own = call.getOperand(position).getDefiningOp<WeightOp>();
        std::string name = checkpointNameOf(own, symbols);
        auto type = cast<RankedTensorType>(own.getType());
        // The calibrated importance of the layer's own weight's inputs.
        Value scores;
        if (importance) {
          FailureOr<Value> found =
              importanceFor(call, own.getResult(), type.getDimSize(1),
                            call->getParentOfType<ModuleOp>(), symbols);
          if (failed(found))
            return failure();
          scores = *found;
        }
        OpBuilder before(call);
        // The layer's difference from the shared weight, and its factors.
        Value negated = ScaleOp::create(before, call.getLoc(),
                                        sharedValues[block][position], -1.0);
        Value difference =
            AddOp::create(before, call.getLoc(), own.getResult(), negated);
        int64_t r = rankFor(type);
        for (StringRef part : {"a", "b"}) {
          SmallVector<int64_t> shape =
              part == "a" ? SmallVector<int64_t>{r, type.getDimSize(1)}
                          : SmallVector<int64_t>{type.getDimSize(0), r};
          auto factor = LowRankOp::create(
              before, call.getLoc(),
              RankedTensorType::get(shape, type.getElementType()), difference,
              scores, part, r);
          std::string factorName =
              prefix.empty()
                  ? name + ".lora" + std::to_string(r) + "." + part.str()
                  : prefixOf(block) + "." + argumentName(callee, position) +
                        ".lora." + std::to_string(int64_t(layer) / blocks) +
                        "." + part.str();
          factor->setAttr(kDerivedNameAttr, before.getStringAttr(factorName));
          operands.push_back(factor);
        }
      }
      call->setOperands(operands);
      call.setCallee(target.getSymName());
    }
    return success();
  }

  /// The rank of the delta on a shared matrix of `type`.
  int64_t rankFor(RankedTensorType type) const {
    return fullRank ? std::min(type.getDimSize(0), type.getDimSize(1))
                    : int64_t(rank);
  }

  /// Shared block `block`'s weight at operand `position`, from the layers
  /// it stands for: `block`, `block + blocks`, ...
  Value sharedWeight(OpBuilder &builder, MutableArrayRef<func::CallOp> calls,
                     int64_t block, int64_t times, unsigned position,
                     SymbolTable &symbols) {
    auto weightOf = [&](int64_t time) {
      return calls[size_t(block + time * blocks)]
          .getOperand(position)
          .getDefiningOp<WeightOp>();
    };
    // A fresh read: the layers' own may come after the first call.
    Value sum = builder.clone(*weightOf(0))->getResult(0);
    if (init == "first")
      return sum;
    SmallVector<std::string> names = {checkpointNameOf(weightOf(0), symbols)};
    for (int64_t time = 1; time < times; ++time) {
      Value next = builder.clone(*weightOf(time))->getResult(0);
      names.push_back(checkpointNameOf(weightOf(time), symbols));
      sum = AddOp::create(builder, sum.getLoc(), sum, next);
    }
    auto mean =
        ScaleOp::create(builder, sum.getLoc(), sum, 1.0 / double(times));
    std::string braced = bracedName(names);
    mean->setAttr(
        kDerivedNameAttr,
        builder.getStringAttr(
            (braced.empty() ? llvm::join(names, "+") : braced) + ".mean"));
    return mean;
  }

  /// A copy of `callee` that takes, after its arguments, the factors `a`
  /// and `b` of a delta for each argument in `positions` (operand indices of
  /// the calls), and adds `(x a^T) b^T` to each product reading one.
  FailureOr<func::FuncOp> addDeltas(func::FuncOp callee,
                                    ArrayRef<unsigned> positions,
                                    func::CallOp at, SymbolTable &symbols) {
    for (unsigned position : positions) {
      auto type = cast<RankedTensorType>(at.getOperand(position).getType());
      if (!fullRank && rank > std::min(type.getDimSize(0), type.getDimSize(1)))
        return at.emitError("--loom-loopify: rank ")
               << int64_t(rank) << " is above the smaller side of '"
               << argumentName(callee, position) << "' (" << type << ")";
    }
    return addLoraDeltas(
        callee, positions,
        (callee.getSymName() + "_lora" +
         (fullRank ? Twine("full") : Twine(int64_t(rank))))
            .str(),
        [&](RankedTensorType type) { return rankFor(type); }, "--loom-loopify",
        "loopify without a rank", symbols);
  }
};

} // namespace
