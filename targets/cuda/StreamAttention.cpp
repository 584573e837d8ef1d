//===- StreamAttention.cpp - Attention without its scores -----------------===//
//
// `loom-stream-attention`: the generic lowering of `loom.cached_attention`
// stores every score of a chunk, [heads, seq, length] floats, and runs a
// softmax over them (for a long prompt, gigabytes; in decode, one thread a
// head runs the softmax's sums over the whole cache). Here a thread per
// query row and head (and slice of up to 32 of the head's outputs) runs
// over keys keeping a running maximum m, sum l and output o (the online
// softmax of flash attention):
//
//   s = q . K[j] / sqrt(hd),  m' = max(m, s),  c = exp(m - m'),
//   p = exp(s - m'),  l = l c + p,  o = o c + p V[j],  m = m'
//
// A chunk of more than `rows` rows (a prompt) runs over all the keys a row
// sees in one pass and writes o / l. A shorter one (decode) also splits the
// keys into runs of 32, a thread each, and a second kernel merges the runs'
// (m, l, o): M = max m_r, o = sum_r o_r exp(m_r - M) / sum_r l_r exp(m_r - M)
// (flash decoding), so that a long cache is read by many threads. A head
// of more than 64 values (up to 128) reads its query a chunk at a time
// beside the key's instead of keeping it in registers. The
// threads neither share memory nor synchronize, so the kernels also run in
// the emulation (`--loom-emulate-gpu`) and are checked there by numbers.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Utils/KVCache.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMSTREAMATTENTION
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

/// The largest head streamed (a larger one keeps the generic lowering).
static constexpr int64_t kMaxHeadDim = 128;

/// The largest head whose query a thread keeps in registers beside a key's
/// row in flight. (A 128-value head's query takes 128 registers: with the
/// key's values and the outputs, ptxas spills 200-300 bytes a thread on
/// sm_80; such a head reads its query a chunk at a time instead.)
static constexpr int64_t kMaxRegisterHead = 64;

/// The most values of a head's output one thread keeps: a head of more is
/// shared by threads that each compute every score and a slice of the
/// output (else a 64-value head takes all 255 registers of a thread).
static constexpr int64_t kOutputsPerThread = 32;

/// Values of a key's row (and of the query) read at once by a head whose
/// query is not kept in registers.
static constexpr int64_t kKeyChunk = 32;

/// Keys a thread of a short chunk (decode) runs over.
static constexpr int64_t kSplitKeys = 32;

/// The values of a head's output one thread computes: the largest divisor
/// of the head's size that is at most kOutputsPerThread.
static int64_t sliceWidth(int64_t headDim) {
  int64_t width = std::min(headDim, kOutputsPerThread);
  while (headDim % width != 0)
    --width;
  return width;
}

/// True if `value` is a memref read a row at a time: strided, its rows
/// contiguous.
static bool hasContiguousRows(Value value) {
  auto type = cast<MemRefType>(value.getType());
  return type.isStrided() && type.isLastDimUnitStride();
}

/// The alignment of a vector read of f32 values of `type` that starts at an
/// element whose last index is a multiple of `multiple` (its other indices
/// any), the buffer's rows starting at multiples of `rows` values if that
/// is known (else 0): 16 bytes where every element offset involved is a
/// multiple of 4 values (so that the read is `ld.global.v4`; device
/// buffers are allocated aligned to at least 16 bytes), 8 for 2, else
/// nothing known.
static llvm::MaybeAlign rowAlignment(MemRefType type, int64_t multiple,
                                     int64_t rows = 0) {
  int64_t common = multiple;
  if (rows > 0) {
    common = std::gcd(common, rows);
  } else if (type.getLayout().isIdentity()) {
    // Every stride but the last is a multiple of the last dimension.
    int64_t columns = type.getShape().back();
    if (ShapedType::isDynamic(columns))
      return std::nullopt;
    common = std::gcd(common, columns);
  } else {
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        ShapedType::isDynamic(offset))
      return std::nullopt;
    common = std::gcd(common, offset);
    for (int64_t stride : ArrayRef<int64_t>(strides).drop_back()) {
      if (ShapedType::isDynamic(stride))
        return std::nullopt;
      common = std::gcd(common, stride);
    }
  }
  if (common % 4 == 0)
    return llvm::Align(16);
  if (common % 2 == 0)
    return llvm::Align(8);
  return std::nullopt;
}

