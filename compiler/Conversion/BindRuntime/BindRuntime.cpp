//===- BindRuntime.cpp - The model entry point's runtime calling convention
//===//

#include "compiler/Conversion/BindRuntime/WeightUses.h"
#include "compiler/Conversion/Passes.h"
#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/IR/QuantFormat.h"
#include "dialects/Loom/Transforms/Passes.h"
#include "dialects/Loom/Utils/KVCache.h"
#include "dialects/Loom/Utils/ModelContext.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <numeric>

namespace loom {
#define GEN_PASS_DEF_LOOMBINDRUNTIME
#include "compiler/Conversion/Passes.h.inc"
} // namespace loom

using namespace mlir;
using namespace loom;

namespace {

/// Floats a cached position takes in `attend`'s slot.
int64_t kvWidth(AttendOp attend) {
  return int64_t(attend.getNumKvHeads()) * int64_t(attend.getHeadDim());
}

/// Floats the running state of a cumulative sum or of a causal linear
/// attention takes; 0 for other ops.
int64_t stateFloats(Operation *op) {
  if (auto cumsum = dyn_cast<CumSumOp>(op)) {
    int64_t floats = 1;
    for (int64_t size : cast<RankedTensorType>(cumsum.getX().getType())
                            .getShape()
                            .drop_front())
      floats *= size;
    return floats;
  }
  if (auto attend = dyn_cast<LinearAttendOp>(op))
    return int64_t(attend.getNumKvHeads()) * int64_t(attend.getHeadDim()) *
           attend.getValueDim();
  return 0;
}

/// What one run of a block (or of the model) takes of the KV cache and of
/// the running states.
struct Footprint {
  /// Attention executions: each has a slot of its own.
  int64_t slots = 0;
  /// Floats per cached position over those slots: the sum of their widths
  /// (kv_heads * head_dim each).
  int64_t width = 0;
  /// Floats of running state (cumulative sums, linear attention), one
  /// range per execution.
  int64_t state = 0;

  Footprint &operator+=(const Footprint &other) {
    slots += other.slots;
    width += other.width;
    state += other.state;
    return *this;
  }
  Footprint times(int64_t count) const {
    return {slots * count, width * count, state * count};
  }
};

/// The KV cache: one flat buffer each for keys and values, slot after slot.
/// Slot s holds [max_seq, width_s] floats from max_seq * (width_0 + ... +
/// width_{s-1}) on, so layers may cache rows of different widths (after
/// pruning heads, say).
struct CacheGeometry {
  /// Every slot, in execution order.
  Footprint total;
  /// Each slot's width.
  SmallVector<int64_t> widths;
  /// The widths' greatest common divisor: slots lie back to back, so every
  /// cache row starts at a multiple of it.
  int64_t rowMultiple = 0;
};

/// The quantization a derived param's init ends in (its bytes are that
/// format's), if it does.
QuantizeOp quantizationOf(ParamOp param) {
  if (!param.isDerived())
    return {};
  Operation *terminator = param.getInit().front().getTerminator();
  if (terminator->getNumOperands() != 1)
    return {};
  return terminator->getOperand(0).getDefiningOp<QuantizeOp>();
}

/// True if derived `param` is its sources' rows, one matrix after the other:
/// `loom.concat` along axis 0 of matrices read straight from params.
bool stacksRows(ParamOp param) {
  Operation *terminator = param.getInit().front().getTerminator();
  if (terminator->getNumOperands() != 1)
    return false;
  auto concat = terminator->getOperand(0).getDefiningOp<ConcatOp>();
  return concat && concat.getAxis() == 0 &&
         llvm::all_of(concat.getInputs(), [](Value input) {
           return input.getDefiningOp<WeightOp>() &&
                  cast<RankedTensorType>(input.getType()).getRank() == 2;
         });
}

/// The values every function of the model receives from the runtime.
struct RuntimeState {
  /// The model context (`loom_context *`): weights and the kernels' state.
  Value context;
  /// The position of the first token, and the KV cache (flat buffers).
  Value pos, keyCache, valueCache;
  /// The running states of the whole model (a flat buffer the context
  /// points to), if it has any.
  Value states;
};

class RuntimeBinder {
public:
  RuntimeBinder(ModuleOp module, func::FuncOp entry, bool packWeights,
                StringRef weightType)
      : module(module), entry(entry), packWeights(packWeights),
        weightType(weightType), builder(module.getContext()),
        llvmConverter(module.getContext()) {}

  LogicalResult run();

private:
  LogicalResult checkForm();
  /// Checks that `function` (`forward` or `forward_last`) has the form the
  /// runtime calls.
  LogicalResult checkEntry(func::FuncOp function);
  /// Checks that no block calls itself, directly or through others.
  LogicalResult checkNoRecursion();
  /// Orders `derived` so that each follows the derived params it reads.
  LogicalResult orderDerived();
  LogicalResult computeGeometry();
  /// Number of attention executions in `block` per run, counting loop trips
  /// and the attentions of called blocks.
  Footprint footprint(Block &block);
  Footprint footprint(func::FuncOp func);
  /// Appends the widths of the slots `block` uses, in execution order.
  void collectWidths(Block &block, SmallVectorImpl<int64_t> &widths);
  /// Gives `entry` the runtime's calling convention; returns its state.
  RuntimeState rewriteSignature(func::FuncOp entry);
  /// Gives each block function the runtime state and its first slot as
  /// trailing arguments.
  void extendBlockSignatures(Type cacheType);
  /// Pointer field `field` (LOOM_CONTEXT_*) of the model context `context`,
  /// loaded at the builder's insertion point.
  Value loadContextField(Location loc, Value context, int32_t field);
  /// The address of the weight table of `context`, loaded at the builder's
  /// insertion point.
  Value loadWeightTable(Location loc, Value context);
  /// Table entry `index` (a `param`'s data) as a memref of its shape.
  Value loadParamBuffer(Value table, int64_t index, ParamOp param);
  /// The data `pointer` points to, as a memref of `param`'s shape.
  Value paramBuffer(Value pointer, ParamOp param);
  /// Element `index` of `values`, a constant array (an internal global),
  /// as an i64 loaded at the builder's point.
  Value loadConstantEntry(Location loc, ArrayRef<int64_t> values, Value index);
  /// The data of table entry `indices[index]`, a memref of `param`'s shape.
  Value loadSelectedBuffer(Location loc, Value table, ArrayRef<int64_t> indices,
                           Value index, ParamOp param);
  /// The data of the param `select` picks.
  Value loadSelectedBuffer(Value table, WeightSelectOp select);
  /// Reads `entry`'s parameters from the weight table of the model context.
  void bindWeights(func::FuncOp entry, Value context);
  /// The `prepare` entry point: evaluates each derived param's `init` into
  /// its table entry.
  void createPrepare();
  /// Binds the attention cores (`loom.attend`) of `block` to their KV cache
  /// slots and the ops with a running state to theirs (and passes the
  /// runtime state on to called blocks); `base` is the slot of the first
  /// attention, `stateBase` the offset of the first running state.
  void bindAttention(Block &block, Value base, Value stateBase,
                     const RuntimeState &state);
  /// The flat buffer of running states `context` points to (null when the
  /// model has none), loaded at the builder's point.
  Value loadStates(Location loc, Value context);
  /// `op`'s running state: `floats` floats of the flat `states` from
  /// `offset` on, as a memref of `shape`.
  Value stateView(Location loc, Value states, Value offset,
                  ArrayRef<int64_t> shape);
  void emitModelInfo();

