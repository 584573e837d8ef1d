//===- MLIRGen.cpp - Elaborated Loom model to `loom` IR -------------------===//

#include "compiler/MLIRGen/MLIRGen.h"

#include "compiler/MLIRGen/Locations.h"
#include "dialects/Loom/IR/LoomDialect.h"
#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Transforms/LoraDeltas.h"
#include "dsl/Elab.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace loom;

namespace {

/// One checkpoint tensor a layer reads: its path relative to the layer's
/// enclosing instance, and its type as stored in the checkpoint.
struct WeightSlot {
  std::string name;
  RankedTensorType type;
};

/// Joins two checkpoint path components with a dot, skipping empty ones.
std::string joinPath(llvm::StringRef prefix, llvm::StringRef name) {
  if (prefix.empty())
    return name.str();
  if (name.empty())
    return prefix.str();
  return (prefix + "." + name).str();
}

/// Replaces every `{i}` in `binding` by `index`.
std::string instantiate(llvm::StringRef binding, int64_t index) {
  std::string result = binding.str();
  std::string replacement = std::to_string(index);
  for (size_t pos = result.find("{i}"); pos != std::string::npos;
       pos = result.find("{i}", pos + replacement.size()))
    result.replace(pos, 3, replacement);
  return result;
}

/// The dialect's spelling of a front-end activation.
ActivationKind convertActivation(dsl::Activation act) {
  switch (act) {
  case dsl::Activation::Relu:
    return ActivationKind::Relu;
  case dsl::Activation::Gelu:
    return ActivationKind::Gelu;
  case dsl::Activation::GeluTanh:
    return ActivationKind::GeluTanh;
  case dsl::Activation::Silu:
    return ActivationKind::Silu;
  }
  llvm_unreachable("unknown activation");
}

UnaryFn convertMathFn(dsl::MathFn fn) {
  switch (fn) {
  case dsl::MathFn::Exp:
    return UnaryFn::Exp;
  case dsl::MathFn::Log:
    return UnaryFn::Log;
  case dsl::MathFn::Tanh:
    return UnaryFn::Tanh;
  case dsl::MathFn::Sigmoid:
    return UnaryFn::Sigmoid;
  case dsl::MathFn::Sqrt:
    return UnaryFn::Sqrt;
  case dsl::MathFn::Rsqrt:
    return UnaryFn::Rsqrt;
  case dsl::MathFn::Abs:
    return UnaryFn::Abs;
  case dsl::MathFn::Neg:
    return UnaryFn::Neg;
  case dsl::MathFn::Sin:
    return UnaryFn::Sin;
  case dsl::MathFn::Cos:
    return UnaryFn::Cos;
  }
  llvm_unreachable("unknown math function");
}

ReduceKind convertReduction(dsl::Reduction reduction) {
  switch (reduction) {
  case dsl::Reduction::Sum:
    return ReduceKind::Sum;
  case dsl::Reduction::Mean:
    return ReduceKind::Mean;
  case dsl::Reduction::Max:
    return ReduceKind::Max;
  case dsl::Reduction::Min:
    return ReduceKind::Min;
  case dsl::Reduction::Norm2:
    return ReduceKind::Norm2;
  }
  llvm_unreachable("unknown reduction");
}

class Generator {
public:
  Generator(MLIRContext &ctx, const llvm::SourceMgr &srcMgr)
      : ctx(ctx), srcMgr(srcMgr), builder(&ctx) {}

  OwningOpRef<ModuleOp> generate(const dsl::Model &model);

private:
  Location loc(llvm::SMRange range) {
    return toLocation(&ctx, srcMgr, range.Start);
  }