/// True if `op` attends in f32 with heads small enough for one thread.
static bool canStream(loom::CachedAttentionOp op) {
  auto isF32 = [](Value value) {
    return getElementTypeOrSelf(value.getType()).isF32();
  };
  auto qType = cast<RankedTensorType>(op.getQ().getType());
  return op.getHeadDim() <= kMaxHeadDim && isF32(op.getQ()) &&
         isF32(op.getKeyCache()) && isF32(op.getValueCache()) &&
         isF32(op.getResult()) && !qType.isDynamicDim(1) &&
         hasContiguousRows(op.getKeyCache()) &&
         hasContiguousRows(op.getValueCache());
}

namespace {

/// Builds the attention of one `loom.cached_attention` without its scores.
class StreamBuilder {
public:
  StreamBuilder(OpBuilder &builder, loom::CachedAttentionOp op)
      : b(builder), loc(op.getLoc()), op(op), headDim(op.getHeadDim()),
        width(sliceWidth(headDim)) {}

  /// Writes the chunk's keys and values into the caches and returns its
  /// attention, [seq, heads * hd]: in one pass when the chunk has more than
  /// `rows` rows, else split over the keys.
  Value build(int64_t rows);

private:
  /// A thread's query row, head and slice of the head's outputs.
  struct Thread {
    Value row, head, slice;
  };

  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value constant(double value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }
  Value add(Value lhs, Value rhs) {
    return arith::AddIOp::create(b, loc, lhs, rhs);
  }
  Value mul(Value lhs, int64_t rhs) {
    return arith::MulIOp::create(b, loc, lhs, index(rhs));
  }
  /// Builds `body` in a parallel loop over [0, upper).
  void parallel(ValueRange upper, function_ref<void(ValueRange)> body);
  /// A loop over [first, last) carrying `init`; `body` returns what an
  /// iteration yields.
  scf::ForOp loop(Value first, Value last, ValueRange init,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body);
  /// Values [first, first + size) of row `j` of the op's cache slot in
  /// `cache`, as a vector; `first` is a multiple of `multiple`.
  Value cachedRow(Value cache, Value j, Value first, int64_t size,
                  int64_t multiple);
  /// The keys [first, last) that query row `row` sees: up to its own
  /// position when causal, and no further back than the window.
  std::pair<Value, Value> visibleKeys(Value row, Value length);
  /// The loop of `thread` over keys [first, last), whose results are the
  /// running maximum, sum and `width` outputs.
  scf::ForOp buildKeyLoop(Value queries, const Thread &thread, Value first,
                          Value last);
  /// Column of `thread`'s first output in a [.., heads * hd] row.
  Value outputColumn(const Thread &thread) {
    return add(mul(thread.head, headDim), mul(thread.slice, width));
  }
  /// Each row's keys in one pass.
  void buildOnePass(Value queries, Value out, Value seq, Value length);
  /// Each row's keys in runs of kSplitKeys, then the runs merged.
  void buildSplit(Value queries, Value out, Value seq, Value length);

  OpBuilder &b;
  Location loc;
  loom::CachedAttentionOp op;
  int64_t headDim, width;
};

} // namespace

void StreamBuilder::parallel(ValueRange upper,
                             function_ref<void(ValueRange)> body) {
  SmallVector<Value> lower(upper.size(), index(0));
  SmallVector<Value> steps(upper.size(), index(1));
  scf::ParallelOp::create(b, loc, lower, upper, steps,
                          [&](OpBuilder &nested, Location, ValueRange ivs) {
                            OpBuilder::InsertionGuard guard(b);
                            b.setInsertionPoint(nested.getInsertionBlock(),
                                                nested.getInsertionPoint());
                            body(ivs);
                          });
}

scf::ForOp
StreamBuilder::loop(Value first, Value last, ValueRange init,
                    function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  return scf::ForOp::create(
      b, loc, first, last, index(1), init,
      [&](OpBuilder &nested, Location, Value iv, ValueRange state) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        scf::YieldOp::create(b, loc, body(iv, state));
      });
}