  Value indexConstant(Location loc, int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc, value);
  }

  ModuleOp module;
  func::FuncOp entry;
  /// Whether the runtime's kernels read the weight matrices (and so may
  /// repack them).
  bool packWeights;
  /// What the runtime keeps weight matrices in (see loom_abi.h).
  StringRef weightType;
  OpBuilder builder;
  LLVMTypeConverter llvmConverter;
  CacheGeometry cache;
  /// Params read from the checkpoint, in table order ...
  SmallVector<ParamOp> params;
  /// ... then derived params, each after those it reads.
  SmallVector<ParamOp> derived;
  /// Table index of every param.
  llvm::DenseMap<StringAttr, int64_t> tableIndex;
  /// Private functions (blocks) and their slot counts.
  SmallVector<func::FuncOp> blocks;
  llvm::DenseMap<Operation *, Footprint> footprints;
  /// Constant arrays of table indices made for `loom.weight_select`.
  int64_t selectTables = 0;
  bool causal = false;
};

} // namespace

LogicalResult RuntimeBinder::checkForm() {
  for (ParamOp param : module.getOps<ParamOp>()) {
    Type element = param.getTensorType().getElementType();
    bool half = param.isDerived() && (element.isBF16() || element.isF16());
    if (!element.isF32() && !half && !quantizationOf(param))
      return param.emitError("only f32 parameters, quantized weights "
                             "computed by loom.quantize and derived bf16 or "
                             "f16 weights are supported by the runtime yet, "
                             "got ")
             << param.getTensorType();
    (param.isDerived() ? derived : params).push_back(param);
  }
  if (failed(orderDerived()))
    return failure();
  for (ParamOp param : llvm::concat<ParamOp>(params, derived))
    tableIndex[param.getSymNameAttr()] = int64_t(tableIndex.size());
  if (failed(checkEntry(entry)))
    return failure();
  if (auto last = module.lookupSymbol<func::FuncOp>(LOOM_ENTRY_FORWARD_LAST);
      last && !last.isPrivate() && failed(checkEntry(last)))
    return failure();
  // Params picked by an index are read from the weight table the entry
  // points hold.
  WalkResult selects = module.walk([&](WeightSelectOp select) {
    auto func = select->getParentOfType<func::FuncOp>();
    if (func && (func == entry || func.getSymName() == LOOM_ENTRY_FORWARD_LAST))
      return WalkResult::advance();
    select.emitError("loom.weight_select is supported in the entry point "
                     "only (where --loom-roll-layers puts it)");
    return WalkResult::interrupt();
  });
  if (selects.wasInterrupted())
    return failure();
  if (Attribute name = module->getAttr("loom.model");
      name && !isa<StringAttr>(name))
    return module.emitError("'loom.model' must be a string, got ") << name;
  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    // The runtime's entry points have names of their own: a block may not
    // take them.
    bool lastRow = func.getSymName() == LOOM_ENTRY_FORWARD_LAST;
    if ((lastRow && func.isPrivate()) ||
        func.getSymName() == LOOM_ENTRY_PREPARE)
      return func.emitError("'")
             << func.getSymName()
             << "' is the name of a runtime entry point; rename the block";
    if (func == entry || func.isExternal() || lastRow)
      continue;
    if (!func.isPrivate())
      return func.emitError("only the entry point may be public; blocks are "
                            "private functions");
    if (!func.getBody().hasOneBlock())
      return func.emitError("a block of the model must have a single block "
                            "of operations");
    blocks.push_back(func);
  }
  WalkResult calls = module.walk([&](func::CallOp call) {
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (callee && !callee.isExternal() && callee != entry)
      return WalkResult::advance();
    call.emitError("calls must target a block of the model");
    return WalkResult::interrupt();
  });
  if (calls.wasInterrupted())
    return failure();
  return checkNoRecursion();
}

LogicalResult RuntimeBinder::checkEntry(func::FuncOp function) {
  if (function.isExternal())
    return function.emitError("the entry point has no body");
  if (!function.getBody().hasOneBlock() ||
      !isa<func::ReturnOp>(function.front().getTerminator()))
    return function.emitError("the entry point must be a single block of "
                              "operations ending in a return");
  FunctionType type = function.getFunctionType();
  if (type.getNumInputs() != 1 || type.getNumResults() != 1)
    return function.emitError("the entry point must take token ids and "
                              "return one tensor");
  auto result = dyn_cast<RankedTensorType>(type.getResult(0));
  if (!result || result.getRank() != 2 || !result.getElementType().isF32())
    return function.emitError("the entry point must return a [seq, width] "
                              "f32 tensor, got ")
           << type.getResult(0);
  auto input = dyn_cast<RankedTensorType>(type.getInput(0));
  bool ids =
      input && input.getRank() == 1 && input.getElementType().isInteger(32);
  bool features = input && input.getRank() == 2 &&
                  input.getElementType().isF32() && !input.isDynamicDim(1);
  if (!ids && !features)
    return function.emitError("the entry point must take token ids "
                              "(tensor<?xi32>) or features (tensor<?xNxf32>), "
                              "got ")
           << type.getInput(0);
  return success();
}

