//===- ExpandExitLoops.cpp - Adaptive loops as generated code -------------===//
//
// Implements `loom-expand-exit-loops`: an adaptive `loom.loop` (tokens may
// leave it early) becomes a plain loop that carries each token's state, for
// builds whose every op is generated code. The runtime's kernels keep that
// state on the host (LowerExitLoops.cpp); here it is tensors, so that a
// device runs the loop without the host reading its memory. The key and
// value rows the body caches follow the rule of `loom_write_kv`: a running
// token's rows also stand for the iterations after this one, and a token
// that left keeps the rows of its last iteration.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/KernelCalls.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Utils/KVCache.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMEXPANDEXITLOOPS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;
using namespace loom::cpu;
using loom::CachedAttentionOp;
using loom::LoopOp;
using utils::IteratorType;

namespace {

/// `linalg.generic` over the loops of `iterators` whose operands are read
/// through `maps`, yielding what `body` returns.
linalg::GenericOp buildGeneric(
    OpBuilder &b, Location loc, ValueRange inputs, ValueRange outputs,
    ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<Type> types;
  for (Value output : outputs)
    types.push_back(output.getType());
  return linalg::GenericOp::create(
      b, loc, types, inputs, outputs, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args));
      });
}

/// An empty [rows, tail...] tensor of `element`.
Value emptyRows(OpBuilder &b, Location loc, OpFoldResult rows,
                ArrayRef<int64_t> tail, Type element) {
  SmallVector<OpFoldResult> sizes = {rows};
  for (int64_t extent : tail)
    sizes.push_back(b.getIndexAttr(extent));
  return tensor::EmptyOp::create(b, loc, sizes, element);
}

/// A [rows] tensor of `element` filled with `value`.
Value filledRows(OpBuilder &b, Location loc, OpFoldResult rows, Type element,
                 TypedAttr value) {
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar,
                                emptyRows(b, loc, rows, {}, element))
      .getResult(0);
}

/// Rewrites the adaptive loops of a module, cloning the functions their
/// bodies call that cache key and value rows.
class Expander {
public:
  explicit Expander(ModuleOp module) : module(module), symbols(module) {}

  /// Refuses an adaptive loop inside another (the rule decides once per
  /// token and iteration), before any is expanded.
  LogicalResult checkNesting(LoopOp loop);
  LogicalResult expand(LoopOp loop);
  /// Erases the private functions that were cloned and that nothing calls
  /// any more, their clones having taken every call (and, in turn, what
  /// only those called).
  void eraseUnusedOriginals();

private:
  /// Whether `function` (or what it calls) holds a `loom.cached_attention`.
  bool cachesRows(func::FuncOp function);
  /// Whether `region` (or what it calls) holds an adaptive loop.
  bool holdsAdaptiveLoop(Region &region);
  /// `function` with the left flags and the iterations left as two more
  /// arguments, its attention writes following the adaptive rule.
  FailureOr<func::FuncOp> cloneFor(func::FuncOp function);
  /// In `region`: calls of functions that cache rows go to their clones,
  /// and attention writes follow the adaptive rule, with the tokens' left
  /// flags `left` and the iterations left `copies`.
  LogicalResult rewriteRegion(Region &region, Value left, Value copies);
  /// One attention's writes under the adaptive rule.
  LogicalResult maskWrites(CachedAttentionOp op, Value left, Value copies);

  ModuleOp module;
  SymbolTable symbols;
  /// The floats a position between an attention slot in one iteration and
  /// the same slot in the next, of the loop being expanded.
  int64_t iterationWidth = 0;
  llvm::DenseMap<Operation *, bool> caches;
  llvm::DenseMap<Operation *, bool> adaptive;
  llvm::DenseMap<std::pair<Operation *, int64_t>, func::FuncOp> clones;
};

void Expander::eraseUnusedOriginals() {
  llvm::SmallPtrSet<Operation *, 8> erased;
  for (bool changed = true; changed;) {
    changed = false;
    for (auto &entry : clones) {
      Operation *original = entry.first.first;
      if (erased.contains(original) ||
          !cast<func::FuncOp>(original).isPrivate() ||
          !SymbolTable::symbolKnownUseEmpty(original, module))
        continue;
      erased.insert(original);
      symbols.erase(original);
      changed = true;
    }
  }
}