Value StreamBuilder::cachedRow(Value cache, Value j, Value first, int64_t size,
                               int64_t multiple) {
  auto cacheType = cast<MemRefType>(cache.getType());
  SmallVector<OpFoldResult> offsets = {op.getSlot(), j, first};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                     b.getIndexAttr(size)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  auto viewType = memref::SubViewOp::inferRankReducedResultType(
      {size}, cacheType, offsets, sizes, strides);
  Value view = memref::SubViewOp::create(b, loc, cast<MemRefType>(viewType),
                                         cache, offsets, sizes, strides);
  return vector::LoadOp::create(
      b, loc, VectorType::get({size}, cacheType.getElementType()), view,
      ValueRange{index(0)}, /*nontemporal=*/false,
      rowAlignment(cacheType, multiple, op.getRowAlignment().value_or(0)));
}

std::pair<Value, Value> StreamBuilder::visibleKeys(Value row, Value length) {
  if (!op.getCausal())
    return {index(0), length};
  Value last = add(add(op.getPos(), row), index(1));
  std::optional<uint64_t> window = op.getWindow();
  if (!window)
    return {index(0), last};
  Value start = arith::SubIOp::create(b, loc, last, index(*window));
  return {arith::MaxSIOp::create(b, loc, start, index(0)), last};
}

scf::ForOp StreamBuilder::buildKeyLoop(Value queries, const Thread &thread,
                                       Value first, Value last) {
  int64_t group = op.getNumHeads() / op.getNumKvHeads();
  Value headBase = mul(thread.head, headDim);
  Value kvHead = arith::DivUIOp::create(b, loc, thread.head, index(group));
  Value kvBase = mul(kvHead, headDim);
  Value valueBase = add(kvBase, mul(thread.slice, width));
  // A head of up to kMaxRegisterHead values keeps its query in registers;
  // a larger one reads it a chunk at a time beside the key's (L1-cached:
  // every key of the loop reads the same row).
  bool queryInRegisters = headDim <= kMaxRegisterHead;
  SmallVector<Value> query;
  if (queryInRegisters)
    for (int64_t d = 0; d < headDim; ++d)
      query.push_back(memref::LoadOp::create(
          b, loc, queries, ValueRange{thread.row, add(headBase, index(d))}));

  Value zero = constant(0.0);
  SmallVector<Value> init = {constant(-std::numeric_limits<double>::infinity()),
                             zero};
  init.append(width, zero);
  Value scale = constant(1.0 / std::sqrt(double(headDim)));
  return loop(
      first, last, init, [&](Value j, ValueRange state) -> SmallVector<Value> {
        // The key's and value's rows, each one vector read from one
        // address (read value by value, the loop's strength reduction
        // keeps an address a value in registers); a key row beside a query
        // read from memory, a chunk at a time.
        auto element = [&](Value vector, int64_t d) -> Value {
          return vector::ExtractOp::create(b, loc, vector,
                                           ArrayRef<int64_t>{d});
        };
        Value score = zero, values;
        int64_t chunkSize = queryInRegisters ? headDim : kKeyChunk;
        for (int64_t chunk = 0; chunk < headDim; chunk += chunkSize) {
          int64_t size = std::min(chunkSize, headDim - chunk);
          Value keys = cachedRow(op.getKeyCache(), j, add(kvBase, index(chunk)),
                                 size, std::gcd(headDim, chunkSize));
          if (!values)
            values = cachedRow(op.getValueCache(), j, valueBase, width,
                               std::gcd(headDim, width));
          Value queryChunk;
          if (!queryInRegisters)
            queryChunk = vector::LoadOp::create(
                b, loc, VectorType::get({size}, b.getF32Type()), queries,
                ValueRange{thread.row, add(headBase, index(chunk))},
                /*nontemporal=*/false,
                rowAlignment(cast<MemRefType>(queries.getType()),
                             std::gcd(headDim, chunkSize)));
          for (int64_t d = 0; d < size; ++d) {
            Value queryValue =
                queryInRegisters ? query[chunk + d] : element(queryChunk, d);
            Value term =
                arith::MulFOp::create(b, loc, queryValue, element(keys, d));
            score = arith::AddFOp::create(b, loc, score, term);
          }
        }
        score = arith::MulFOp::create(b, loc, score, scale);
        Value maximum = state[0], sum = state[1];
        Value newMaximum = arith::MaximumFOp::create(b, loc, maximum, score);
        Value rescale = math::ExpOp::create(
            b, loc, arith::SubFOp::create(b, loc, maximum, newMaximum));
        Value weight = math::ExpOp::create(
            b, loc, arith::SubFOp::create(b, loc, score, newMaximum));
        SmallVector<Value> next = {newMaximum};
        next.push_back(arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, sum, rescale), weight));
        for (int64_t d = 0; d < width; ++d) {
          Value kept = arith::MulFOp::create(b, loc, state[2 + d], rescale);
          Value added =
              arith::MulFOp::create(b, loc, weight, element(values, d));
          next.push_back(arith::AddFOp::create(b, loc, kept, added));
        }
        return next;
      });
}