  RankedTensorType f32Type(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  /// [seq, width] features.
  RankedTensorType featureType(int64_t width) {
    return f32Type({ShapedType::kDynamic, width});
  }
  RankedTensorType idsType() {
    return RankedTensorType::get({ShapedType::kDynamic},
                                 builder.getIntegerType(32));
  }
  /// A weight of logical shape [out, in], stored [in, out] when `transposed`.
  RankedTensorType matrixType(int64_t out, int64_t in, bool transposed) {
    return transposed ? f32Type({in, out}) : f32Type({out, in});
  }

  /// Appends the checkpoint tensors of `layer`, relative to its enclosing
  /// instance, to `slots`, in the order the layer's code consumes them.
  void collectWeights(const dsl::Layer &layer, std::vector<WeightSlot> &slots);
  /// The weights of a block instance, relative to that instance.
  const std::vector<WeightSlot> &blockWeights(const dsl::Block &block);

  Type nodeType(const dsl::Node &node) {
    switch (node.kind) {
    case dsl::ValueKind::Ids:
      return idsType();
    case dsl::ValueKind::Row:
      return f32Type({node.width});
    case dsl::ValueKind::Matrix:
      return f32Type({node.rows, node.width});
    case dsl::ValueKind::Heads:
      return f32Type({ShapedType::kDynamic, node.rows, node.width});
    default:
      return featureType(node.width);
    }
  }

  /// Per weight slot of the block `use` loops, the layer of the block it
  /// belongs to when each iteration has its own copy of that layer
  /// (`unshared`), else -1.
  SmallVector<int> unsharedSlots(const dsl::BlockUseSpec &use) {
    SmallVector<int> result(blockWeights(*use.block).size(), -1);
    SmallVector<size_t> first = layerWeightOffsets(*use.block);
    for (unsigned layer : use.unshared)
      for (size_t j = first[layer]; j < first[layer + 1]; ++j)
        result[j] = int(layer);
    return result;
  }
  /// The name of iteration `it`'s copy of `slot` of layer `layer`:
  /// `{layer binding}.{it}.{tensor}`.
  static std::string iterationName(const dsl::Layer &layer,
                                   const WeightSlot &slot, int64_t it) {
    llvm::StringRef binding = layer.binding;
    llvm::StringRef tensor =
        binding.empty()
            ? llvm::StringRef(slot.name)
            : llvm::StringRef(slot.name).drop_front(binding.size() + 1);
    return joinPath(joinPath(binding, std::to_string(it)), tensor);
  }

  /// Creates the function of an instantiated block.
  void emitBlock(const dsl::Block &block);
  /// Emits a forward graph and returns the values it returns. `weightsOf(i)`
  /// yields the weight values of layer `i`, materializing them on demand.
  FailureOr<SmallVector<Value>>
  emitForward(const dsl::Forward &forward, ArrayRef<dsl::Layer> layers,
              ValueRange inputs,
              llvm::function_ref<SmallVector<Value>(unsigned)> weightsOf);
  /// Applies `layer` to `inputs` reading `weights` (from collectWeights).
  FailureOr<Value> emitLayer(const dsl::Layer &layer, ValueRange inputs,
                             ArrayRef<Value> weights, Location loc);
  FailureOr<Value> emitAttention(const dsl::Layer &layer, Value x,
                                 ArrayRef<Value> weights, Location loc);
  FailureOr<Value> emitMLP(const dsl::Layer &layer, Value x,
                           ArrayRef<Value> weights, Location loc);
  FailureOr<Value> emitMoE(const dsl::Layer &layer, Value x,
                           ArrayRef<Value> weights, Location loc);
  /// A use of a block (a call, a stack, a loop): the values it returns.
  FailureOr<SmallVector<Value>> emitBlockUse(const dsl::Layer &layer,
                                             ValueRange inputs,
                                             ArrayRef<Value> weights,
                                             Location loc);
  /// A weight-shared loop with per-iteration LoRA deltas (`lora(r)`): the
  /// block's copy that adds `(x a^T) b^T` to each product of a shared
  /// matrix, called with each iteration's factors (`NAME.lora.I.a/b`,
  /// chosen by the loop index).
  FailureOr<SmallVector<Value>> emitLoraLoop(const dsl::Layer &layer,
                                             ValueRange inputs,
                                             ArrayRef<Value> weights,
                                             ArrayRef<Value> gateWeights,
                                             Location loc);
  /// Where each layer's weights start among `block`'s weights (one more
  /// entry at the end: their count).
  SmallVector<size_t> layerWeightOffsets(const dsl::Block &block);
  /// True if `block` calls blocks: has a stacked or looped block layer, or
  /// one used once (emitted in place) that calls blocks.
  static bool callsBlocks(const dsl::Block &block);
  /// Emits `block`'s forward on `inputs` where the builder is, reading
  /// `weights` (its function's weight arguments).
  FailureOr<SmallVector<Value>> emitInPlace(const dsl::Block &block,
                                            ValueRange inputs,
                                            ArrayRef<Value> weights);
  /// Marks `loop` adaptive when `use` has an exit rule.
  void setExitRule(LoopOp loop, const dsl::BlockUseSpec &use);
  /// The weights of one copy of the block `use` loops, as its body reads
  /// them in the loop over `state` (the body's arguments): each unshared
  /// slot's copies `weights` holds become the copy the iteration selects.
  SmallVector<Value> selectIterationWeights(const dsl::BlockUseSpec &use,
                                            ArrayRef<int> unshared,
                                            ArrayRef<Value> weights,
                                            ValueRange state, Location loc);
  /// For an exit gate: appends its logits on the iteration's result
  /// (`yielded`'s first value) to what the loop body yields.
  void appendExitLogits(SmallVectorImpl<Value> &yielded,
                        const dsl::BlockUseSpec &use,
                        ArrayRef<Value> gateWeights, Location loc);

  /// Returns the parameter bound to checkpoint tensor `name`, creating it on
  /// first use. Fails if the tensor is bound again with another shape.
  FailureOr<ParamOp> getOrCreateParam(llvm::StringRef name,
                                      RankedTensorType type, Location loc);

  /// A weight stored [in, out] is transposed to the [out, in] the ops use.
  /// [seq, heads * width] as heads [seq, heads, width].
  Value splitHeads(Value x, int64_t heads, int64_t width, Location loc) {
    auto type = f32Type({ShapedType::kDynamic, heads, width});
    SmallVector<OpFoldResult> shape = {tensor::getMixedSize(builder, loc, x, 0),
                                       builder.getIndexAttr(heads),
                                       builder.getIndexAttr(width)};
    return tensor::ExpandShapeOp::create(
        builder, loc, type, x, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
        shape);
  }
  /// Heads [seq, heads, width] as [seq, heads * width]; the rows of heads
  /// that were split from rows, so that the products and attention ops that
  /// the passes match (q/k/v fusion, ...) read each other directly.
  Value mergeHeads(Value x, Location loc) {
    if (auto split = x.getDefiningOp<tensor::ExpandShapeOp>())
      return split.getSrc();
    return tensor::CollapseShapeOp::create(
        builder, loc, x, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  }
  /// softmax over the last axis: exp(x - max(x)) / sum(exp(x - max(x))).
  Value emitSoftmax(Value x, Location loc) {
    Value peak = ReduceOp::create(builder, loc, ReduceKind::Max, x);
    Value e = UnaryOp::create(builder, loc, UnaryFn::Exp,
                              SubOp::create(builder, loc, x, peak));
    Value total = ReduceOp::create(builder, loc, ReduceKind::Sum, e);
    return DivOp::create(builder, loc, e, total);
  }
  /// The attention of queries `q` over keys `k` and values `v` (heads) that
  /// `node` describes: the op built-in attention becomes, on [seq, heads *
  /// width] rows; its scores are scaled by 1 / sqrt(width), so the queries
  /// take the rest of the written scale.
  Value emitAttend(const dsl::Node &node, Value q, Value k, Value v,
                   Location loc) {
    auto type = [](Value x) { return cast<RankedTensorType>(x.getType()); };
    int64_t heads = type(q).getDimSize(1), kvHeads = type(k).getDimSize(1);
    int64_t width = type(q).getDimSize(2);
    Value rows = mergeHeads(q, loc);
    double natural = 1.0 / std::sqrt(double(width));
    // Not for a scale that only rounding tells from the usual one: a pass
    // over the queries for nothing.
    if (std::abs(node.factor / natural - 1.0) > 1e-12)
      rows = ScaleOp::create(builder, loc, rows, node.factor / natural);
    FloatAttr rope =
        node.theta > 0 ? builder.getF64FloatAttr(node.theta) : FloatAttr();
    IntegerAttr window =
        node.window ? builder.getI64IntegerAttr(node.window) : IntegerAttr();
    Value attended = AttendOp::create(
        builder, loc, rows, mergeHeads(k, loc), mergeHeads(v, loc),
        builder.getI64IntegerAttr(heads), builder.getI64IntegerAttr(kvHeads),
        builder.getI64IntegerAttr(width),
        node.causal ? builder.getUnitAttr() : UnitAttr(), rope,
        node.interleaved ? builder.getUnitAttr() : UnitAttr(), window);
    return splitHeads(attended, heads, width, loc);
  }

  /// The causal linear attention of queries `q` over keys `k` and values
  /// `v` (heads) that `node` describes, on [seq, heads * width] rows.
  Value emitLinearAttend(const dsl::Node &node, Value q, Value k, Value v,
                         Location loc) {
    auto type = [](Value x) { return cast<RankedTensorType>(x.getType()); };
    int64_t heads = type(q).getDimSize(1), kvHeads = type(k).getDimSize(1);
    int64_t width = type(q).getDimSize(2), valueWidth = type(v).getDimSize(2);
    Value attended = LinearAttendOp::create(
        builder, loc, mergeHeads(q, loc), mergeHeads(k, loc),
        mergeHeads(v, loc), /*state=*/Value(), /*pos=*/Value(),
        builder.getI64IntegerAttr(heads), builder.getI64IntegerAttr(kvHeads),
        builder.getI64IntegerAttr(width), builder.getF64FloatAttr(node.factor));
    return splitHeads(attended, heads, valueWidth, loc);
  }

  Value asOutIn(Value weight, bool transposed, Location loc) {
    if (!transposed)
      return weight;
    return TransposeOp::create(builder, loc, weight);
  }

  MLIRContext &ctx;
  const llvm::SourceMgr &srcMgr;
  OpBuilder builder;
  ModuleOp module;
  /// The last parameter created; new ones go after it, before all functions.
  ParamOp lastParam;
  llvm::StringMap<ParamOp> params;
  llvm::DenseMap<const dsl::Block *, func::FuncOp> blockFuncs;
  /// Blocks that `lora` loops copied with deltas.
  llvm::SetVector<func::FuncOp> loraBases;
  /// The exit gate of the adaptive loop being emitted (a model layer).
  const dsl::Layer *exitGate = nullptr;
  llvm::DenseMap<const dsl::Block *, std::vector<WeightSlot>> blockSlots;
};

} // namespace

void Generator::collectWeights(const dsl::Layer &layer,
                               std::vector<WeightSlot> &slots) {
  auto add = [&](llvm::StringRef name, RankedTensorType type) {
    slots.push_back({joinPath(layer.binding, name), type});
  };
  switch (layer.kind) {
  case dsl::LayerKind::Embedding:
  case dsl::LayerKind::PositionalEmbedding:
    add("weight", f32Type({layer.embedding.vocab, layer.embedding.dim}));
    return;
  case dsl::LayerKind::Linear: {
    const dsl::LinearSpec &spec = layer.linear;
    add("weight", matrixType(spec.out, spec.in, spec.transposed));
    if (spec.bias)
      add("bias", f32Type({spec.out}));
    return;
  }
  case dsl::LayerKind::LayerNorm:
  case dsl::LayerKind::RMSNorm:
    add("weight", f32Type({layer.norm.dim}));
    if (layer.kind == dsl::LayerKind::LayerNorm && layer.norm.bias)
      add("bias", f32Type({layer.norm.dim}));
    return;
  case dsl::LayerKind::Attention: {
    const dsl::AttentionSpec &spec = layer.attention;
    int64_t qWidth = spec.heads * spec.headDim;
    int64_t kvWidth = spec.kvHeads * spec.headDim;
    auto projection = [&](llvm::StringRef name, int64_t out, int64_t in,
                          bool bias) {
      add(joinPath(name, "weight"), matrixType(out, in, spec.transposed));
      if (bias)
        add(joinPath(name, "bias"), f32Type({out}));
    };
    if (spec.qkv.empty()) {
      projection(spec.q, qWidth, spec.dim, spec.qkvBias);
      projection(spec.k, kvWidth, spec.dim, spec.qkvBias);
      projection(spec.v, kvWidth, spec.dim, spec.qkvBias);
    } else {
      projection(spec.qkv, qWidth + 2 * kvWidth, spec.dim, spec.qkvBias);
    }
    projection(spec.o, spec.dim, qWidth, spec.outBias);
    if (spec.qkNorm) {
      add(joinPath(spec.qNorm, "weight"), f32Type({spec.headDim}));
      add(joinPath(spec.kNorm, "weight"), f32Type({spec.headDim}));
    }
    return;
  }
  case dsl::LayerKind::MoE: {
    const dsl::MoESpec &spec = layer.moe;
    add(joinPath(spec.router, "weight"), f32Type({spec.experts, spec.dim}));
    // Expert by expert: its gate, up and down matrices.
    for (int64_t e = 0; e < spec.experts; ++e) {
      std::string expert = joinPath(spec.expertPrefix, std::to_string(e));
      add(joinPath(joinPath(expert, spec.gate), "weight"),
          f32Type({spec.hidden, spec.dim}));
      add(joinPath(joinPath(expert, spec.up), "weight"),
          f32Type({spec.hidden, spec.dim}));
      add(joinPath(joinPath(expert, spec.down), "weight"),
          f32Type({spec.dim, spec.hidden}));
    }
    if (spec.sharedHidden != 0) {
      add(joinPath(joinPath(spec.sharedPrefix, spec.gate), "weight"),
          f32Type({spec.sharedHidden, spec.dim}));
      add(joinPath(joinPath(spec.sharedPrefix, spec.up), "weight"),
          f32Type({spec.sharedHidden, spec.dim}));
      add(joinPath(joinPath(spec.sharedPrefix, spec.down), "weight"),
          f32Type({spec.dim, spec.sharedHidden}));
      if (!spec.sharedGate.empty())
        add(joinPath(spec.sharedGate, "weight"), f32Type({1, spec.dim}));
    }
    return;
  }
  case dsl::LayerKind::MLP:
  case dsl::LayerKind::GatedMLP: {
    const dsl::MLPSpec &spec = layer.mlp;
    auto projection = [&](llvm::StringRef name, int64_t out, int64_t in) {
      add(joinPath(name, "weight"), matrixType(out, in, spec.transposed));
      if (spec.bias)
        add(joinPath(name, "bias"), f32Type({out}));
    };
    if (layer.kind == dsl::LayerKind::GatedMLP)
      projection(spec.gate, spec.hidden, spec.dim);
    projection(spec.up, spec.hidden, spec.dim);
    projection(spec.down, spec.dim, spec.hidden);
    return;
  }
  case dsl::LayerKind::Param:
    // The binding names the tensor itself.
    add("", layer.param.rows ? f32Type({layer.param.rows, layer.param.width})
                             : f32Type({layer.param.width}));
    return;
  case dsl::LayerKind::Block: {
    const dsl::BlockUseSpec &use = layer.blockUse;
    SmallVector<int> unshared = unsharedSlots(use);
    const std::vector<WeightSlot> &inner = blockWeights(*use.block);
    for (int64_t copy = 0; copy < use.count; ++copy) {
      std::string prefix = instantiate(layer.binding, copy);
      for (auto [j, slot] : llvm::enumerate(inner)) {
        if (unshared[j] < 0) {
          slots.push_back({joinPath(prefix, slot.name), slot.type});
          continue;
        }
        // One copy per iteration: the iteration after the layer's path.
        const dsl::Layer &owner = use.block->layers[unshared[j]];
        for (int64_t it = 0; it < use.iterations; ++it)
          slots.push_back(
              {joinPath(prefix, iterationName(owner, slot, it)), slot.type});
      }
    }
    return;
  }
  }
}

const std::vector<WeightSlot> &
Generator::blockWeights(const dsl::Block &block) {
  auto it = blockSlots.find(&block);
  if (it != blockSlots.end())
    return it->second;
  std::vector<WeightSlot> slots;
  for (const dsl::Layer &layer : block.layers)
    collectWeights(layer, slots);
  return blockSlots[&block] = std::move(slots);
}

FailureOr<ParamOp> Generator::getOrCreateParam(llvm::StringRef name,
                                               RankedTensorType type,
                                               Location loc) {
  auto it = params.find(name);
  if (it != params.end()) {
    ParamOp param = it->second;
    if (param.getType() == type)
      return param;
    InFlightDiagnostic diag = emitError(loc)
                              << "checkpoint tensor '" << name
                              << "' is bound twice with different shapes: "
                              << param.getType() << " and " << type;
    diag.attachNote(param.getLoc()) << "first bound here";
    return failure();
  }
  OpBuilder::InsertionGuard guard(builder);
  if (lastParam)
    builder.setInsertionPointAfter(lastParam);
  else
    builder.setInsertionPointToStart(module.getBody());
  auto param = ParamOp::create(builder, loc, name, type);
  params[name] = param;
  lastParam = param;
  return param;
}

FailureOr<Value> Generator::emitAttention(const dsl::Layer &layer, Value x,
                                          ArrayRef<Value> weights,
                                          Location loc) {
  const dsl::AttentionSpec &spec = layer.attention;
  int64_t qWidth = spec.heads * spec.headDim;
  int64_t kvWidth = spec.kvHeads * spec.headDim;
  size_t next = 0;
  auto take = [&]() { return weights[next++]; };

  Value wq, wk, wv, bq, bk, bv;
  if (spec.qkv.empty()) {
    wq = asOutIn(take(), spec.transposed, loc);
    if (spec.qkvBias)
      bq = take();
    wk = asOutIn(take(), spec.transposed, loc);
    if (spec.qkvBias)
      bk = take();
    wv = asOutIn(take(), spec.transposed, loc);
    if (spec.qkvBias)
      bv = take();
  } else {
    // A fused projection is split into q, k and v along its output rows.
    SmallVector<int64_t> sizes = {qWidth, kvWidth, kvWidth};
    Value wqkv = asOutIn(take(), spec.transposed, loc);
    auto split = SplitOp::create(builder, loc, wqkv, /*axis=*/0, sizes);
    wq = split.getResult(0);
    wk = split.getResult(1);
    wv = split.getResult(2);
    if (spec.qkvBias) {
      auto biasSplit = SplitOp::create(builder, loc, take(), /*axis=*/0, sizes);
      bq = biasSplit.getResult(0);
      bk = biasSplit.getResult(1);
      bv = biasSplit.getResult(2);
    }
  }
  Value wo = asOutIn(take(), spec.transposed, loc);
  Value bo = spec.outBias ? take() : Value();
  Value qNorm = spec.qkNorm ? take() : Value();
  Value kNorm = spec.qkNorm ? take() : Value();

  FloatAttr rope, qkNormEps;
  if (spec.ropeTheta)
    rope = builder.getF64FloatAttr(*spec.ropeTheta);
  if (spec.qkNorm)
    qkNormEps = builder.getF64FloatAttr(spec.qkNormEps);
  IntegerAttr window;
  if (spec.window)
    window = builder.getI64IntegerAttr(spec.window);
  auto op = AttentionOp::create(builder, loc, x, wq, wk, wv, wo, bq, bk, bv, bo,
                                qNorm, kNorm, spec.heads, spec.kvHeads,
                                spec.headDim, spec.causal, rope,
                                spec.ropeInterleaved, qkNormEps, window);
  return op.getResult();
}

FailureOr<Value> Generator::emitMLP(const dsl::Layer &layer, Value x,
                                    ArrayRef<Value> weights, Location loc) {
  const dsl::MLPSpec &spec = layer.mlp;
  size_t next = 0;
  auto projection = [&](Value &weight, Value &bias) {
    weight = asOutIn(weights[next++], spec.transposed, loc);
    if (spec.bias)
      bias = weights[next++];
  };
  ActivationKind act = convertActivation(spec.act);
  Value wGate, bGate, wUp, bUp, wDown, bDown;
  if (layer.kind == dsl::LayerKind::GatedMLP)
    projection(wGate, bGate);
  projection(wUp, bUp);
  projection(wDown, bDown);
  if (layer.kind == dsl::LayerKind::GatedMLP)
    return GatedMLPOp::create(builder, loc, x, wGate, wUp, wDown, bGate, bUp,
                              bDown, act)
        .getResult();
  return MLPOp::create(builder, loc, x, wUp, wDown, bUp, bDown, act)
      .getResult();
}

FailureOr<Value> Generator::emitMoE(const dsl::Layer &layer, Value x,
                                    ArrayRef<Value> weights, Location loc) {
  const dsl::MoESpec &spec = layer.moe;
  // The experts' matrices stacked expert after expert, for one kernel call.
  SmallVector<Value> gates, ups, downs;
  for (int64_t e = 0; e < spec.experts; ++e) {
    gates.push_back(weights[1 + 3 * e]);
    ups.push_back(weights[2 + 3 * e]);
    downs.push_back(weights[3 + 3 * e]);
  }
  auto stack = [&](ArrayRef<Value> parts) -> Value {
    if (parts.size() == 1)
      return parts.front();
    return ConcatOp::create(builder, loc, parts, /*axis=*/0).getResult();
  };
  // A shared expert is a gated MLP of its own, added in the kernel.
  Value shared, sharedGate;
  size_t next = 1 + 3 * size_t(spec.experts);
  ActivationKind act = convertActivation(spec.act);
  if (spec.sharedHidden != 0) {
    shared =
        GatedMLPOp::create(builder, loc, x, weights[next], weights[next + 1],
                           weights[next + 2], Value(), Value(), Value(), act)
            .getResult();
    if (!spec.sharedGate.empty())
      sharedGate = weights[next + 3];
  }
  return MoEOp::create(builder, loc, x.getType(), x, weights[0], stack(gates),
                       stack(ups), stack(downs), shared, sharedGate,
                       spec.experts, spec.topK, spec.renormalize, act)
      .getResult();
}

FailureOr<SmallVector<Value>> Generator::emitBlockUse(const dsl::Layer &layer,
                                                      ValueRange inputs,
                                                      ArrayRef<Value> weights,
                                                      Location loc) {
  const dsl::BlockUseSpec &use = layer.blockUse;
  func::FuncOp callee = blockFuncs.lookup(use.block);
  SmallVector<int> unshared = unsharedSlots(use);
  // The weights of a copy; an unshared slot has one per iteration.
  size_t perCopy = 0;
  for (int owner : unshared)
    perCopy += owner >= 0 ? size_t(use.iterations) : 1;

  // A block that calls blocks is emitted in place, so that the blocks it
  // calls read the model's weights themselves: the passes that rewrite
  // weights (fusion, quantization, pruning) follow one call from the entry
  // point to a weight, not a chain of them. So is a block used once (not
  // stacked or looped): its ops then sit beside the caller's, so that the
  // fusions see across the block's boundary (an attention written out as a
  // block, whose output projection takes the caller's residual), and a
  // stacked block that uses it stays one function called per layer.
  bool inPlace = callsBlocks(*use.block) || (!use.loop && !use.stacked);
  // Applies the `count` stacked copies in order to `state`.
  auto applyStack = [&](ValueRange state) -> FailureOr<SmallVector<Value>> {
    SmallVector<Value> current(state.begin(), state.end());
    for (int64_t copy = 0; copy < use.count; ++copy) {
      SmallVector<Value> selected;
      ArrayRef<Value> copyWeights = weights.slice(copy * perCopy, perCopy);
      if (!use.unshared.empty()) {
        copyWeights = selected =
            selectIterationWeights(use, unshared, copyWeights, state, loc);
        if (selected.empty())
          return failure();
      }
      if (inPlace) {
        FailureOr<SmallVector<Value>> result =
            emitInPlace(*use.block, current, copyWeights);
        if (failed(result))
          return failure();
        current.assign(result->begin(), result->end());
        continue;
      }
      SmallVector<Value> operands(current);
      llvm::append_range(operands, copyWeights);
      auto call = func::CallOp::create(builder, loc, callee, operands);
      current.assign(call.getResults().begin(), call.getResults().end());
    }
    return current;
  };

  if (!use.loop) {
    return applyStack(inputs);
  }
  // The exit gate's weights come last.
  ArrayRef<Value> gateWeights;
  if (use.exitGate != ~0u) {
    gateWeights = weights.drop_front(perCopy * use.count);
    weights = weights.take_front(perCopy * use.count);
  }
  if (use.loraRank != 0)
    return emitLoraLoop(layer, inputs, weights, gateWeights, loc);

  auto loop = LoopOp::create(builder, loc, use.iterations, inputs);
  setExitRule(loop, use);
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *body = loop.getBody();
    builder.setInsertionPointToStart(body);
    FailureOr<SmallVector<Value>> result =
        applyStack(body->getArguments().drop_front());
    if (failed(result))
      return failure();
    appendExitLogits(*result, use, gateWeights, loc);
    YieldOp::create(builder, loc, *result);
  }
  return SmallVector<Value>(loop.getResults().take_front(inputs.size()));
}

SmallVector<size_t> Generator::layerWeightOffsets(const dsl::Block &block) {
  SmallVector<size_t> first;
  size_t offset = 0;
  for (const dsl::Layer &layer : block.layers) {
    first.push_back(offset);
    std::vector<WeightSlot> layerSlots;
    collectWeights(layer, layerSlots);
    offset += layerSlots.size();
  }
  first.push_back(offset);
  return first;
}

bool Generator::callsBlocks(const dsl::Block &block) {
  return llvm::any_of(block.layers, [](const dsl::Layer &layer) {
    if (layer.kind != dsl::LayerKind::Block)
      return false;
    const dsl::BlockUseSpec &use = layer.blockUse;
    return use.loop || use.stacked || callsBlocks(*use.block);
  });
}

FailureOr<SmallVector<Value>> Generator::emitInPlace(const dsl::Block &block,
                                                     ValueRange inputs,
                                                     ArrayRef<Value> weights) {
  // Each layer's weights are a contiguous run of `weights`, as the
  // arguments of the block's function are.
  SmallVector<size_t> firstWeight = layerWeightOffsets(block);
  auto weightsOf = [&](unsigned layer) {
    return SmallVector<Value>(weights.slice(
        firstWeight[layer], firstWeight[layer + 1] - firstWeight[layer]));
  };
  return emitForward(block.forward, block.layers, inputs, weightsOf);
}

SmallVector<Value> Generator::selectIterationWeights(
    const dsl::BlockUseSpec &use, ArrayRef<int> unshared,
    ArrayRef<Value> weights, ValueRange state, Location loc) {
  // Inside the loop's body: its first argument is the iteration index.
  Value index = cast<BlockArgument>(state.front()).getOwner()->getArgument(0);
  SmallVector<Value> result;
  size_t next = 0;
  for (int owner : unshared) {
    if (owner < 0) {
      result.push_back(weights[next++]);
      continue;
    }
    SmallVector<Attribute> params;
    for (Value copy : weights.slice(next, use.iterations)) {
      auto read = copy.getDefiningOp<WeightOp>();
      if (!read) {
        emitError(loc) << "an 'unshared' loop needs the model's weights";
        return {};
      }
      params.push_back(read.getParamAttr());
    }
    result.push_back(
        WeightSelectOp::create(builder, loc, weights[next].getType(),
                               builder.getArrayAttr(params), index));
    next += use.iterations;
  }
  return result;
}

void Generator::setExitRule(LoopOp loop, const dsl::BlockUseSpec &use) {
  if (use.exit == dsl::BlockUseSpec::Exit::None)
    return;
  loop.setExitRuleAttr(ExitRuleAttr::get(
      builder.getContext(), use.exit == dsl::BlockUseSpec::Exit::Gate
                                ? ExitRule::Gate
                                : ExitRule::Converge));
  loop.setExitThresholdAttr(builder.getF64FloatAttr(use.exitThreshold));
}

void Generator::appendExitLogits(SmallVectorImpl<Value> &yielded,
                                 const dsl::BlockUseSpec &use,
                                 ArrayRef<Value> gateWeights, Location loc) {
  if (use.exit != dsl::BlockUseSpec::Exit::Gate)
    return;
  const dsl::Layer &gate = *exitGate;
  Value w = asOutIn(gateWeights[0], gate.linear.transposed, loc);
  Value bias = gate.linear.bias ? gateWeights[1] : Value();
  yielded.push_back(
      LinearOp::create(builder, loc, yielded.front(), w, bias).getResult());
}

FailureOr<SmallVector<Value>>
Generator::emitLoraLoop(const dsl::Layer &layer, ValueRange inputs,
                        ArrayRef<Value> weights, ArrayRef<Value> gateWeights,
                        Location loc) {
  const dsl::BlockUseSpec &use = layer.blockUse;
  int64_t rank = use.loraRank;
  // Errors at the declaration; ops at the use.
  Location declared = this->loc(layer.range);
  const std::vector<WeightSlot> &slots = blockWeights(*use.block);
  // The shared matrices: the block's 2-D weights, as arguments after its
  // inputs.
  SmallVector<unsigned> matrices, positions;
  for (auto [index, slot] : llvm::enumerate(slots)) {
    if (slot.type.getRank() != 2)
      continue;
    int64_t side = std::min(slot.type.getDimSize(0), slot.type.getDimSize(1));
    if (rank > side)
      return emitError(declared) << "the LoRA rank " << rank
                                 << " is above the smaller side of the shared "
                                    "weight '"
                                 << slot.name << "' " << slot.type;
    matrices.push_back(unsigned(index));
    positions.push_back(unsigned(inputs.size() + index));
  }
  if (matrices.empty())
    return emitError(declared) << "'lora' adds deltas to the block's "
                                  "matrices, but it has none";
  func::FuncOp callee = blockFuncs.lookup(use.block);
  std::string name = (callee.getSymName() + "_lora" + Twine(rank)).str();
  auto deltas = module.lookupSymbol<func::FuncOp>(name);
  if (!deltas) {
    SymbolTable symbols(module);
    FailureOr<func::FuncOp> added = addLoraDeltas(
        callee, positions, name, [&](RankedTensorType) { return rank; }, "lora",
        "write the block with Linear, Attention and MLP layers whose weights "
        "are stored as [out, in]",
        symbols, declared);
    if (failed(added))
      return failure();
    deltas = *added;
    loraBases.insert(callee);
  }

  auto loop = LoopOp::create(builder, loc, use.iterations, inputs);
  setExitRule(loop, use);
  OpBuilder::InsertionGuard guard(builder);
  Block *body = loop.getBody();
  builder.setInsertionPointToStart(body);
  Value index = loop.getIterationIndex();
  size_t perCopy = slots.size();
  SmallVector<Value> current(body->getArguments().drop_front());
  for (int64_t copy = 0; copy < use.count; ++copy) {
    SmallVector<Value> operands(current);
    llvm::append_range(operands, weights.slice(copy * perCopy, perCopy));
    std::string prefix = instantiate(layer.binding, copy);
    // Each shared matrix's factors, `NAME.lora.I.a` ([r, K]) and `.b`
    // ([N, r]), chosen by iteration.
    for (unsigned matrix : matrices) {
      const WeightSlot &slot = slots[matrix];
      Type element = slot.type.getElementType();
      for (StringRef part : {"a", "b"}) {
        auto type = part == "a"
                        ? RankedTensorType::get({rank, slot.type.getDimSize(1)},
                                                element)
                        : RankedTensorType::get({slot.type.getDimSize(0), rank},
                                                element);
        SmallVector<Attribute> params;
        for (int64_t iteration = 0; iteration < use.iterations; ++iteration) {
          FailureOr<ParamOp> param =
              getOrCreateParam(joinPath(prefix, slot.name + ".lora." +
                                                    std::to_string(iteration) +
                                                    "." + part.str()),
                               type, loc);
          if (failed(param))
            return failure();
          params.push_back(FlatSymbolRefAttr::get(param->getSymNameAttr()));
        }
        operands.push_back(WeightSelectOp::create(
            builder, loc, type, builder.getArrayAttr(params), index));
      }
    }
    auto call = func::CallOp::create(builder, loc, deltas, operands);
    current.assign(call.getResults().begin(), call.getResults().end());
  }
  appendExitLogits(current, use, gateWeights, loc);
  YieldOp::create(builder, loc, current);
  return SmallVector<Value>(loop.getResults().take_front(inputs.size()));
}

FailureOr<Value> Generator::emitLayer(const dsl::Layer &layer,
                                      ValueRange inputs,
                                      ArrayRef<Value> weights, Location loc) {
  Value x = inputs.front();
  switch (layer.kind) {
  case dsl::LayerKind::Embedding:
    return EmbeddingOp::create(builder, loc, x, weights[0]).getResult();
  case dsl::LayerKind::PositionalEmbedding: {
    // Only the length of the ids is read: features stand in as that many.
    if (isa<FloatType>(cast<RankedTensorType>(x.getType()).getElementType()))
      x = tensor::EmptyOp::create(
          builder, loc,
          ArrayRef<OpFoldResult>{tensor::getMixedSize(builder, loc, x, 0)},
          builder.getI32Type());
    return PositionEmbeddingOp::create(builder, loc, x, weights[0]).getResult();
  }
  case dsl::LayerKind::Linear: {
    Value w = asOutIn(weights[0], layer.linear.transposed, loc);
    Value bias = layer.linear.bias ? weights[1] : Value();
    return LinearOp::create(builder, loc, x, w, bias).getResult();
  }
  case dsl::LayerKind::LayerNorm: {
    Value beta = layer.norm.bias ? weights[1] : Value();
    return LayerNormOp::create(builder, loc, x, weights[0], beta,
                               layer.norm.eps)
        .getResult();
  }
  case dsl::LayerKind::RMSNorm:
    return RMSNormOp::create(builder, loc, x, weights[0], layer.norm.eps)
        .getResult();
  case dsl::LayerKind::Attention:
    return emitAttention(layer, x, weights, loc);
  case dsl::LayerKind::MLP:
  case dsl::LayerKind::GatedMLP:
    return emitMLP(layer, x, weights, loc);
  case dsl::LayerKind::MoE:
    return emitMoE(layer, x, weights, loc);
  case dsl::LayerKind::Block:
  case dsl::LayerKind::Param:
    break;
  }
  llvm_unreachable("blocks are emitted by emitBlockUse; a Param is read");
}

FailureOr<SmallVector<Value>> Generator::emitForward(
    const dsl::Forward &forward, ArrayRef<dsl::Layer> layers, ValueRange inputs,
    llvm::function_ref<SmallVector<Value>(unsigned)> weightsOf) {
  SmallVector<Value> values;
  // The values of calls of blocks that return several.
  llvm::DenseMap<unsigned, SmallVector<Value>> calls;
  values.reserve(forward.nodes.size());
  for (const dsl::Node &node : forward.nodes) {
    // Scores and what leads to them become part of the attention op that
    // reads them.
    if (dsl::isAttentionPart(node.kind)) {
      values.push_back(Value());
      continue;
    }
    Location nodeLoc = loc(node.range);
    // A [seq, 1] column combined with heads [seq, heads, width] applies to
    // every head: [seq, 1, 1].
    auto operand = [&](unsigned i) {
      Value value = values[node.operands[i]];
      const dsl::Node &input = forward.nodes[node.operands[i]];
      if (node.kind != dsl::ValueKind::Heads ||
          input.kind != dsl::ValueKind::Features ||
          node.op == dsl::Node::Op::SplitHeads)
        return value;
      auto type = cast<RankedTensorType>(value.getType());
      return Value(tensor::ExpandShapeOp::create(
          builder, nodeLoc, f32Type({type.getDimSize(0), 1, 1}), value,
          ArrayRef<ReassociationIndices>{{0}, {1, 2}},
          ArrayRef<OpFoldResult>{
              tensor::getMixedSize(builder, nodeLoc, value, 0),
              builder.getIndexAttr(1), builder.getIndexAttr(1)}));
    };
    FailureOr<Value> value = failure();
    switch (node.op) {
    case dsl::Node::Op::Input:
      value = inputs[node.input];
      break;
    case dsl::Node::Op::CallLayer: {
      SmallVector<Value> operands;
      for (unsigned i = 0, e = node.operands.size(); i != e; ++i)
        operands.push_back(operand(i));
      SmallVector<Value> weights = weightsOf(node.layer);
      // An adaptive loop's exit gate: its weights follow the block's.
      const dsl::Layer &layer = layers[node.layer];
      if (layer.kind == dsl::LayerKind::Block &&
          layer.blockUse.exitGate != ~0u) {
        llvm::append_range(weights, weightsOf(layer.blockUse.exitGate));
        exitGate = &layers[layer.blockUse.exitGate];
      }
      if (layer.kind != dsl::LayerKind::Block) {
        value = emitLayer(layer, operands, weights, nodeLoc);
        break;
      }
      FailureOr<SmallVector<Value>> results =
          emitBlockUse(layer, operands, weights, nodeLoc);
      if (failed(results))
        return failure();
      value = results->front();
      calls[values.size()] = std::move(*results);
      break;
    }
    case dsl::Node::Op::Result:
      value = calls.lookup(node.operands[0])[node.row];
      break;
    case dsl::Node::Op::Activation:
      value = ActivationOp::create(builder, nodeLoc,
                                   convertActivation(node.act), operand(0))
                  .getResult();
      break;
    case dsl::Node::Op::Add:
    case dsl::Node::Op::Mul: {
      Value lhs = operand(0), rhs = operand(1);
      // Rows broadcast from the right-hand side; both ops commute.
      if (forward.nodes[node.operands[0]].kind == dsl::ValueKind::Row &&
          forward.nodes[node.operands[1]].kind != dsl::ValueKind::Row)
        std::swap(lhs, rhs);
      if (node.op == dsl::Node::Op::Add)
        value = AddOp::create(builder, nodeLoc, lhs, rhs).getResult();
      else
        value = MulOp::create(builder, nodeLoc, lhs, rhs).getResult();
      break;
    }
    case dsl::Node::Op::Scale:
      value = ScaleOp::create(builder, nodeLoc, operand(0), node.factor)
                  .getResult();
      break;
    case dsl::Node::Op::EmbeddingRow: {
      SmallVector<Value> weights = weightsOf(node.layer);
      value = EmbeddingRowOp::create(builder, nodeLoc, weights[0], node.row)
                  .getResult();
      break;
    }
    case dsl::Node::Op::Param:
      value = weightsOf(node.layer)[0];
      break;
    case dsl::Node::Op::Constant: {
      auto type = f32Type({1});
      value = arith::ConstantOp::create(
                  builder, nodeLoc, type,
                  DenseElementsAttr::get(type, float(node.factor)))
                  .getResult();
      break;
    }
    case dsl::Node::Op::TopK:
      value = TopKOp::create(builder, nodeLoc, operand(0),
                             builder.getI64IntegerAttr(node.width))
                  .getResult(node.row);
      break;
    case dsl::Node::Op::Gather:
      value = GatherOp::create(builder, nodeLoc, operand(0), operand(1))
                  .getResult();
      break;
    case dsl::Node::Op::Range: {
      auto type = f32Type({node.width});
      SmallVector<float> elements;
      for (int64_t i = 0; i < node.width; ++i)
        elements.push_back(float(i));
      value = arith::ConstantOp::create(
                  builder, nodeLoc, type,
                  DenseElementsAttr::get(type, ArrayRef<float>(elements)))
                  .getResult();
      break;
    }
    case dsl::Node::Op::Sub:
      value =
          SubOp::create(builder, nodeLoc, operand(0), operand(1)).getResult();
      break;
    case dsl::Node::Op::Div:
      value =
          DivOp::create(builder, nodeLoc, operand(0), operand(1)).getResult();
      break;
    case dsl::Node::Op::Max:
      value =
          MaxOp::create(builder, nodeLoc, operand(0), operand(1)).getResult();
      break;
    case dsl::Node::Op::Min:
      value =
          MinOp::create(builder, nodeLoc, operand(0), operand(1)).getResult();
      break;
    case dsl::Node::Op::Pow:
      value =
          PowOp::create(builder, nodeLoc, operand(0), operand(1)).getResult();
      break;
    case dsl::Node::Op::Math:
      value =
          UnaryOp::create(builder, nodeLoc, convertMathFn(node.fn), operand(0))
              .getResult();
      break;
    case dsl::Node::Op::Reduce:
      value = ReduceOp::create(builder, nodeLoc,
                               convertReduction(node.reduction), operand(0))
                  .getResult();
      break;
    case dsl::Node::Op::Element: {
      Value row = SliceOp::create(builder, nodeLoc, operand(0), /*axis=*/0,
                                  node.row, /*size=*/1);
      // A matrix's row [1, N] as a row [N].
      if (cast<RankedTensorType>(row.getType()).getRank() == 2)
        row = tensor::CollapseShapeOp::create(
            builder, nodeLoc, row, ArrayRef<ReassociationIndices>{{0, 1}});
      value = row;
      break;
    }
    case dsl::Node::Op::Concat: {
      SmallVector<Value> pieces;
      for (unsigned i = 0, e = node.operands.size(); i != e; ++i)
        pieces.push_back(operand(i));
      int64_t axis = cast<RankedTensorType>(pieces[0].getType()).getRank() - 1;
      value = ConcatOp::create(builder, nodeLoc, pieces, axis).getResult();
      break;
    }
    case dsl::Node::Op::Slice: {
      int64_t axis = cast<RankedTensorType>(operand(0).getType()).getRank() - 1;
      value = SliceOp::create(builder, nodeLoc, operand(0), axis, node.row,
                              node.width)
                  .getResult();
      break;
    }
    case dsl::Node::Op::MatMul:
      // x W for W [K, N] is the product with W^T stored [N, K] (the
      // kernels read a transposed weight in place).
      value = LinearOp::create(
                  builder, nodeLoc, operand(0),
                  TransposeOp::create(builder, nodeLoc, operand(1)), Value())
                  .getResult();
      break;
    case dsl::Node::Op::Transpose:
      value = TransposeOp::create(builder, nodeLoc, operand(0)).getResult();
      break;
    case dsl::Node::Op::SplitHeads:
      value = splitHeads(operand(0), node.rows, node.width, nodeLoc);
      break;
    case dsl::Node::Op::MergeHeads:
      value = mergeHeads(operand(0), nodeLoc);
      break;
    case dsl::Node::Op::Softmax:
      value = emitSoftmax(operand(0), nodeLoc);
      break;
    case dsl::Node::Op::Attend:
      value = emitAttend(node, operand(0), operand(1), operand(2), nodeLoc);
      break;
    case dsl::Node::Op::LinearAttend:
      value =
          emitLinearAttend(node, operand(0), operand(1), operand(2), nodeLoc);
      break;
    case dsl::Node::Op::CumSum:
      value = CumSumOp::create(builder, nodeLoc, operand(0)).getResult();
      break;
    case dsl::Node::Op::Positions:
      value = PositionsOp::create(builder, nodeLoc, operand(0)).getResult();
      break;
    case dsl::Node::Op::Rope:
    case dsl::Node::Op::Scores:
    case dsl::Node::Op::Tril:
    case dsl::Node::Op::Mask:
      llvm_unreachable("parts of an attention have no IR of their own");
    }
    if (failed(value))
      return failure();
    values.push_back(*value);
  }
  if (forward.results.empty())
    return SmallVector<Value>{values[forward.result]};
  SmallVector<Value> results;
  for (unsigned node : forward.results)
    results.push_back(values[node]);
  return results;
}

void Generator::emitBlock(const dsl::Block &block) {
  const std::vector<WeightSlot> &slots = blockWeights(block);
  SmallVector<Type> argTypes;
  for (const dsl::Forward::Input &input : block.forward.inputs)
    argTypes.push_back(input.isIds ? Type(idsType())
                                   : Type(featureType(input.width)));
  size_t numInputs = argTypes.size();
  for (const WeightSlot &slot : slots)
    argTypes.push_back(slot.type);
  SmallVector<Type> resultTypes;
  for (unsigned node : block.forward.results)
    resultTypes.push_back(nodeType(block.forward.nodes[node]));

  Location blockLoc = loc(block.range);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  auto func =
      func::FuncOp::create(builder, blockLoc, block.name,
                           builder.getFunctionType(argTypes, resultTypes));
  func.setPrivate();
  func->setAttr("loom.block", builder.getUnitAttr());
  // Name each weight argument after its checkpoint path inside the block.
  for (auto [i, slot] : llvm::enumerate(slots))
    func.setArgAttr(numInputs + i, "loom.weight",
                    builder.getStringAttr(slot.name));
  blockFuncs[&block] = func;

  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);