bool Expander::cachesRows(func::FuncOp function) {
  auto [it, inserted] = caches.try_emplace(function, false);
  if (!inserted)
    return it->second;
  bool found = false;
  function.walk([&](Operation *op) {
    if (isa<CachedAttentionOp>(op))
      found = true;
    else if (auto call = dyn_cast<func::CallOp>(op))
      if (auto callee = symbols.lookup<func::FuncOp>(call.getCallee()))
        if (!callee.isExternal() && cachesRows(callee))
          found = true;
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  caches[function] = found;
  return found;
}

bool Expander::holdsAdaptiveLoop(Region &region) {
  WalkResult result = region.walk([&](Operation *op) {
    if (auto loop = dyn_cast<LoopOp>(op); loop && loop.isAdaptive())
      return WalkResult::interrupt();
    auto call = dyn_cast<func::CallOp>(op);
    if (!call)
      return WalkResult::advance();
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (!callee || callee.isExternal())
      return WalkResult::advance();
    auto [it, inserted] = adaptive.try_emplace(callee, false);
    if (inserted)
      adaptive[callee] = holdsAdaptiveLoop(callee.getBody());
    return adaptive[callee] ? WalkResult::interrupt() : WalkResult::advance();
  });
  return result.wasInterrupted();
}

LogicalResult Expander::checkNesting(LoopOp loop) {
  if (!holdsAdaptiveLoop(loop.getRegion()))
    return success();
  return loop.emitError("a loop that tokens may leave early cannot hold "
                        "another one");
}

FailureOr<func::FuncOp> Expander::cloneFor(func::FuncOp function) {
  auto key = std::make_pair(function.getOperation(), iterationWidth);
  if (func::FuncOp clone = clones.lookup(key))
    return clone;
  func::FuncOp clone = function.clone();
  clone.setName((function.getSymName() + "_exit").str());
  clone.setPrivate();
  symbols.insert(clone, Block::iterator(function));
  clones[key] = clone;
  Location loc = function.getLoc();
  MLIRContext *ctx = module.getContext();
  unsigned count = clone.getNumArguments();
  auto leftType =
      RankedTensorType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 32));
  if (failed(clone.insertArgument(count, leftType, {}, loc)) ||
      failed(clone.insertArgument(count + 1, IndexType::get(ctx), {}, loc)))
    return function.emitError("cannot add the adaptive loop's arguments");
  Block &entry = clone.getBody().front();
  if (failed(rewriteRegion(clone.getBody(), entry.getArgument(count),
                           entry.getArgument(count + 1))))
    return failure();
  return clone;
}

