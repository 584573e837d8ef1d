//===- StreamAttention.cpp - A prompt's attention in one pass -------------===//
//
// `loom-stream-attention`: the generic lowering of `loom.cached_attention`
// stores every score of a chunk, [heads, seq, length] floats, and runs a
// softmax over them; for a long prompt that is gigabytes. Here a chunk of
// more than `rows` rows attends in one pass instead: a thread per query row
// and head (and slice of 32 of the head's outputs) runs over the keys it
// may see, keeping a running maximum m, sum l and output o (the online
// softmax of flash attention):
//
//   s = q . K[j] / sqrt(hd),  m' = max(m, s),  c = exp(m - m'),
//   p = exp(s - m'),  l = l c + p,  o = o c + p V[j],  m = m'
//
// and writes o / l. The threads neither share memory nor synchronize, so the
// kernel also runs in the emulation (`--loom-emulate-gpu`) and is checked
// there by numbers.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "dialects/Loom/IR/LoomOps.h"
#include "dialects/Loom/Utils/KVCache.h"

#include <cmath>
#include <limits>

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMSTREAMATTENTION
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

/// The largest head a thread keeps in registers: its query, and a key's row
/// in flight. (Heads of 128 values spill 150-200 bytes a thread on sm_80
/// and sm_90a; they keep the generic lowering until a kernel that shares
/// tiles of keys in shared memory.)
static constexpr int64_t kMaxHeadDim = 64;

/// The most values of a head's output one thread keeps: a head of more is
/// shared by threads that each compute every score and a slice of the
/// output (else a 64-value head takes all 255 registers of a thread).
static constexpr int64_t kOutputsPerThread = 32;

/// The slices of a head's output, one a thread.
static int64_t outputSlices(int64_t headDim) {
  return headDim % kOutputsPerThread == 0 ? headDim / kOutputsPerThread : 1;
}

/// True if `op` attends in f32 with heads small enough for one thread.
static bool canStream(loom::CachedAttentionOp op) {
  auto isF32 = [](Value value) {
    return getElementTypeOrSelf(value.getType()).isF32();
  };
  return op.getHeadDim() <= kMaxHeadDim && isF32(op.getQ()) &&
         isF32(op.getKeyCache()) && isF32(op.getValueCache()) &&
         isF32(op.getResult());
}

namespace {

/// Builds the one-pass attention of one `loom.cached_attention`.
class StreamBuilder {
public:
  StreamBuilder(OpBuilder &builder, loom::CachedAttentionOp op)
      : b(builder), loc(op.getLoc()), op(op) {}

  /// Writes the chunk's keys and values into the caches and returns its
  /// attention, [seq, heads * hd].
  Value build();

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value constant(double value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }
  /// Values [first, first + size) of row `j` of the op's cache slot in
  /// `cache`, as a vector.
  Value cachedRow(Value cache, Value j, Value first, int64_t size) {
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
        ValueRange{index(0)});
  }
  /// The thread of query row `row`, head `head` and slice `slice` of its
  /// output: writes that slice into `out`.
  void buildThread(Value queries, Value out, Value row, Value head, Value slice,
                   Value length);

  OpBuilder &b;
  Location loc;
  loom::CachedAttentionOp op;
};

} // namespace