LogicalResult RuntimeBinder::checkNoRecursion() {
  // Depth-first over the calls: a block reached again while it is being
  // visited calls itself (its KV slots and code would be unbounded).
  enum class Mark { Visiting, Done };
  llvm::DenseMap<Operation *, Mark> marks;
  std::function<LogicalResult(func::FuncOp)> visit =
      [&](func::FuncOp func) -> LogicalResult {
    if (!marks.try_emplace(func, Mark::Visiting).second)
      return success(); // Done: callers check for Visiting.
    WalkResult result = func.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      auto found = marks.find(callee);
      if (found != marks.end() && found->second == Mark::Visiting) {
        call.emitError("block '")
            << callee.getSymName()
            << "' calls itself; repeat a block with loom.loop instead";
        return WalkResult::interrupt();
      }
      return failed(visit(callee)) ? WalkResult::interrupt()
                                   : WalkResult::advance();
    });
    if (result.wasInterrupted())
      return failure();
    marks[func] = Mark::Done;
    return success();
  };
  if (failed(visit(entry)))
    return failure();
  for (func::FuncOp block : blocks)
    if (failed(visit(block)))
      return failure();
  return success();
}

LogicalResult RuntimeBinder::orderDerived() {
  // Depth-first over the derived params each init reads.
  llvm::DenseMap<StringAttr, ParamOp> byName;
  for (ParamOp param : derived)
    byName[param.getSymNameAttr()] = param;
  enum class Mark { Visiting, Done };
  llvm::DenseMap<Operation *, Mark> marks;
  SmallVector<ParamOp> ordered;
  std::function<LogicalResult(ParamOp)> visit =
      [&](ParamOp param) -> LogicalResult {
    auto [it, inserted] = marks.try_emplace(param, Mark::Visiting);
    if (!inserted) {
      if (it->second == Mark::Done)
        return success();
      return param.emitError("derived parameter '")
             << param.getSymName() << "' depends on itself";
    }
    WalkResult result = param.getInit().walk([&](WeightOp weight) {
      ParamOp source = byName.lookup(weight.getParamAttr().getAttr());
      if (source && failed(visit(source)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return failure();
    marks[param] = Mark::Done;
    ordered.push_back(param);
    return success();
  };
  for (ParamOp param : derived)
    if (failed(visit(param)))
      return failure();
  derived = std::move(ordered);
  return success();
}

Footprint RuntimeBinder::footprint(func::FuncOp func) {
  auto it = footprints.find(func);
  if (it != footprints.end())
    return it->second;
  Footprint result = footprint(func.front());
  footprints[func] = result;
  return result;
}

Footprint RuntimeBinder::footprint(Block &block) {
  Footprint result;
  for (Operation &op : block) {
    if (auto attend = dyn_cast<AttendOp>(op))
      result += {1, kvWidth(attend), 0};
    else if (int64_t floats = stateFloats(&op))
      result += {0, 0, floats};
    else if (auto loop = dyn_cast<LoopOp>(op))
      result += footprint(*loop.getBodyBlock()).times(loop.getTripCount());
    else if (auto call = dyn_cast<func::CallOp>(op))
      result += footprint(module.lookupSymbol<func::FuncOp>(call.getCallee()));
  }
  return result;
}

void RuntimeBinder::collectWidths(Block &block,
                                  SmallVectorImpl<int64_t> &widths) {
  for (Operation &op : block) {
    if (auto attend = dyn_cast<AttendOp>(op)) {
      widths.push_back(kvWidth(attend));
    } else if (auto loop = dyn_cast<LoopOp>(op)) {
      for (int64_t i = 0, e = loop.getTripCount(); i < e; ++i)
        collectWidths(*loop.getBodyBlock(), widths);
    } else if (auto call = dyn_cast<func::CallOp>(op)) {
      collectWidths(module.lookupSymbol<func::FuncOp>(call.getCallee()).front(),
                    widths);
    }
  }
}

LogicalResult RuntimeBinder::computeGeometry() {
  cache.total = footprint(entry);
  collectWidths(entry.front(), cache.widths);
  for (int64_t width : cache.widths)
    cache.rowMultiple = std::gcd(cache.rowMultiple, width);
  module.walk([&](AttendOp op) { causal |= op.getCausal(); });
  // Cumulative sums and linear attention mix along the sequence causally: a
  // model with them generates tokens.
  module.walk(
      [&](Operation *op) { causal |= isa<CumSumOp, LinearAttendOp>(op); });
  // A token that leaves an adaptive loop early would skip the later
  // iterations' updates of a running state.
  WalkResult adaptive = module.walk([&](LoopOp loop) {
    if (!loop.isAdaptive() || footprint(*loop.getBodyBlock()).state == 0)
      return WalkResult::advance();
    loop.emitError("a loop that tokens may leave early cannot hold a "
                   "cumulative sum or linear attention (their running state "
                   "needs every token in every iteration)");
    return WalkResult::interrupt();
  });
  return failure(adaptive.wasInterrupted());
}

RuntimeState RuntimeBinder::rewriteSignature(func::FuncOp entry) {
  MLIRContext *ctx = module.getContext();
  Location loc = entry.getLoc();
  Block &body = entry.front();
  auto result = cast<RankedTensorType>(entry.getFunctionType().getResult(0));
  Type f32 = Float32Type::get(ctx);
  auto cacheType = MemRefType::get({ShapedType::kDynamic}, f32);
  // Token ids [seq] of i32, or float features [seq, width].
  auto inputType = cast<RankedTensorType>(body.getArgument(0).getType());
  auto tokensType =
      MemRefType::get(inputType.getShape(), inputType.getElementType());
  auto outType = MemRefType::get(result.getShape(), f32);

  Value oldTokens = body.getArgument(0);
  RuntimeState state;
  state.context = body.addArgument(LLVM::LLVMPointerType::get(ctx), loc);
  Value tokens = body.addArgument(tokensType, loc);
  state.pos = body.addArgument(IndexType::get(ctx), loc);
  state.keyCache = body.addArgument(cacheType, loc);
  state.valueCache = body.addArgument(cacheType, loc);
  Value out = body.addArgument(outType, loc);

  builder.setInsertionPointToStart(&body);
  Value tokenTensor = bufferization::ToTensorOp::create(
      builder, loc, oldTokens.getType(), tokens, /*restrict=*/true,
      /*writable=*/false);
  oldTokens.replaceAllUsesWith(tokenTensor);
  body.eraseArgument(0);

  // The result is written into the caller's buffer.
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  builder.setInsertionPoint(ret);
  bufferization::MaterializeInDestinationOp::create(
      builder, ret.getLoc(), Type(), ret.getOperand(0), out,
      /*restrict=*/true, /*writable=*/true);
  func::ReturnOp::create(builder, ret.getLoc());
  ret.erase();

  entry.setFunctionType(
      FunctionType::get(ctx, body.getArgumentTypes(), TypeRange()));
  entry.removeArgAttrsAttr();
  entry.setArgAttr(0, kModelContextAttr, UnitAttr::get(ctx));
  entry->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  return state;
}

void RuntimeBinder::extendBlockSignatures(Type cacheType) {
  MLIRContext *ctx = module.getContext();
  Type indexType = IndexType::get(ctx);
  Type ptrType = LLVM::LLVMPointerType::get(ctx);
  auto contextAttrs = DictionaryAttr::get(
      ctx, {NamedAttribute(kModelContextAttr, UnitAttr::get(ctx))});
  for (func::FuncOp func : blocks) {
    Location loc = func.getLoc();
    unsigned first = func.getNumArguments();
    SmallVector<unsigned> indices(6, first);
    SmallVector<Type> types = {indexType, cacheType, cacheType,
                               indexType, indexType, ptrType};
    SmallVector<DictionaryAttr> attrs(5, DictionaryAttr());
    attrs.push_back(contextAttrs);
    SmallVector<Location> locs(6, loc);
    if (failed(func.insertArguments(indices, types, attrs, locs)))
      llvm_unreachable("appending arguments cannot fail");
    Block &body = func.front();
    RuntimeState state;
    state.pos = body.getArgument(first);
    state.keyCache = body.getArgument(first + 1);
    state.valueCache = body.getArgument(first + 2);
    Value base = body.getArgument(first + 3);
    Value stateBase = body.getArgument(first + 4);
    state.context = body.getArgument(first + 5);
    builder.setInsertionPointToStart(&body);
    state.states = loadStates(loc, state.context);
    bindAttention(body, base, stateBase, state);
  }
}

Value RuntimeBinder::loadStates(Location loc, Value context) {
  if (cache.total.state == 0)
    return Value();
  Value pointer = loadContextField(loc, context, LOOM_CONTEXT_STATES);
  auto memrefType = MemRefType::get({cache.total.state}, builder.getF32Type());
  Value descriptor = MemRefDescriptor::fromStaticShape(
      builder, loc, llvmConverter, memrefType, pointer);
  return UnrealizedConversionCastOp::create(builder, loc, memrefType,
                                            descriptor)
      .getResult(0);
}

Value RuntimeBinder::stateView(Location loc, Value states, Value offset,
                               ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  auto type =
      MemRefType::get(shape, builder.getF32Type(),
                      StridedLayoutAttr::get(builder.getContext(),
                                             ShapedType::kDynamic, strides));
  SmallVector<OpFoldResult> sizes, strideValues;
  for (auto [size, stride] : llvm::zip(shape, strides)) {
    sizes.push_back(builder.getIndexAttr(size));
    strideValues.push_back(builder.getIndexAttr(stride));
  }
  return memref::ReinterpretCastOp::create(
      builder, loc, type, states, OpFoldResult(offset), sizes, strideValues);
}

Value RuntimeBinder::loadContextField(Location loc, Value context,
                                      int32_t field) {
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto contextType = LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(LOOM_CONTEXT_FIELDS, ptrType));
  Value address =
      LLVM::GEPOp::create(builder, loc, ptrType, contextType, context,
                          ArrayRef<LLVM::GEPArg>{0, field});
  return LLVM::LoadOp::create(builder, loc, ptrType, address);
}

Value RuntimeBinder::loadWeightTable(Location loc, Value context) {
  return loadContextField(loc, context, LOOM_CONTEXT_WEIGHTS);
}

Value RuntimeBinder::loadParamBuffer(Value table, int64_t index,
                                     ParamOp param) {
  Location loc = param.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(module.getContext());
  Value element = LLVM::GEPOp::create(builder, loc, ptrType, ptrType, table,
                                      ArrayRef<LLVM::GEPArg>{int32_t(index)});
  Value pointer = LLVM::LoadOp::create(builder, loc, ptrType, element);
  return paramBuffer(pointer, param);
}

Value RuntimeBinder::loadConstantEntry(Location loc, ArrayRef<int64_t> values,
                                       Value index) {
  MLIRContext *ctx = module.getContext();
  auto i64 = IntegerType::get(ctx, 64);
  auto arrayType = LLVM::LLVMArrayType::get(i64, values.size());
  LLVM::GlobalOp global;
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(module.getBody());
    global = LLVM::GlobalOp::create(
        builder, loc, arrayType, /*isConstant=*/true, LLVM::Linkage::Internal,
        "loom.select." + std::to_string(selectTables++),
        DenseElementsAttr::get(
            RankedTensorType::get({int64_t(values.size())}, i64), values));
  }
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  Value address = LLVM::AddressOfOp::create(builder, loc, global);
  if (!index.getType().isInteger(64))
    index = arith::IndexCastOp::create(builder, loc, i64, index);
  Value entry = LLVM::GEPOp::create(builder, loc, ptrType, arrayType, address,
                                    ArrayRef<LLVM::GEPArg>{0, index});
  return LLVM::LoadOp::create(builder, loc, i64, entry);
}

Value RuntimeBinder::loadSelectedBuffer(Location loc, Value table,
                                        ArrayRef<int64_t> indices, Value index,
                                        ParamOp param) {
  auto ptrType = LLVM::LLVMPointerType::get(module.getContext());
  Value slot = loadConstantEntry(loc, indices, index);
  Value element = LLVM::GEPOp::create(builder, loc, ptrType, ptrType, table,
                                      ArrayRef<LLVM::GEPArg>{slot});
  Value pointer = LLVM::LoadOp::create(builder, loc, ptrType, element);
  return paramBuffer(pointer, param);
}

Value RuntimeBinder::loadSelectedBuffer(Value table, WeightSelectOp select) {
  SmallVector<int64_t> indices;
  for (Attribute name : select.getParams())
    indices.push_back(
        tableIndex.lookup(cast<FlatSymbolRefAttr>(name).getAttr()));
  auto first = module.lookupSymbol<ParamOp>(
      cast<FlatSymbolRefAttr>(select.getParams()[0]).getAttr());
  return loadSelectedBuffer(select.getLoc(), table, indices, select.getIndex(),
                            first);
}

Value RuntimeBinder::paramBuffer(Value pointer, ParamOp param) {
  Location loc = param.getLoc();
  RankedTensorType tensorType = param.getTensorType();
  auto memrefType =
      MemRefType::get(tensorType.getShape(), tensorType.getElementType());
  Value descriptor = MemRefDescriptor::fromStaticShape(
      builder, loc, llvmConverter, memrefType, pointer);
  return UnrealizedConversionCastOp::create(builder, loc, memrefType,
                                            descriptor)
      .getResult(0);
}

void RuntimeBinder::bindWeights(func::FuncOp entry, Value context) {
  // The table's address, then each parameter the entry point reads by name,
  // once at its top.
  llvm::DenseMap<StringAttr, Value> loaded;
  builder.setInsertionPointToStart(&entry.front());
  Value table = loadWeightTable(entry.getLoc(), context);
  llvm::DenseSet<StringAttr> named;
  entry.walk(
      [&](WeightOp weight) { named.insert(weight.getParamAttr().getAttr()); });
  for (ParamOp param : llvm::concat<ParamOp>(params, derived)) {
    if (!named.contains(param.getSymNameAttr()))
      continue;
    Value memref = loadParamBuffer(
        table, tableIndex.lookup(param.getSymNameAttr()), param);
    loaded[param.getSymNameAttr()] = bufferization::ToTensorOp::create(
        builder, param.getLoc(), param.getTensorType(), memref,
        /*restrict=*/true, /*writable=*/false);
  }
  entry.walk([&](WeightOp weight) {
    weight.replaceAllUsesWith(loaded.lookup(weight.getParamAttr().getAttr()));
    weight.erase();
  });
  // Params picked by an index (rolled layers): where they are read.
  entry.walk([&](WeightSelectOp select) {
    builder.setInsertionPoint(select);
    Value memref = loadSelectedBuffer(table, select);
    select.replaceAllUsesWith(
        bufferization::ToTensorOp::create(builder, select.getLoc(),
                                          select.getType(), memref,
                                          /*restrict=*/true, /*writable=*/false)
            .getResult());
    select.erase();
  });
}

/// True if the inits of `a` and `b` compute alike: the same ops with the
/// same attributes on corresponding values, reading params of the same
/// types (whichever they are). Appends the names of the params `b` reads to
/// `names`, in the order of its ops.
static bool computeAlike(ParamOp a, ParamOp b,
                         SmallVectorImpl<StringAttr> &names) {
  Block &first = a.getInit().front(), &second = b.getInit().front();
  if (first.getOperations().size() != second.getOperations().size())
    return false;
  IRMapping mapping;
  for (auto [x, y] : llvm::zip(first, second)) {
    if (x.getName() != y.getName() || x.getNumRegions() || y.getNumRegions() ||
        x.getResultTypes() != y.getResultTypes() ||
        x.getNumOperands() != y.getNumOperands())
      return false;
    for (auto [u, v] : llvm::zip(x.getOperands(), y.getOperands()))
      if (mapping.lookupOrDefault(u) != v)
        return false;
    if (auto weight = dyn_cast<WeightOp>(y)) {
      names.push_back(weight.getParamAttr().getAttr());
    } else if (!OperationEquivalence::isEquivalentTo(
                   &x, &y, OperationEquivalence::ignoreValueEquivalence,
                   /*markEquivalent=*/nullptr,
                   OperationEquivalence::IgnoreLocations)) {
      return false;
    }
    mapping.map(x.getResults(), y.getResults());
  }
  return true;
}

void RuntimeBinder::createPrepare() {
  if (derived.empty())
    return;
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  builder.setInsertionPoint(entry);
  Type indexType = IndexType::get(ctx);
  auto prepare = func::FuncOp::create(
      builder, loc, LOOM_ENTRY_PREPARE,
      FunctionType::get(ctx, {LLVM::LLVMPointerType::get(ctx), indexType}, {}));
  prepare.setArgAttr(0, kModelContextAttr, UnitAttr::get(ctx));
  prepare->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  Block *body = prepare.addEntryBlock();
  builder.setInsertionPointToStart(body);
  Value table = loadWeightTable(loc, body->getArgument(0));
  Value index = body->getArgument(1);

  // Derived params that compute alike from params of the same types (the
  // fused q/k/v of every layer) share one case, which reads its sources and
  // its destination through tables indexed by the param's position in the
  // group: the code stays the same size whatever the depth.
  struct Group {
    SmallVector<int64_t> members;
    /// Per weight the init reads (in op order), its table index per member.
    SmallVector<SmallVector<int64_t>> sources;
  };
  SmallVector<Group> groups;
  SmallVector<int64_t> groupOf, positionOf;
  for (auto [i, param] : llvm::enumerate(derived)) {
    SmallVector<StringAttr> names;
    auto group = llvm::find_if(groups, [&, &param = param](const Group &group) {
      names.clear();
      return computeAlike(derived[group.members.front()], param, names);
    });
    if (group == groups.end()) {
      names.clear();
      computeAlike(param, param, names);
      groups.push_back({{}, SmallVector<SmallVector<int64_t>>(names.size())});
      group = std::prev(groups.end());
    }
    groupOf.push_back(group - groups.begin());
    positionOf.push_back(int64_t(group->members.size()));
    group->members.push_back(int64_t(i));
    for (auto [source, name] : llvm::zip_equal(group->sources, names))
      source.push_back(tableIndex.lookup(name));
  }

  // The runtime computes derived params one at a time (each can be packed
  // and its memory given back before the next): one case per group, or per
  // param when no two compute alike.
  Value selected = index;
  if (groups.size() < derived.size())
    selected = arith::IndexCastOp::create(
        builder, loc, indexType, loadConstantEntry(loc, groupOf, index));
  SmallVector<int64_t> cases =
      llvm::to_vector(llvm::seq<int64_t>(0, int64_t(groups.size())));
  auto selector = scf::IndexSwitchOp::create(builder, loc, TypeRange(),
                                             selected, cases, cases.size());
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.createBlock(&selector.getDefaultRegion());
    scf::YieldOp::create(builder, loc);
  }
  for (auto [caseIndex, group] : llvm::enumerate(groups)) {
    OpBuilder::InsertionGuard guard(builder);
    builder.createBlock(&selector.getCaseRegions()[caseIndex]);
    ParamOp param = derived[group.members.front()];
    // The position of the member computed in the group.
    Value position;
    if (group.members.size() > 1)
      position = loadConstantEntry(loc, positionOf, index);
    IRMapping mapping;
    Block &init = param.getInit().front();
    for (Operation &op : init.without_terminator())
      builder.clone(op, mapping);
    Value result = mapping.lookup(init.getTerminator()->getOperand(0));
    if (group.members.size() == 1) {
      // Its sources are read by name, below.
      Value destination = loadParamBuffer(
          table, tableIndex.lookup(param.getSymNameAttr()), param);
      bufferization::MaterializeInDestinationOp::create(
          builder, param.getLoc(), Type(), result, destination,
          /*restrict=*/true, /*writable=*/true);
      scf::YieldOp::create(builder, loc);
      continue;
    }
    // The sources and the destination of the member at `position`.
    int64_t source = 0;
    for (Operation &op : init.without_terminator()) {
      auto weight = dyn_cast<WeightOp>(op);
      if (!weight)
        continue;
      auto copy =
          cast<WeightOp>(mapping.lookup(weight.getResult()).getDefiningOp());
      builder.setInsertionPoint(copy);
      Value memref = loadSelectedBuffer(
          copy.getLoc(), table, group.sources[source++], position,
          module.lookupSymbol<ParamOp>(copy.getParamAttr().getAttr()));
      copy.replaceAllUsesWith(
          bufferization::ToTensorOp::create(builder, copy.getLoc(),
                                            copy.getType(), memref,
                                            /*restrict=*/true,
                                            /*writable=*/false)
              .getResult());
      copy.erase();
    }
    builder.setInsertionPointToEnd(
        &selector.getCaseRegions()[caseIndex].front());
    SmallVector<int64_t> destinations;
    for (int64_t member : group.members)
      destinations.push_back(
          tableIndex.lookup(derived[member].getSymNameAttr()));
    Value destination = loadSelectedBuffer(param.getLoc(), table, destinations,
                                           position, param);
    bufferization::MaterializeInDestinationOp::create(
        builder, param.getLoc(), Type(), result, destination,
        /*restrict=*/true, /*writable=*/true);
    scf::YieldOp::create(builder, loc);
  }
  builder.setInsertionPointAfter(selector);
  func::ReturnOp::create(builder, loc);

  // The params each case reads by name come from the table (derived ones
  // were computed by earlier calls).
  prepare.walk([&](WeightOp weight) {
    StringAttr name = weight.getParamAttr().getAttr();
    builder.setInsertionPoint(weight);
    Value memref = loadParamBuffer(table, tableIndex.lookup(name),
                                   module.lookupSymbol<ParamOp>(name));
    weight.replaceAllUsesWith(
        bufferization::ToTensorOp::create(builder, weight.getLoc(),
                                          weight.getType(), memref,
                                          /*restrict=*/true, /*writable=*/false)
            .getResult());
    weight.erase();
  });
}

void RuntimeBinder::bindAttention(Block &block, Value base, Value stateBase,
                                  const RuntimeState &state) {
  Value pos = state.pos;
  int64_t next = 0, nextState = 0;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (auto loop = dyn_cast<LoopOp>(op)) {
      // Iteration i of a loop whose body's slots are w floats wide in all
      // starts at base + next + i * w; its running states at stateBase +
      // nextState + i * (the body's state floats).
      Block *body = loop.getBodyBlock();
      Footprint perIterationFootprint = footprint(*body);
      int64_t perIteration = perIterationFootprint.width;
      int64_t perIterationState = perIterationFootprint.state;
      Value iterationStateBase = stateBase;
      if (perIterationState != 0) {
        builder.setInsertionPointToStart(body);
        Location loc = loop.getLoc();
        Value offset =
            arith::MulIOp::create(builder, loc, loop.getIterationIndex(),
                                  indexConstant(loc, perIterationState));
        iterationStateBase = arith::AddIOp::create(
            builder, loc, stateBase,
            arith::AddIOp::create(builder, loc, offset,
                                  indexConstant(loc, nextState)));
        nextState += loop.getTripCount() * perIterationState;
      }
      if (perIteration == 0) {
        bindAttention(*body, base, iterationStateBase, state);
        continue;
      }
      // An adaptive loop's kernels copy a token's rows to the iterations
      // after its current one: they are this far apart.
      if (loop.isAdaptive())
        loop->setAttr(kIterationWidthAttr,
                      builder.getI64IntegerAttr(perIteration));
      builder.setInsertionPointToStart(body);
      Location loc = loop.getLoc();
      Value stride = indexConstant(loc, perIteration);
      Value offset =
          arith::MulIOp::create(builder, loc, loop.getIterationIndex(), stride);
      Value start = arith::AddIOp::create(
          builder, loc, base,
          arith::AddIOp::create(builder, loc, offset,
                                indexConstant(loc, next)));
      bindAttention(*body, start, iterationStateBase, state);
      next += loop.getTripCount() * perIteration;
      continue;
    }
    if (auto call = dyn_cast<func::CallOp>(op)) {
      // The callee's slots start at base + next, its states at stateBase +
      // nextState.
      Location loc = call.getLoc();
      builder.setInsertionPoint(call);
      Value start =
          arith::AddIOp::create(builder, loc, base, indexConstant(loc, next));
      Value stateStart = arith::AddIOp::create(builder, loc, stateBase,
                                               indexConstant(loc, nextState));
      call.getOperandsMutable().append({pos, state.keyCache, state.valueCache,
                                        start, stateStart, state.context});
      Footprint callee =
          footprint(module.lookupSymbol<func::FuncOp>(call.getCallee()));
      next += callee.width;
      nextState += callee.state;
      continue;
    }
    if (auto embedding = dyn_cast<PositionEmbeddingOp>(op)) {
      embedding.getOffsetMutable().assign(pos);
      continue;
    }
    if (auto positions = dyn_cast<PositionsOp>(op)) {
      positions.getOffsetMutable().assign(pos);
      continue;
    }
    if (int64_t floats = stateFloats(&op)) {
      // The op's running state: the next `floats` floats of the states.
      Location loc = op.getLoc();
      builder.setInsertionPoint(&op);
      Value offset = arith::AddIOp::create(builder, loc, stateBase,
                                           indexConstant(loc, nextState));
      nextState += floats;
      Value replacement;
      if (auto cumsum = dyn_cast<CumSumOp>(op)) {
        auto type = cast<RankedTensorType>(cumsum.getX().getType());
        Value view =
            stateView(loc, state.states, offset, type.getShape().drop_front());
        replacement = CumSumOp::create(builder, loc, cumsum.getX(), view, pos);
      } else {
        auto attend = cast<LinearAttendOp>(op);
        Value view =
            stateView(loc, state.states, offset,
                      {int64_t(attend.getNumKvHeads()),
                       int64_t(attend.getHeadDim()), attend.getValueDim()});
        replacement = LinearAttendOp::create(
            builder, loc, attend.getQ(), attend.getK(), attend.getV(), view,
            pos, attend.getNumHeadsAttr(), attend.getNumKvHeadsAttr(),
            attend.getHeadDimAttr(), attend.getScaleAttr());
      }
      op.getResult(0).replaceAllUsesWith(replacement);
      op.erase();
      continue;
    }
    auto attend = dyn_cast<AttendOp>(op);
    if (!attend)
      continue;
    Location loc = attend.getLoc();
    builder.setInsertionPoint(attend);
    // This slot's [max_seq, width] rows of each flat cache, as a cache of
    // one slot.
    int64_t width = kvWidth(attend);
    Value start =
        arith::AddIOp::create(builder, loc, base, indexConstant(loc, next));
    next += width;
    Value length =
        memref::DimOp::create(builder, loc, state.keyCache, int64_t(0));
    Value maxSeq = arith::DivUIOp::create(
        builder, loc, length, indexConstant(loc, cache.total.width));
    Value offset = arith::MulIOp::create(builder, loc, start, maxSeq);
    Value slotStride =
        arith::MulIOp::create(builder, loc, maxSeq, indexConstant(loc, width));
    Type f32 = builder.getF32Type();
    auto slotType = MemRefType::get(
        {1, ShapedType::kDynamic, width}, f32,
        StridedLayoutAttr::get(builder.getContext(), ShapedType::kDynamic,
                               {ShapedType::kDynamic, width, 1}));
    auto slotOf = [&](Value flat) -> Value {
      return memref::ReinterpretCastOp::create(
          builder, loc, slotType, flat, OpFoldResult(offset),
          {builder.getIndexAttr(1), OpFoldResult(maxSeq),
           builder.getIndexAttr(width)},
          {OpFoldResult(slotStride), builder.getIndexAttr(width),
           builder.getIndexAttr(1)});
    };
    Value keys = slotOf(state.keyCache), values = slotOf(state.valueCache);
    Value slot = indexConstant(loc, 0);
    Value q = attend.getQ(), k = attend.getK();
    int64_t headDim = attend.getHeadDim();
    if (std::optional<APFloat> theta = attend.getRopeTheta()) {
      bool interleaved = attend.getRopeInterleaved();
      q = RopeOp::create(builder, loc, q, pos, headDim, *theta, interleaved);
      k = RopeOp::create(builder, loc, k, pos, headDim, *theta, interleaved);
    }
    IntegerAttr rowAlignment =
        cache.rowMultiple > 1 ? builder.getI64IntegerAttr(cache.rowMultiple)
                              : IntegerAttr();
    Value attended = CachedAttentionOp::create(
        builder, loc, q, k, attend.getV(), keys, values, pos, slot,
        attend.getNumHeadsAttr(), attend.getNumKvHeadsAttr(),
        attend.getHeadDimAttr(), attend.getCausalAttr(), attend.getWindowAttr(),
        rowAlignment);
    attend.replaceAllUsesWith(attended);
    attend.erase();
  }
}