void StreamBuilder::buildOnePass(Value queries, Value out, Value seq,
                                 Value length) {
  Value heads = index(op.getNumHeads());
  Value slices = index(headDim / width);
  parallel({seq, heads, slices}, [&](ValueRange ivs) {
    Thread thread = {ivs[0], ivs[1], ivs[2]};
    auto [first, last] = visibleKeys(thread.row, length);
    scf::ForOp loop = buildKeyLoop(queries, thread, first, last);
    Value column = outputColumn(thread);
    for (int64_t d = 0; d < width; ++d) {
      Value value = arith::DivFOp::create(b, loc, loop.getResult(2 + d),
                                          loop.getResult(1));
      memref::StoreOp::create(b, loc, value, out,
                              ValueRange{thread.row, add(column, index(d))});
    }
  });
}

void StreamBuilder::buildSplit(Value queries, Value out, Value seq,
                               Value length) {
  int64_t heads = op.getNumHeads();
  Value runs = arith::DivUIOp::create(
      b, loc, add(length, index(kSplitKeys - 1)), index(kSplitKeys));
  // Each run's maximum and sum a head, and its outputs.
  Type f32 = b.getF32Type();
  int64_t dynamic = ShapedType::kDynamic;
  auto allocate = [&](int64_t columns) -> Value {
    return memref::AllocOp::create(
        b, loc, MemRefType::get({dynamic, dynamic, columns}, f32),
        ValueRange{seq, runs});
  };
  Value maxima = allocate(heads), sums = allocate(heads);
  Value outputs = allocate(heads * headDim);

  parallel({seq, index(heads), index(headDim / width), runs},
           [&](ValueRange ivs) {
             Thread thread = {ivs[0], ivs[1], ivs[2]};
             Value run = ivs[3];
             auto [first, last] = visibleKeys(thread.row, length);
             Value runFirst = mul(run, kSplitKeys);
             Value from = arith::MaxSIOp::create(b, loc, first, runFirst);
             Value to = arith::MinSIOp::create(
                 b, loc, last, add(runFirst, index(kSplitKeys)));
             // A run the row does not see (past its position, or before
             // its window) keeps m = -inf, l = 0, o = 0: no weight.
             scf::ForOp loop = buildKeyLoop(queries, thread, from, to);
             Value column = outputColumn(thread);
             for (int64_t d = 0; d < width; ++d)
               memref::StoreOp::create(
                   b, loc, loop.getResult(2 + d), outputs,
                   ValueRange{thread.row, run, add(column, index(d))});
             // Every slice of a head has the same maximum and sum.
             Value firstSlice = arith::CmpIOp::create(
                 b, loc, arith::CmpIPredicate::eq, thread.slice, index(0));
             auto branch = scf::IfOp::create(b, loc, firstSlice,
                                             /*withElseRegion=*/false);
             OpBuilder::InsertionGuard guard(b);
             b.setInsertionPoint(branch.thenBlock()->getTerminator());
             SmallVector<Value, 3> at = {thread.row, run, thread.head};
             memref::StoreOp::create(b, loc, loop.getResult(0), maxima, at);
             memref::StoreOp::create(b, loc, loop.getResult(1), sums, at);
           });

  parallel({seq, index(heads * headDim)}, [&](ValueRange ivs) {
    Value row = ivs[0], column = ivs[1];
    Value head = arith::DivUIOp::create(b, loc, column, index(headDim));
    Value negativeInfinity = constant(-std::numeric_limits<double>::infinity());
    auto maximumOf = [&](Value run) -> Value {
      return memref::LoadOp::create(b, loc, maxima, ValueRange{row, run, head});
    };
    Value maximum =
        loop(index(0), runs, {negativeInfinity},
             [&](Value run, ValueRange state) -> SmallVector<Value> {
               return {
                   arith::MaximumFOp::create(b, loc, state[0], maximumOf(run))};
             })
            .getResult(0);
    Value zero = constant(0.0);
    scf::ForOp mergeLoop = loop(
        index(0), runs, {zero, zero},
        [&](Value run, ValueRange state) -> SmallVector<Value> {
          Value weight = math::ExpOp::create(
              b, loc, arith::SubFOp::create(b, loc, maximumOf(run), maximum));
          Value l =
              memref::LoadOp::create(b, loc, sums, ValueRange{row, run, head});
          Value o = memref::LoadOp::create(b, loc, outputs,
                                           ValueRange{row, run, column});
          auto accumulate = [&](Value total, Value part) -> Value {
            return arith::AddFOp::create(
                b, loc, total, arith::MulFOp::create(b, loc, part, weight));
          };
          return {accumulate(state[0], l), accumulate(state[1], o)};
        });
    Value value = arith::DivFOp::create(b, loc, mergeLoop.getResult(1),
                                        mergeLoop.getResult(0));
    memref::StoreOp::create(b, loc, value, out, ValueRange{row, column});
  });
  // (Bufferization's ownership-based deallocation frees the buffers.)
}

