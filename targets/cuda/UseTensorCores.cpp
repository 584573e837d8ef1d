//===- UseTensorCores.cpp - Products of many rows on tensor cores ---------===//
//
// `loom-use-tensor-cores`: a prompt's projections are matrix products,
// bound by arithmetic, not memory. One thread an output (what
// `loom-map-to-gpu` makes of them) reads a row and a column from memory
// for every output and leaves the tensor cores idle. Here each becomes a
// kernel of warp-level matrix products (`nvgpu.mma.sync`, m16n8k8 in
// TF32): a warp keeps a tile of outputs in registers, each lane loading the
// fragments the instruction assigns it straight from memory.
//
// The fragments (PTX ISA, "Matrix Fragments for mma.m16n8k8", .tf32), with
// g = lane / 4 and t = lane % 4: A's a0..a3 are (row g, col t),
// (g + 8, t), (g, t + 4), (g + 8, t + 4); B's b0, b1 are (k t, col g),
// (t + 4, g); the accumulator's c0..c3 are (g, 2t), (g, 2t + 1),
// (g + 8, 2t), (g + 8, 2t + 1). A sum over k does not depend on the order
// of k, so lane t loads the 4 consecutive values of each row at k0 + 4t
// (one 16-byte load) and gives mma step h (of two) the values at
// k0 + 4t + 2h and k0 + 4t + 2h + 1 as its k = t and k = t + 4, for A and
// B alike: each of the 16 values of k is used once.
//
//===----------------------------------------------------------------------===//

#include "targets/cuda/Passes.h"

#include "targets/cuda/HostFunctions.h"
#include "targets/cuda/Products.h"

#include "llvm/ADT/STLExtras.h"

namespace loom::cuda {
#define GEN_PASS_DEF_LOOMUSETENSORCORES
#include "targets/cuda/Passes.h.inc"
} // namespace loom::cuda

using namespace mlir;

/// Values of k an mma step takes (m16n8k8).
static constexpr int64_t kMmaK = 8;
/// Values of k a lane loads a step of the kernel's loop: 2 mma steps.
static constexpr int64_t kLaneK = 4;
/// Values of k a step of the kernel's loop covers (4 lanes of a group).
static constexpr int64_t kStepK = 16;
/// The most outputs a block keeps in registers (one a register).
static constexpr int64_t kMaxBlockOutputs = 32768;

namespace {

/// The shape of the kernel: warps a block, and rows and columns a warp.
struct Tiling {
  int64_t warpsM, warpsN, tileM, tileN;
  int64_t blockRows() const { return warpsM * tileM; }
  int64_t blockColumns() const { return warpsN * tileN; }
  int64_t threads() const { return 32 * warpsM * warpsN; }
};

/// A product out[m, n] += x[m, k] * w[n, k] (or w[k, n]) on buffers, n
/// and k static.
struct Product {
  Value x, w, out;
  int64_t n, k;
  /// w is w[k, n] (GPT-2's Conv1D), not w[n, k].
  bool columns;
};

/// Builds one product's kernel body, inside its `gpu.launch`.
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &builder, Location loc, const Product &product,
                const Tiling &tiling)
      : b(builder), loc(loc), p(product), tiling(tiling) {}

  void build(gpu::LaunchOp launch, Value rows);

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value add(Value lhs, int64_t rhs) {
    return rhs == 0
               ? lhs
               : arith::AddIOp::create(b, loc, lhs, index(rhs)).getResult();
  }
  Value lessThan(Value lhs, Value rhs) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, lhs, rhs);
  }
  /// `value`, or `last` where `value` is past it: an address inside the
  /// buffer, whose value only outputs that are never stored read.
  Value clamp(Value value, Value last) {
    return arith::MinUIOp::create(b, loc, value, last);
  }
  /// The 4 values of `buffer` (x or w) at [row, k, k + 1, k + 2, k + 3]
  /// (at [k .. k + 3, row] when `transposed`), zero past the end of k when
  /// `guarded`.
  SmallVector<Value> loadLane(Value buffer, Value row, Value k, bool guarded,
                              bool transposed = false);
  /// `value` rounded to TF32's 10 bits of mantissa (to nearest, ties away),
  /// as an f32.
  Value roundToTf32(Value value);
  /// One step of the loop: 16 values of k from `k`, two mma steps into
  /// `accumulators`.
  void step(Value k, bool guarded, MutableArrayRef<Value> accumulators);

  OpBuilder &b;
  Location loc;
  const Product &p;
  const Tiling &tiling;
  /// The rows of x this lane loads (two a 16-row tile: g and g + 8),
  /// clamped to the last row.
  SmallVector<Value> xRows;
  /// The outputs' columns this lane loads w for (one an 8-column tile; rows
  /// of w[n, k], columns of w[k, n]), clamped.
  SmallVector<Value> wRows;
};

} // namespace