  // Each layer's weights are a contiguous run of the weight arguments.
  SmallVector<size_t> firstWeight = layerWeightOffsets(block);
  auto weightsOf = [&](unsigned layer) {
    SmallVector<Value> weights;
    for (size_t i = firstWeight[layer]; i < firstWeight[layer + 1]; ++i)
      weights.push_back(entry->getArgument(numInputs + i));
    return weights;
  };

  FailureOr<SmallVector<Value>> result =
      emitForward(block.forward, block.layers,
                  entry->getArguments().take_front(numInputs), weightsOf);
  // Blocks fail only through the model's parameters; emit a return anyway so
  // that the function stays well formed.
  if (succeeded(result))
    func::ReturnOp::create(builder, blockLoc, *result);
}

OwningOpRef<ModuleOp> Generator::generate(const dsl::Model &model) {
  OwningOpRef<ModuleOp> owned = ModuleOp::create(loc(model.range));
  module = *owned;

  // Config values become a module attribute, for later stages and readers.
  SmallVector<NamedAttribute> config;
  for (const auto &[name, value] : model.config) {
    Attribute attr;
    switch (value.kind) {
    case dsl::ConfigValue::Kind::Int:
      attr = builder.getI64IntegerAttr(value.intValue);
      break;
    case dsl::ConfigValue::Kind::Float:
      attr = builder.getF64FloatAttr(value.floatValue);
      break;
    case dsl::ConfigValue::Kind::Bool:
      attr = builder.getBoolAttr(value.boolValue);
      break;
    case dsl::ConfigValue::Kind::String:
      attr = builder.getStringAttr(value.stringValue);
      break;
    }
    config.emplace_back(builder.getStringAttr(name), attr);
  }
  module->setAttr("loom.model", builder.getStringAttr(model.name));
  module->setAttr("loom.config", builder.getDictionaryAttr(config));

  for (const std::unique_ptr<dsl::Block> &block : model.blocks)
    emitBlock(*block);

  // The entry point.
  const dsl::Forward &forward = model.forward;
  Type resultType = nodeType(forward.nodes[forward.result]);
  builder.setInsertionPointToEnd(module.getBody());
  Location forwardLoc = loc(model.range);
  auto func = func::FuncOp::create(
      builder, forwardLoc, "forward",
      builder.getFunctionType(
          {forward.inputs.front().isIds
               ? Type(idsType())
               : Type(featureType(forward.inputs.front().width))},
          resultType));
  func->setAttr("loom.entry", builder.getUnitAttr());
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);

  bool paramsFailed = false;
  auto weightsOf = [&](unsigned index) {
    const dsl::Layer &layer = model.layers[index];
    std::vector<WeightSlot> slots;
    collectWeights(layer, slots);
    SmallVector<Value> weights;
    Location layerLoc = loc(layer.range);
    for (const WeightSlot &slot : slots) {
      FailureOr<ParamOp> param =
          getOrCreateParam(slot.name, slot.type, layerLoc);
      if (failed(param)) {
        // Go on with a stand-in value so that every conflict is reported;
        // the module is dropped at the end.
        paramsFailed = true;
        weights.push_back(tensor::EmptyOp::create(builder, layerLoc,
                                                  slot.type.getShape(),
                                                  slot.type.getElementType()));
        continue;
      }
      weights.push_back(WeightOp::create(builder, layerLoc, *param));
    }
    return weights;
  };
  FailureOr<SmallVector<Value>> result =
      emitForward(forward, model.layers, entry->getArguments(), weightsOf);
  if (failed(result) || paramsFailed)
    return nullptr;
  func::ReturnOp::create(builder, forwardLoc, result->front());

  // A block that only `lora` loops use runs as its copies with deltas.
  for (func::FuncOp base : loraBases)
    if (SymbolTable::symbolKnownUseEmpty(base, module))
      base.erase();
  // Blocks emitted in place everywhere leave their functions unused (in
  // reverse, so that a function goes before those only it called).
  for (const std::unique_ptr<dsl::Block> &block : llvm::reverse(model.blocks)) {
    func::FuncOp func = blockFuncs.lookup(block.get());
    if (func && !loraBases.contains(func) &&
        SymbolTable::symbolKnownUseEmpty(func, module))
      func.erase();
  }
  // Views of heads that an attention or a merge read through leave unused
  // reshapes behind; the passes that match products (q/k/v fusion) want
  // the products' only uses.
  SmallVector<Operation *> views;
  module.walk([&](Operation *op) {
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::DimOp,
            arith::ConstantOp>(op))
      views.push_back(op);
  });
  for (Operation *op : llvm::reverse(views))
    if (op->use_empty())
      op->erase();

  if (failed(verify(module)))
    return nullptr;
  return owned;
}

OwningOpRef<ModuleOp> loom::mlirGen(MLIRContext &ctx, const dsl::Model &model,
                                    const llvm::SourceMgr &srcMgr) {
  ctx.loadDialect<LoomDialect, arith::ArithDialect, func::FuncDialect,
                  tensor::TensorDialect>();
  return Generator(ctx, srcMgr).generate(model);
}