Value StreamBuilder::build(int64_t rows) {
  loom::writeCacheRows(b, loc, op.getKeyCache(), op.getSlot(), op.getPos(),
                       op.getK());
  loom::writeCacheRows(b, loc, op.getValueCache(), op.getSlot(), op.getPos(),
                       op.getV());
  Value q = op.getQ();
  auto qType = cast<RankedTensorType>(q.getType());
  int64_t dynamic = ShapedType::kDynamic;
  auto anyLayout =
      StridedLayoutAttr::get(b.getContext(), dynamic, {dynamic, dynamic});
  // Rows read a chunk at a time as vectors need a dense buffer (a copy
  // where the query is a view of a wider one).
  MemRefType queriesType =
      headDim <= kMaxRegisterHead
          ? MemRefType::get(qType.getShape(), qType.getElementType(), anyLayout)
          : MemRefType::get(qType.getShape(), qType.getElementType());
  Value queries = bufferization::ToBufferOp::create(b, loc, queriesType, q,
                                                    /*read_only=*/true);
  Value seq = tensor::DimOp::create(b, loc, q, 0);
  Value length = add(op.getPos(), seq);
  auto resultType = cast<RankedTensorType>(op.getType());
  Value out = memref::AllocOp::create(
      b, loc,
      MemRefType::get(resultType.getShape(), resultType.getElementType()),
      resultType.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  if (rows == 0) {
    buildOnePass(queries, out, seq, length);
  } else {
    Value longer = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, seq,
                                         index(rows));
    auto branch = scf::IfOp::create(b, loc, longer, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    buildOnePass(queries, out, seq, length);
    b.setInsertionPoint(branch.elseBlock()->getTerminator());
    buildSplit(queries, out, seq, length);
  }
  return bufferization::ToTensorOp::create(b, loc, resultType, out,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

namespace {

struct StreamAttentionPass
    : loom::cuda::impl::LoomStreamAttentionBase<StreamAttentionPass> {
  using LoomStreamAttentionBase::LoomStreamAttentionBase;

  void runOnOperation() override {
    if (rows < 0) {
      getOperation().emitError("rows must be at least 0, got ")
          << static_cast<int64_t>(rows);
      return signalPassFailure();
    }
    SmallVector<loom::CachedAttentionOp> ops;
    getOperation().walk([&](loom::CachedAttentionOp op) {
      if (canStream(op))
        ops.push_back(op);
    });
    for (loom::CachedAttentionOp op : ops) {
      OpBuilder b(op);
      op.getResult().replaceAllUsesWith(StreamBuilder(b, op).build(rows));
      op.erase();
    }
  }
};

} // namespace