LogicalResult Expander::rewriteRegion(Region &region, Value left,
                                      Value copies) {
  SmallVector<Operation *> ops;
  region.walk([&](Operation *op) {
    if (isa<CachedAttentionOp, func::CallOp>(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    if (auto attention = dyn_cast<CachedAttentionOp>(op)) {
      if (failed(maskWrites(attention, left, copies)))
        return failure();
      continue;
    }
    auto call = cast<func::CallOp>(op);
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (!callee || callee.isExternal() || !cachesRows(callee))
      continue;
    FailureOr<func::FuncOp> clone = cloneFor(callee);
    if (failed(clone))
      return failure();
    SmallVector<Value> operands(call.getOperands());
    operands.append({left, copies});
    OpBuilder builder(call);
    auto redirected =
        func::CallOp::create(builder, call.getLoc(), *clone, operands);
    redirected->setDiscardableAttrs(call->getDiscardableAttrDictionary());
    call.replaceAllUsesWith(redirected.getResults());
    call.erase();
  }
  return success();
}

LogicalResult Expander::maskWrites(CachedAttentionOp op, Value left,
                                   Value copies) {
  if (iterationWidth <= 0)
    return op.emitError("an adaptive loop's attention needs its cache "
                        "geometry: bind the model to the runtime first "
                        "(--loom-bind-runtime)");
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  Value pos = op.getPos();
  auto rowsOf = [&](Value rows) {
    return tensor::getMixedSize(b, loc, rows, 0);
  };
  for (OpOperand *rowsOperand : {&op.getKMutable(), &op.getVMutable()}) {
    Value cache = rowsOperand == &op.getKMutable() ? op.getKeyCache()
                                                   : op.getValueCache();
    auto slotView = cache.getDefiningOp<memref::ReinterpretCastOp>();
    if (!slotView || slotView.getMixedOffsets().size() != 1 ||
        slotView.getMixedSizes().size() != 3)
      return op.emitError("an adaptive loop's attention needs its cache slot "
                          "as a view of the flat cache (as "
                          "--loom-bind-runtime makes it)");
    Value rows = rowsOperand->get();
    auto rowsType = cast<RankedTensorType>(rows.getType());
    Type element = rowsType.getElementType();
    int64_t width = rowsType.getDimSize(1);
    OpFoldResult seq = rowsOf(rows);

    // The slot in this iteration and every later one: a [copies, max_seq,
    // width] view whose first stride is the iterations' distance.
    auto index = [&](OpFoldResult value) {
      return getValueOrCreateConstantIndexOp(b, loc, value);
    };
    Value maxSeq = index(slotView.getMixedSizes()[1]);
    Value slotStart = arith::AddIOp::create(
        b, loc, index(slotView.getMixedOffsets()[0]),
        arith::MulIOp::create(b, loc, op.getSlot(),
                              index(slotView.getMixedStrides()[0])));
    Value apart = arith::MulIOp::create(
        b, loc, maxSeq, arith::ConstantIndexOp::create(b, loc, iterationWidth));
    auto spanType = MemRefType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, width}, element,
        StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                               {ShapedType::kDynamic, width, 1}));
    Value span = memref::ReinterpretCastOp::create(
        b, loc, spanType, slotView.getSource(), OpFoldResult(slotStart),
        {OpFoldResult(copies), OpFoldResult(maxSeq), b.getIndexAttr(width)},
        {OpFoldResult(apart), b.getIndexAttr(width), b.getIndexAttr(1)});
    // Its rows [pos, pos + seq).
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), pos,
                                         b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {copies, seq, b.getIndexAttr(width)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    auto regionType = cast<MemRefType>(
        memref::SubViewOp::inferResultType(spanType, offsets, sizes, strides));
    Value region = memref::SubViewOp::create(b, loc, regionType, span, offsets,
                                             sizes, strides);
    auto blockType = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic, width}, element);
    Value before = bufferization::ToTensorOp::create(
        b, loc, blockType, region, /*restrict=*/true, /*writable=*/false);

    // Running tokens' rows to every copy; tokens that left keep theirs.
    AffineExpr c, r, w;
    bindDims(ctx, c, r, w);
    auto select = [](OpBuilder &nb, Location l, ValueRange args) {
      Value running = arith::CmpIOp::create(
          nb, l, arith::CmpIPredicate::eq, args[1],
          arith::ConstantIntOp::create(nb, l, nb.getI32Type(), 0));
      return SmallVector<Value>{
          arith::SelectOp::create(nb, l, running, args[0], args[2])};
    };
    Value written =
        buildGeneric(
            b, loc, ValueRange{rows, left, before},
            tensor::EmptyOp::create(
                b, loc,
                SmallVector<OpFoldResult>{copies, seq, b.getIndexAttr(width)},
                element)
                .getResult(),
            {AffineMap::get(3, 0, {r, w}, ctx), AffineMap::get(3, 0, {r}, ctx),
             AffineMap::get(3, 0, {c, r, w}, ctx),
             AffineMap::get(3, 0, {c, r, w}, ctx)},
            {IteratorType::parallel, IteratorType::parallel,
             IteratorType::parallel},
            select)
            .getResult(0);
    // What the attention caches in this iteration's slot: the same rows
    // (read from the slot before it is written).
    AffineExpr i, j;
    bindDims(ctx, i, j);
    Value kept =
        buildGeneric(
            b, loc, ValueRange{rows, left, before},
            emptyRows(b, loc, seq, {width}, element),
            {AffineMap::get(2, 0, {i, j}, ctx), AffineMap::get(2, 0, {i}, ctx),
             AffineMap::get(2, 0, {b.getAffineConstantExpr(0), i, j}, ctx),
             AffineMap::get(2, 0, {i, j}, ctx)},
            {IteratorType::parallel, IteratorType::parallel}, select)
            .getResult(0);
    // Written after everything that reads the slot's old rows.
    bufferization::MaterializeInDestinationOp::create(
        b, loc, /*result=*/Type(), written, region, /*restrict=*/false,
        /*writable=*/true);
    rowsOperand->set(kept);
  }
  return success();
}