/// The vector width a lane's 4 consecutive values of k of `buffer` are
/// loaded with: all 4 where the rows are dense and their starts aligned to
/// 4 values (device buffers are allocated aligned), else 2, else one at a
/// time.
static int64_t loadWidth(Value buffer, int64_t k) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.getLayout().isIdentity())
    return 1;
  return k % 4 == 0 ? 4 : k % 2 == 0 ? 2 : 1;
}

SmallVector<Value> KernelBuilder::loadLane(Value buffer, Value row, Value k,
                                           bool guarded, bool transposed) {
  // A weight in a half type (bf16, f16) is loaded as it is, then widened.
  Type f32 = b.getF32Type();
  auto element = cast<MemRefType>(buffer.getType()).getElementType();
  SmallVector<Value> values;
  auto widened = [&]() {
    if (element != f32)
      for (Value &value : values)
        value = arith::ExtFOp::create(b, loc, f32, value);
    return values;
  };
  auto load = [&](Value at) -> Value {
    return memref::LoadOp::create(
        b, loc, buffer, transposed ? ValueRange{at, row} : ValueRange{row, at});
  };
  if (guarded) {
    Value zero = arith::ConstantOp::create(b, loc, element,
                                           b.getFloatAttr(element, 0.0));
    Value lastK = index(p.k - 1), end = index(p.k);
    for (int64_t e = 0; e < kLaneK; ++e) {
      Value at = add(k, e);
      Value value = load(clamp(at, lastK));
      values.push_back(
          arith::SelectOp::create(b, loc, lessThan(at, end), value, zero));
    }
    return widened();
  }
  // A column's values of k are a row apart: one load each (the lanes of a
  // group read 8 consecutive columns of a row).
  int64_t width = transposed ? 1 : loadWidth(buffer, p.k);
  if (width == 1) {
    for (int64_t e = 0; e < kLaneK; ++e)
      values.push_back(load(add(k, e)));
    return widened();
  }
  auto type = VectorType::get({width}, element);
  int64_t bytes = width * element.getIntOrFloatBitWidth() / 8;
  for (int64_t e = 0; e < kLaneK; e += width) {
    Value vector =
        vector::LoadOp::create(b, loc, type, buffer, ValueRange{row, add(k, e)},
                               /*nontemporal=*/false, llvm::MaybeAlign(bytes));
    for (int64_t i = 0; i < width; ++i)
      values.push_back(vector::ExtractOp::create(b, loc, vector, i));
  }
  return widened();
}

Value KernelBuilder::roundToTf32(Value value) {
  Value bits = NVVM::ConvertFloatToTF32Op::create(b, loc, b.getI32Type(), value,
                                                  NVVM::FPRoundingMode::RNA);
  return arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
}

void KernelBuilder::step(Value k, bool guarded,
                         MutableArrayRef<Value> accumulators) {
  Value laneK = k;
  SmallVector<SmallVector<Value>> xValues, wValues;
  for (Value row : xRows) {
    xValues.push_back(loadLane(p.x, row, laneK, guarded));
    for (Value &value : xValues.back())
      value = roundToTf32(value);
  }
  for (Value row : wRows) {
    wValues.push_back(loadLane(p.w, row, laneK, guarded, p.columns));
    for (Value &value : wValues.back())
      value = roundToTf32(value);
  }
  Type f32 = b.getF32Type();
  auto aType = VectorType::get({4, 1}, f32);
  auto bType = VectorType::get({2, 1}, f32);
  int64_t tilesN = wRows.size();
  for (int64_t half = 0; half < kLaneK / 2; ++half) {
    int64_t first = 2 * half, second = 2 * half + 1;
    for (size_t i = 0; i < xRows.size() / 2; ++i) {
      ArrayRef<Value> top = xValues[2 * i], bottom = xValues[2 * i + 1];
      Value a = vector::FromElementsOp::create(
          b, loc, aType,
          ValueRange{top[first], bottom[first], top[second], bottom[second]});
      for (int64_t j = 0; j < tilesN; ++j) {
        Value bFragment = vector::FromElementsOp::create(
            b, loc, bType, ValueRange{wValues[j][first], wValues[j][second]});
        Value &c = accumulators[i * tilesN + j];
        c = nvgpu::MmaSyncOp::create(b, loc, a, bFragment, c,
                                     ArrayRef<int64_t>{16, 8, kMmaK},
                                     /*tf32Enabled=*/true);
      }
    }
  }
}