void RuntimeBinder::emitModelInfo() {
  // Weights only ever multiplied as matrices can live in the runtime's
  // packed layout alone; others keep the checkpoint's too.
  llvm::DenseMap<StringAttr, WeightUse> uses;
  if (packWeights)
    uses = analyzeWeightUses(module, entry);
  // Params the entry points read (the others only feed derived params).
  llvm::DenseSet<StringAttr> read;
  module.walk([&](WeightOp weight) {
    if (!weight->getParentOfType<ParamOp>())
      read.insert(weight.getParamAttr().getAttr());
  });
  module.walk([&](WeightSelectOp select) {
    if (!select->getParentOfType<ParamOp>())
      for (Attribute name : select.getParams())
        read.insert(cast<FlatSymbolRefAttr>(name).getAttr());
  });
  auto describe = [&](ParamOp param, StringRef name) {
    // A quantized weight is described by its format and its [n, k] shape in
    // weights (the runtime knows the formats' bytes).
    llvm::json::Array shape;
    StringRef dtype = "F32";
    ArrayRef<int64_t> dims = param.getTensorType().getShape();
    Type element = param.getTensorType().getElementType();
    if (element.isBF16())
      dtype = "BF16";
    else if (element.isF16())
      dtype = "F16";
    if (QuantizeOp quantize = quantizationOf(param)) {
      dtype = getQuantDTypeName(quantize.getFormat());
      dims = cast<RankedTensorType>(quantize.getW().getType()).getShape();
    }
    for (int64_t dim : dims)
      shape.push_back(dim);
    WeightUse use;
    use.otherwise = true;
    if (packWeights)
      use = uses.lookup(param.getSymNameAttr());
    return llvm::json::Object{
        {LOOM_INFO_TENSOR_NAME, name},
        {LOOM_INFO_TENSOR_SHAPE, std::move(shape)},
        {LOOM_INFO_TENSOR_DTYPE, dtype},
        {LOOM_INFO_TENSOR_MATRIX, use.asMatrix},
        {LOOM_INFO_TENSOR_STORED_IN_OUT, use.asStoredMatrix},
        {LOOM_INFO_TENSOR_OTHER_USES, use.otherwise},
        {LOOM_INFO_TENSOR_ROWS, use.asRows},
        {LOOM_INFO_TENSOR_PREPARE_ONLY,
         !read.contains(param.getSymNameAttr())}};
  };
  llvm::json::Array tensors, derivedTensors;
  for (ParamOp param : params)
    tensors.push_back(describe(param, param.getCheckpointName()));
  for (ParamOp param : derived) {
    llvm::json::Object object = describe(param, param.getSymName());
    llvm::SetVector<int64_t> sources;
    param.getInit().walk([&](WeightOp weight) {
      sources.insert(tableIndex.lookup(weight.getParamAttr().getAttr()));
    });
    object[LOOM_INFO_TENSOR_SOURCES] = llvm::json::Array(sources.getArrayRef());
    bool rearranges = true;
    param.getInit().walk([&](Operation *op) {
      rearranges &=
          isa<WeightOp, YieldOp, ConcatOp, SplitOp, SliceOp, TransposeOp>(op);
    });
    object[LOOM_INFO_TENSOR_REARRANGES] = rearranges;
    object[LOOM_INFO_TENSOR_STACKS_ROWS] = stacksRows(param);
    // `quantize(weight)` rounded to nearest: a checkpoint tensor already
    // stored in that format may stand in for it.
    QuantizeOp quantize = quantizationOf(param);
    object[LOOM_INFO_TENSOR_QUANTIZES] =
        quantize && !quantize.getImportance() && !quantize.getCovariance() &&
        quantize.getW().getDefiningOp<WeightOp>();
    derivedTensors.push_back(std::move(object));
  }
  // Token ids must index every embedding table; positions every positional
  // table.
  int64_t vocab = 0, maxPositions = 0;
  module.walk([&](Operation *op) {
    auto rows = [](Value table) {
      return cast<RankedTensorType>(table.getType()).getDimSize(0);
    };
    auto tighten = [](int64_t &bound, int64_t value) {
      bound = bound == 0 ? value : std::min(bound, value);
    };
    if (auto embedding = dyn_cast<EmbeddingOp>(op))
      tighten(vocab, rows(embedding.getTable()));
    else if (auto positions = dyn_cast<PositionEmbeddingOp>(op))
      tighten(maxPositions, rows(positions.getTable()));
  });
  auto result = cast<RankedTensorType>(entry.getFunctionType().getResult(0));
  // Features in: the floats of a row; token ids: 0.
  auto input = cast<RankedTensorType>(entry.getFunctionType().getInput(0));
  int64_t inputWidth = input.getRank() == 2 ? input.getDimSize(1) : 0;
  llvm::json::Object info{
      {LOOM_INFO_ABI, LOOM_ABI_VERSION},
      {LOOM_INFO_MODEL,
       module->getAttrOfType<StringAttr>("loom.model")
           ? module->getAttrOfType<StringAttr>("loom.model").getValue()
           : llvm::StringRef("model")},
      // A model of token ids that mixes them causally generates tokens;
      // one of float features has no token to feed back.
      {LOOM_INFO_DECODER, causal && inputWidth == 0},
      {LOOM_INFO_VOCAB, vocab},
      {LOOM_INFO_MAX_POSITIONS, maxPositions},
      {LOOM_INFO_OUTPUT_WIDTH, result.getDimSize(1)},
      {LOOM_INFO_INPUT_WIDTH, inputWidth},
      {LOOM_INFO_KV_SLOTS, cache.total.slots},
      {LOOM_INFO_KV_WIDTHS, llvm::json::Array(cache.widths)},
      {LOOM_INFO_STATE_FLOATS, cache.total.state},
      {LOOM_INFO_WEIGHT_TYPE, weightType},
      {LOOM_INFO_TENSORS, std::move(tensors)},
      {LOOM_INFO_DERIVED, std::move(derivedTensors)}};
  if (auto layers = module->getAttrOfType<ArrayAttr>(kLayersAttr)) {
    llvm::json::Array names;
    for (auto name : layers.getAsRange<StringAttr>())
      names.push_back(name.getValue());
    info[LOOM_INFO_LAYERS] = std::move(names);
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(info));
  text.push_back('\0');

  MLIRContext *ctx = module.getContext();
  auto type = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), text.size());
  builder.setInsertionPointToEnd(module.getBody());
  LLVM::GlobalOp::create(builder, module.getLoc(), type, /*isConstant=*/true,
                         LLVM::Linkage::External, LOOM_MODEL_INFO_SYMBOL,
                         builder.getStringAttr(text));
}