LogicalResult Expander::expand(LoopOp loop) {
  // The verifier ensures one [seq, width] iter_arg.
  Value x = loop.getInits()[0];
  auto type = cast<RankedTensorType>(x.getType());
  if (type.isDynamicDim(1))
    return loop.emitError("an adaptive loop in generated code needs rows of "
                          "a static width, got ")
           << type;
  auto widthAttr = loop->getAttrOfType<IntegerAttr>(loom::kIterationWidthAttr);
  iterationWidth = widthAttr ? widthAttr.getInt() : 0;
  FailureOr<Value> context = contextFor(loop, LOOM_KERNEL_EXIT_THRESHOLD);
  if (failed(context))
    return failure();

  OpBuilder b(loop);
  Location loc = loop.getLoc();
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type(), f64 = b.getF64Type();
  Type element = type.getElementType();
  int64_t width = type.getDimSize(1);
  int64_t tripCount = loop.getTripCountAttr().getInt();
  bool gated = loop.getExitRule() == loom::ExitRule::Gate;
  OpFoldResult rows = tensor::getMixedSize(b, loc, x, 0);

  // The threshold the run applies (0: every token runs every iteration).
  double modelThreshold = loop.getExitThresholdAttr().getValueAsDouble();
  Value threshold =
      callKernel(b, loc, loop, LOOM_KERNEL_EXIT_THRESHOLD,
                 {*context, arith::ConstantOp::create(
                                b, loc, b.getF64FloatAttr(modelThreshold))},
                 f64)
          .getResult(0);

  // Per token: left (0/1), the gate's cumulative exit probability and
  // survival, and the iterations it ran.
  SmallVector<Value> inits = {
      x, filledRows(b, loc, rows, i32, b.getI32IntegerAttr(0)),
      filledRows(b, loc, rows, f64, b.getF64FloatAttr(0.0)),
      filledRows(b, loc, rows, f64, b.getF64FloatAttr(1.0)),
      filledRows(b, loc, rows, i32, b.getI32IntegerAttr(0))};
  auto plain = LoopOp::create(b, loc, tripCount, inits);
  Block *body = plain.getBodyBlock();
  Value iteration = plain.getIterationIndex();
  Value h = body->getArgument(1), left = body->getArgument(2),
        cdf = body->getArgument(3), survival = body->getArgument(4),
        depth = body->getArgument(5);

  // An iteration runs only while some token does: the host reads how many
  // (on a device, one number copied back; --loom-place-on-device).
  b.setInsertionPointToStart(body);
  Value stillRunning =
      buildGeneric(
          b, loc, ValueRange{left},
          linalg::FillOp::create(
              b, loc, arith::ConstantIntOp::create(b, loc, i32, 0).getResult(),
              tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{1}, i32)
                  .getResult())
              .getResult(0),
          {AffineMap::get(1, 0, {b.getAffineDimExpr(0)}, ctx),
           AffineMap::get(1, 0, {b.getAffineConstantExpr(0)}, ctx)},
          {IteratorType::reduction},
          [](OpBuilder &nb, Location l, ValueRange args) {
            Value running = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::eq, args[0],
                arith::ConstantIntOp::create(nb, l, nb.getI32Type(), 0));
            return SmallVector<Value>{arith::AddIOp::create(
                nb, l, args[1],
                arith::ExtUIOp::create(nb, l, nb.getI32Type(), running))};
          })
          .getResult(0);
  Value anyRunning = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::sgt,
      tensor::ExtractOp::create(
          b, loc, stillRunning,
          ValueRange{arith::ConstantIndexOp::create(b, loc, 0)}),
      arith::ConstantIntOp::create(b, loc, i32, 0));
  SmallVector<Value> carried(body->getArguments().drop_front());
  auto branch = scf::IfOp::create(b, loc, ValueRange(carried).getTypes(),
                                  anyRunning, /*withElseRegion=*/true);
  b.setInsertionPointToStart(&branch.getElseRegion().front());
  scf::YieldOp::create(b, loc, carried);
  b.setInsertionPointAfter(branch);
  loom::YieldOp::create(b, loc, branch.getResults());

  // Then: the old body, its attention writes following the adaptive rule.
  Block *then = &branch.getThenRegion().front();
  b.setInsertionPointToStart(then);
  Value copies = arith::SubIOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, tripCount), iteration);
  Block *old = loop.getBodyBlock();
  auto yield = cast<loom::YieldOp>(old->getTerminator());
  old->getArgument(0).replaceAllUsesWith(iteration);
  old->getArgument(1).replaceAllUsesWith(h);
  then->getOperations().splice(then->end(), old->getOperations(), old->begin(),
                               Block::iterator(yield));
  if (failed(rewriteRegion(branch.getThenRegion(), left, copies)))
    return failure();
  b.setInsertionPointToEnd(then);
  Value next = yield.getValues()[0];
  Value gateLogits = gated ? yield.getValues()[1] : Value();

  // Convergence: each row's squared change and squared size (f64).
  AffineExpr r, w;
  bindDims(ctx, r, w);
  AffineMap row = AffineMap::get(2, 0, {r}, ctx);
  AffineMap full = AffineMap::get(2, 0, {r, w}, ctx);
  Value change, size;
  if (!gated) {
    auto sums = buildGeneric(
        b, loc, ValueRange{h, next},
        ValueRange{filledRows(b, loc, rows, f64, b.getF64FloatAttr(0.0)),
                   filledRows(b, loc, rows, f64, b.getF64FloatAttr(0.0))},
        {full, full, row, row},
        {IteratorType::parallel, IteratorType::reduction},
        [](OpBuilder &nb, Location l, ValueRange args) {
          Type f64 = nb.getF64Type();
          Value before = arith::ExtFOp::create(nb, l, f64, args[0]);
          Value after = arith::ExtFOp::create(nb, l, f64, args[1]);
          Value d = arith::SubFOp::create(nb, l, after, before);
          return SmallVector<Value>{
              arith::AddFOp::create(nb, l, args[2],
                                    arith::MulFOp::create(nb, l, d, d)),
              arith::AddFOp::create(
                  nb, l, args[3],
                  arith::MulFOp::create(nb, l, before, before))};
        });
    change = sums.getResult(0);
    size = sums.getResult(1);
  }

  // The exit rule, for the tokens still running.
  Value iterationI32 = arith::IndexCastOp::create(b, loc, i32, iteration);
  Value ran = arith::AddIOp::create(
      b, loc, iterationI32, arith::ConstantIntOp::create(b, loc, i32, 1));
  Value last = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::sge, ran,
      arith::ConstantIntOp::create(b, loc, i32, tripCount));
  SmallVector<Value> inputs = {left, cdf, survival, depth};
  SmallVector<AffineMap> maps(4, AffineMap::get(1, 0, {r}, ctx));
  if (gated) {
    inputs.push_back(gateLogits);
    maps.push_back(AffineMap::get(1, 0, {r, b.getAffineConstantExpr(0)}, ctx));
  } else {
    inputs.append({change, size});
    maps.append(2, AffineMap::get(1, 0, {r}, ctx));
  }
  SmallVector<Value> outputs = {
      emptyRows(b, loc, rows, {}, i32), emptyRows(b, loc, rows, {}, f64),
      emptyRows(b, loc, rows, {}, f64), emptyRows(b, loc, rows, {}, i32)};
  maps.append(4, AffineMap::get(1, 0, {r}, ctx));
  auto decided = buildGeneric(
      b, loc, inputs, outputs, maps, {IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        auto f64Constant = [&](double value) {
          return arith::ConstantOp::create(nb, l, nb.getF64FloatAttr(value));
        };
        auto cmp = [&](arith::CmpFPredicate predicate, Value a, Value c) {
          return arith::CmpFOp::create(nb, l, predicate, a, c).getResult();
        };
        Value running = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::eq, args[0],
            arith::ConstantIntOp::create(nb, l, nb.getI32Type(), 0));
        Value enabled =
            cmp(arith::CmpFPredicate::OGT, threshold, f64Constant(0.0));
        Value cdfNext = args[1], survivalNext = args[2], early;
        if (gated) {
          // lambda = sigmoid(logit); the last iteration takes what
          // probability is left.
          Value logit = arith::ExtFOp::create(nb, l, nb.getF64Type(), args[4]);
          Value lambda = arith::DivFOp::create(
              nb, l, f64Constant(1.0),
              arith::AddFOp::create(
                  nb, l, f64Constant(1.0),
                  math::ExpOp::create(nb, l,
                                      arith::NegFOp::create(nb, l, logit))));
          Value probability = arith::SelectOp::create(
              nb, l, last, args[2],
              arith::MulFOp::create(nb, l, lambda, args[2]));
          cdfNext = arith::AddFOp::create(nb, l, args[1], probability);
          survivalNext = arith::MulFOp::create(
              nb, l, args[2],
              arith::SubFOp::create(nb, l, f64Constant(1.0), lambda));
          // A threshold of 1 runs every iteration, whatever the sum's
          // rounding.
          Value below =
              cmp(arith::CmpFPredicate::OLT, threshold, f64Constant(1.0));
          early = arith::AndIOp::create(
              nb, l, below, cmp(arith::CmpFPredicate::OGE, cdfNext, threshold));
        } else {
          // A zero row has converged only if it stays zero.
          Value zeroSize =
              cmp(arith::CmpFPredicate::OEQ, args[5], f64Constant(0.0));
          Value unchanged =
              cmp(arith::CmpFPredicate::OEQ, args[4], f64Constant(0.0));
          Value relative = math::SqrtOp::create(
              nb, l, arith::DivFOp::create(nb, l, args[4], args[5]));
          Value small = cmp(arith::CmpFPredicate::OLT, relative, threshold);
          early = arith::SelectOp::create(nb, l, zeroSize, unchanged, small);
        }
        early = arith::AndIOp::create(nb, l, enabled, early);
        Value exits = arith::OrIOp::create(nb, l, last, early);
        Value leftNext = arith::SelectOp::create(
            nb, l, running,
            arith::ExtUIOp::create(nb, l, nb.getI32Type(), exits), args[0]);
        return SmallVector<Value>{
            leftNext, arith::SelectOp::create(nb, l, running, cdfNext, args[1]),
            arith::SelectOp::create(nb, l, running, survivalNext, args[2]),
            arith::SelectOp::create(nb, l, running, ran, args[3])};
      });

  // Tokens that had left keep their rows; the others take the new ones.
  Value keptRows =
      buildGeneric(
          b, loc, ValueRange{h, next, left},
          emptyRows(b, loc, rows, {width}, element), {full, full, row, full},
          {IteratorType::parallel, IteratorType::parallel},
          [](OpBuilder &nb, Location l, ValueRange args) {
            Value running = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::eq, args[2],
                arith::ConstantIntOp::create(nb, l, nb.getI32Type(), 0));
            return SmallVector<Value>{
                arith::SelectOp::create(nb, l, running, args[1], args[0])};
          })
          .getResult(0);
  scf::YieldOp::create(b, loc,
                       ValueRange{keptRows, decided.getResult(0),
                                  decided.getResult(1), decided.getResult(2),
                                  decided.getResult(3)});
  yield.erase();

  b.setInsertionPointAfter(plain);
  callKernel(b, loc, loop, LOOM_KERNEL_EXIT_RECORD,
             {*context, readOnlyBuffer(b, loc, plain.getResult(4)),
              i64Constant(b, loc, tripCount)});
  loop.getResult(0).replaceAllUsesWith(plain.getResult(0));
  loop.erase();
  return success();
}

struct ExpandExitLoopsPass
    : loom::cpu::impl::LoomExpandExitLoopsBase<ExpandExitLoopsPass> {
  void runOnOperation() override {
    SmallVector<LoopOp> loops;
    getOperation().walk([&](LoopOp loop) {
      if (loop.isAdaptive())
        loops.push_back(loop);
    });
    Expander expander(getOperation());
    for (LoopOp loop : loops)
      if (failed(expander.checkNesting(loop)))
        return signalPassFailure();
    for (LoopOp loop : loops)
      if (failed(expander.expand(loop)))
        return signalPassFailure();
    expander.eraseUnusedOriginals();
  }
};

} // namespace