void KernelBuilder::build(gpu::LaunchOp launch, Value rows) {
  Value thread = launch.getThreadIds().x;
  Value lane = arith::RemUIOp::create(b, loc, thread, index(32));
  Value warp = arith::DivUIOp::create(b, loc, thread, index(32));
  Value warpM = arith::DivUIOp::create(b, loc, warp, index(tiling.warpsN));
  Value warpN = arith::RemUIOp::create(b, loc, warp, index(tiling.warpsN));
  Value group = arith::DivUIOp::create(b, loc, lane, index(4));
  Value inGroup = arith::RemUIOp::create(b, loc, lane, index(4));
  auto times = [&](Value value, int64_t factor) -> Value {
    return arith::MulIOp::create(b, loc, value, index(factor));
  };
  auto sum = [&](Value lhs, Value rhs) -> Value {
    return arith::AddIOp::create(b, loc, lhs, rhs);
  };
  // Rows (any number) on the grid's x, columns (static) on its y.
  Value blockRow = times(launch.getBlockIds().x, tiling.blockRows());
  Value rowBase = sum(blockRow, times(warpM, tiling.tileM));
  Value blockColumn = times(launch.getBlockIds().y, tiling.blockColumns());
  Value columnBase = sum(blockColumn, times(warpN, tiling.tileN));
  Value lastRow = arith::SubIOp::create(b, loc, rows, index(1));
  // Columns past n exist only where the block's columns do not divide it.
  bool columnEdge = p.n % tiling.blockColumns() != 0;
  Value lastColumn = index(p.n - 1);
  auto clampColumn = [&](Value column) {
    return columnEdge ? clamp(column, lastColumn) : column;
  };

  int64_t tilesM = tiling.tileM / 16, tilesN = tiling.tileN / 8;
  SmallVector<Value> outRows;
  for (int64_t i = 0; i < tilesM; ++i)
    for (int64_t h = 0; h < 2; ++h) {
      outRows.push_back(add(sum(rowBase, group), i * 16 + h * 8));
      xRows.push_back(clamp(outRows.back(), lastRow));
    }
  for (int64_t j = 0; j < tilesN; ++j)
    wRows.push_back(clampColumn(add(sum(columnBase, group), j * 8)));
  // The accumulator's columns: 2t and 2t + 1 of each 8-column tile.
  Value pairBase = sum(columnBase, times(inGroup, 2));
  SmallVector<Value> outColumns;
  for (int64_t j = 0; j < tilesN; ++j)
    for (int64_t e = 0; e < 2; ++e)
      outColumns.push_back(add(pairBase, j * 8 + e));

  // The accumulators start from `out` (the product adds to it).
  Type f32 = b.getF32Type();
  auto cType = VectorType::get({2, 2}, f32);
  SmallVector<Value> accumulators;
  for (int64_t i = 0; i < tilesM; ++i)
    for (int64_t j = 0; j < tilesN; ++j) {
      SmallVector<Value> elements;
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t e = 0; e < 2; ++e)
          elements.push_back(memref::LoadOp::create(
              b, loc, p.out,
              ValueRange{xRows[2 * i + h],
                         clampColumn(outColumns[2 * j + e])}));
      accumulators.push_back(
          vector::FromElementsOp::create(b, loc, cType, elements));
    }

  // The steps of 16 values of k, then the rest of k (guarded).
  Value laneOffset = times(inGroup, kLaneK);
  int64_t whole = p.k - p.k % kStepK;
  if (whole > 0) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(whole),
                                   index(kStepK), accumulators);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> carried(loop.getRegionIterArgs());
    step(sum(loop.getInductionVar(), laneOffset), /*guarded=*/false, carried);
    scf::YieldOp::create(b, loc, carried);
    accumulators.assign(loop.getResults().begin(), loop.getResults().end());
  }
  if (whole < p.k)
    step(sum(index(whole), laneOffset), /*guarded=*/true, accumulators);

  // Each output inside [0, rows) x [0, n) stored once.
  Value end = index(p.n);
  for (int64_t i = 0; i < tilesM; ++i)
    for (int64_t h = 0; h < 2; ++h) {
      Value row = outRows[2 * i + h];
      Value rowInside = lessThan(row, rows);
      for (int64_t j = 0; j < tilesN; ++j)
        for (int64_t e = 0; e < 2; ++e) {
          Value column = outColumns[2 * j + e];
          Value inside = columnEdge
                             ? arith::AndIOp::create(b, loc, rowInside,
                                                     lessThan(column, end))
                                   .getResult()
                             : rowInside;
          auto store = scf::IfOp::create(b, loc, inside);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(store.thenBlock());
          Value value = vector::ExtractOp::create(
              b, loc, accumulators[i * tilesN + j], ArrayRef<int64_t>{h, e});
          memref::StoreOp::create(b, loc, value, p.out,
                                  ValueRange{row, column});
        }
    }
}