LogicalResult RuntimeBinder::run() {
  // Attention not decomposed yet is: only its core touches the KV cache.
  SmallVector<AttentionOp> attentions;
  module.walk([&](AttentionOp attention) { attentions.push_back(attention); });
  for (AttentionOp attention : attentions)
    decomposeAttention(attention);
  if (failed(checkForm()) || failed(computeGeometry()))
    return failure();
  // Model info reads the original result type and embedding tables.
  emitModelInfo();
  // The entry that only computes the last row, if the model has one
  // (--loom-add-last-row-entry), is bound like the main one.
  SmallVector<func::FuncOp> entries = {entry};
  if (auto last = module.lookupSymbol<func::FuncOp>(LOOM_ENTRY_FORWARD_LAST))
    entries.push_back(last);
  createPrepare();
  SmallVector<RuntimeState> states;
  for (func::FuncOp function : entries)
    states.push_back(rewriteSignature(function));
  extendBlockSignatures(states.front().keyCache.getType());
  for (auto [function, state] : llvm::zip(entries, states)) {
    bindWeights(function, state.context);
    builder.setInsertionPointToStart(&function.front());
    state.states = loadStates(function.getLoc(), state.context);
    Value zero = indexConstant(function.getLoc(), 0);
    bindAttention(function.front(), zero, zero, state);
  }
  return success();
}

namespace {
struct LoomBindRuntimePass
    : loom::impl::LoomBindRuntimeBase<LoomBindRuntimePass> {
  using LoomBindRuntimeBase::LoomBindRuntimeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(LOOM_ENTRY_FORWARD);
    if (!entry) {
      module.emitError("no entry point: expected a function named 'forward'");
      return signalPassFailure();
    }
    if (!llvm::is_contained({"keep", "f32", "f16", "bf16"},
                            StringRef(weightType))) {
      module.emitError("unknown weight type '")
          << weightType << "'; expected keep, f32, f16 or bf16";
      return signalPassFailure();
    }
    if (failed(RuntimeBinder(module, entry, packWeights, weightType).run()))
      return signalPassFailure();
  }
};
} // namespace