Value StreamBuilder::build() {
  loom::writeCacheRows(b, loc, op.getKeyCache(), op.getSlot(), op.getPos(),
                       op.getK());
  loom::writeCacheRows(b, loc, op.getValueCache(), op.getSlot(), op.getPos(),
                       op.getV());
  Value q = op.getQ();
  auto qType = cast<RankedTensorType>(q.getType());
  MLIRContext *ctx = b.getContext();
  int64_t dynamic = ShapedType::kDynamic;
  auto anyLayout = StridedLayoutAttr::get(ctx, dynamic, {dynamic, dynamic});
  Value queries = bufferization::ToBufferOp::create(
      b, loc,
      MemRefType::get(qType.getShape(), qType.getElementType(), anyLayout), q,
      /*read_only=*/true);
  Value seq = tensor::DimOp::create(b, loc, q, 0);
  Value length = arith::AddIOp::create(b, loc, op.getPos(), seq);
  auto resultType = cast<RankedTensorType>(op.getType());
  Value out = memref::AllocOp::create(
      b, loc,
      MemRefType::get(resultType.getShape(), resultType.getElementType()),
      resultType.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  Value zero = index(0), one = index(1);
  scf::ParallelOp::create(b, loc, ValueRange{zero, zero, zero},
                          ValueRange{seq, index(op.getNumHeads()),
                                     index(outputSlices(op.getHeadDim()))},
                          ValueRange{one, one, one},
                          [&](OpBuilder &nested, Location, ValueRange ivs) {
                            OpBuilder::InsertionGuard guard(b);
                            b.setInsertionPoint(nested.getInsertionBlock(),
                                                nested.getInsertionPoint());
                            buildThread(queries, out, ivs[0], ivs[1], ivs[2],
                                        length);
                          });
  return bufferization::ToTensorOp::create(b, loc, resultType, out,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

void StreamBuilder::buildThread(Value queries, Value out, Value row, Value head,
                                Value slice, Value length) {
  int64_t headDim = op.getHeadDim();
  int64_t width = headDim / outputSlices(headDim);
  int64_t group = op.getNumHeads() / op.getNumKvHeads();
  Value headBase = arith::MulIOp::create(b, loc, head, index(headDim));
  Value kvHead = arith::DivUIOp::create(b, loc, head, index(group));
  Value kvBase = arith::MulIOp::create(b, loc, kvHead, index(headDim));
  // Where this thread's slice of the output starts in the head.
  Value sliceBase = arith::MulIOp::create(b, loc, slice, index(width));
  Value outBase = arith::AddIOp::create(b, loc, headBase, sliceBase);
  Value valueBase = arith::AddIOp::create(b, loc, kvBase, sliceBase);
  SmallVector<Value> query;
  for (int64_t d = 0; d < headDim; ++d) {
    Value column = arith::AddIOp::create(b, loc, headBase, index(d));
    query.push_back(
        memref::LoadOp::create(b, loc, queries, ValueRange{row, column}));
  }

  // The keys this row sees: up to its own position when causal, and no
  // further back than the window.
  Value first = index(0), last = length;
  if (op.getCausal()) {
    Value own = arith::AddIOp::create(b, loc, op.getPos(), row);
    last = arith::AddIOp::create(b, loc, own, index(1));
    if (std::optional<uint64_t> window = op.getWindow()) {
      Value start = arith::SubIOp::create(b, loc, last, index(*window));
      first = arith::MaxSIOp::create(b, loc, start, index(0));
    }
  }

  Value zero = constant(0.0);
  SmallVector<Value> init = {constant(-std::numeric_limits<double>::infinity()),
                             zero};
  init.append(width, zero);
  Value scale = constant(1.0 / std::sqrt(double(headDim)));
  auto loop = scf::ForOp::create(
      b, loc, first, last, index(1), init,
      [&](OpBuilder &body, Location, Value j, ValueRange state) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(body.getInsertionBlock(), body.getInsertionPoint());
        // The key's and value's rows, each one vector read from one
        // address (read value by value, the loop's strength reduction
        // keeps an address a value in registers).
        Value keys = cachedRow(op.getKeyCache(), j, kvBase, headDim);
        Value values = cachedRow(op.getValueCache(), j, valueBase, width);
        auto cached = [&](Value row, int64_t d) -> Value {
          return vector::ExtractOp::create(b, loc, row, ArrayRef<int64_t>{d});
        };
        Value score = zero;
        for (int64_t d = 0; d < headDim; ++d) {
          Value term = arith::MulFOp::create(b, loc, query[d], cached(keys, d));
          score = arith::AddFOp::create(b, loc, score, term);
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
              arith::MulFOp::create(b, loc, weight, cached(values, d));
          next.push_back(arith::AddFOp::create(b, loc, kept, added));
        }
        scf::YieldOp::create(b, loc, next);
      });

  Value sum = loop.getResult(1);
  for (int64_t d = 0; d < width; ++d) {
    Value value = arith::DivFOp::create(b, loc, loop.getResult(2 + d), sum);
    Value column = arith::AddIOp::create(b, loc, outBase, index(d));
    memref::StoreOp::create(b, loc, value, out, ValueRange{row, column});
  }
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
    for (loom::CachedAttentionOp op : ops)
      stream(op);
  }

  /// Replaces `op` by `seq > rows ? <one pass> : op`.
  void stream(loom::CachedAttentionOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value seq = tensor::DimOp::create(b, loc, op.getQ(), 0);
    Value longer =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, seq,
                              arith::ConstantIndexOp::create(b, loc, rows));
    auto branch = scf::IfOp::create(b, loc, TypeRange{op.getType()}, longer,
                                    /*withElseRegion=*/true);
    b.setInsertionPointToStart(branch.thenBlock());
    Value streamed = StreamBuilder(b, op).build();
    scf::YieldOp::create(b, loc, streamed);
    b.setInsertionPointToStart(branch.elseBlock());
    auto yield = scf::YieldOp::create(b, loc, op.getResult());
    op.getResult().replaceAllUsesExcept(branch.getResult(0), yield);
    op->moveBefore(yield);
  }
};

} // namespace