/// The product `op` computes, if its shapes suit the kernel: x and out
/// rank 2 with m rows, w static n x k (or k x n).
static std::optional<Product> matchBufferProduct(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics())
    return std::nullopt;
  std::optional<loom::cuda::WeightLayout> layout = loom::cuda::matchProduct(op);
  if (!layout)
    return std::nullopt;
  bool columns = *layout == loom::cuda::WeightLayout::Columns;
  Product p{op.getDpsInputs()[0],
            op.getDpsInputs()[1],
            op.getDpsInits()[0],
            0,
            0,
            columns};
  auto xType = cast<MemRefType>(p.x.getType());
  auto wType = cast<MemRefType>(p.w.getType());
  auto outType = cast<MemRefType>(p.out.getType());
  if (!wType.hasStaticShape() || !outType.getElementType().isF32())
    return std::nullopt;
  p.n = wType.getDimSize(columns ? 1 : 0);
  p.k = wType.getDimSize(columns ? 0 : 1);
  if (xType.getDimSize(1) != p.k || outType.getDimSize(1) != p.n || p.n == 0 ||
      p.k == 0)
    return std::nullopt;
  return p;
}

namespace {

struct UseTensorCoresPass
    : loom::cuda::impl::LoomUseTensorCoresBase<UseTensorCoresPass> {
  using LoomUseTensorCoresBase::LoomUseTensorCoresBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Tiling tiling{warpsM, warpsN, tileM, tileN};
    if (failed(checkTiling(module, tiling)))
      return signalPassFailure();
    FailureOr<llvm::DenseSet<func::FuncOp>> host =
        loom::cuda::findHostFunctions(module);
    if (failed(host))
      return signalPassFailure();
    SmallVector<std::pair<linalg::GenericOp, Product>> products;
    for (auto function : module.getOps<func::FuncOp>()) {
      if (function.isExternal() || host->contains(function))
        continue;
      function.walk([&](linalg::GenericOp op) {
        if (std::optional<Product> product = matchBufferProduct(op))
          products.push_back({op, *product});
      });
    }
    for (auto &[op, product] : products) {
      buildLaunch(op, product, tiling);
      op.erase();
    }
  }

  static LogicalResult checkTiling(ModuleOp module, const Tiling &tiling) {
    if (tiling.warpsM < 1 || tiling.warpsN < 1 ||
        tiling.warpsM * tiling.warpsN > 32)
      return module.emitError("warps-m and warps-n must be at least 1, with "
                              "warps-m x warps-n at most 32 (1024 threads), "
                              "got ")
             << tiling.warpsM << " x " << tiling.warpsN;
    if (tiling.tileM < 16 || tiling.tileM > 64 || tiling.tileM % 16 != 0)
      return module.emitError("tile-m must be 16, 32, 48 or 64 (rows a "
                              "warp computes), got ")
             << tiling.tileM;
    if (tiling.tileN < 8 || tiling.tileN > 64 || tiling.tileN % 8 != 0)
      return module.emitError("tile-n must be a multiple of 8 in [8, 64] "
                              "(columns a warp computes), got ")
             << tiling.tileN;
    // A block's outputs live in its threads' registers: at most half of a
    // multiprocessor's 65536.
    int64_t outputs = tiling.blockRows() * tiling.blockColumns();
    if (outputs > kMaxBlockOutputs)
      return module.emitError("a block's outputs (warps-m x tile-m x "
                              "warps-n x tile-n = ")
             << outputs << ") must be at most " << kMaxBlockOutputs
             << ", half of a multiprocessor's registers";
    return success();
  }

  /// Replaces `op` by a launch of blocks over the output's tiles.
  static void buildLaunch(linalg::GenericOp op, const Product &product,
                          const Tiling &tiling) {
    OpBuilder builder(op);
    Location loc = op.getLoc();
    auto index = [&](int64_t value) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, value);
    };
    Value rows = memref::DimOp::create(builder, loc, product.x, 0);
    Value blocksN = index(llvm::divideCeil(product.n, tiling.blockColumns()));
    Value blocksM = arith::CeilDivUIOp::create(builder, loc, rows,
                                               index(tiling.blockRows()));
    Value one = index(1);
    auto launch = gpu::LaunchOp::create(builder, loc, blocksM, blocksN, one,
                                        index(tiling.threads()), one, one);
    builder.setInsertionPointToStart(&launch.getBody().front());
    KernelBuilder(builder, loc, product, tiling).build(launch, rows);
    gpu::TerminatorOp::create(builder, loc);
  }
};

} // namespace
