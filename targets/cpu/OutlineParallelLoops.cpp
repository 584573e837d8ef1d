//===- OutlineParallelLoops.cpp - Parallel loops as functions over ranges -===//
//
// Implements `loom-outline-parallel-loops`, the first half of running the
// outer dimension of generated `scf.parallel` loops on the runtime's thread
// pool (the one its matrix kernels use, so the threads of a model never
// compete): every outermost `scf.parallel` with enough work moves into a
// private function `(begin, end, model context, captured values...)` that
// runs the loop's first dimension over [begin, end), called over the whole
// range. The function carries `loom.parallel_grain`: the fewest iterations
// worth a task. Loops in functions without a model context (`loom.context`)
// stay serial: they have no thread pool to run on.
//
// Each element is still computed by exactly one thread, in the same order,
// so results do not change with the thread count.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/ParallelLoops.h"
#include "targets/cpu/Passes.h"

#include "dialects/Loom/Utils/ModelContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMOUTLINEPARALLELLOOPS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;

namespace {

/// Trip count of a loop dimension with constant bounds, else std::nullopt.
std::optional<int64_t> constantTripCount(Value lower, Value upper, Value step) {
  APInt lb, ub, st;
  if (!matchPattern(lower, m_ConstantInt(&lb)) ||
      !matchPattern(upper, m_ConstantInt(&ub)) ||
      !matchPattern(step, m_ConstantInt(&st)) || st.getSExtValue() <= 0)
    return std::nullopt;
  int64_t span = ub.getSExtValue() - lb.getSExtValue();
  return span <= 0 ? 0 : (span + st.getSExtValue() - 1) / st.getSExtValue();
}

/// Scalar operations one execution of `block` performs, roughly: loops
/// count their body times their trip count (dynamic trip counts as one).
int64_t estimateWork(Block &block) {
  int64_t work = 0;
  for (Operation &op : block) {
    int64_t trips = 1;
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      trips = constantTripCount(loop.getLowerBound(), loop.getUpperBound(),
                                loop.getStep())
                  .value_or(1);
    } else if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
      for (auto [lb, ub, st] : llvm::zip(loop.getLowerBound(),
                                         loop.getUpperBound(), loop.getStep()))
        trips *= constantTripCount(lb, ub, st).value_or(1);
    }
    int64_t inner = 0;
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        inner += estimateWork(nested);
    work += std::max<int64_t>(1, trips * inner);
  }
  return work;
}

struct OutlineParallelLoopsPass
    : loom::cpu::impl::LoomOutlineParallelLoopsBase<OutlineParallelLoopsPass> {
  using LoomOutlineParallelLoopsBase::LoomOutlineParallelLoopsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() &&
          loop->getParentOfType<func::FuncOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      outline(loop, symbols);
  }

  /// Outlines `loop` if it can run in parallel and has enough work.
  void outline(scf::ParallelOp loop, SymbolTable &symbols) {
    if (loop.getNumResults() != 0 || !matchPattern(loop.getStep()[0], m_One()))
      return;
    Value modelContext = loom::getModelContext(loop);
    if (!modelContext)
      return;
    // Work of one iteration of the first dimension.
    int64_t perIteration = estimateWork(*loop.getBody());
    for (unsigned d = 1; d < loop.getNumLoops(); ++d)
      perIteration *=
          constantTripCount(loop.getLowerBound()[d], loop.getUpperBound()[d],
                            loop.getStep()[d])
              .value_or(1);
    int64_t grain = std::max<int64_t>(
        1, (minWork + perIteration - 1) / std::max<int64_t>(perIteration, 1));
    std::optional<int64_t> trips = constantTripCount(
        loop.getLowerBound()[0], loop.getUpperBound()[0], loop.getStep()[0]);
    if (trips && *trips < 2 * grain)
      return;

    // Everything the loop reads from outside but its first dimension's
    // bounds: the values its body uses, its other bounds and its steps.
    // Constants are cloned instead.
    llvm::SetVector<Value> used;
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    for (unsigned d = 0; d < loop.getNumLoops(); ++d) {
      used.insert(loop.getStep()[d]);
      if (d == 0)
        continue;
      used.insert(loop.getLowerBound()[d]);
      used.insert(loop.getUpperBound()[d]);
    }
    // The model context first: the runtime's threads are the context's.
    SmallVector<Value> captured = {modelContext}, constants;
    for (Value value : used) {
      if (value == modelContext)
        continue;
      if (matchPattern(value, m_Constant()))
        constants.push_back(value);
      else
        captured.push_back(value);
    }

    auto parent = loop->getParentOfType<func::FuncOp>();
    MLIRContext *context = &getContext();
    Location loc = loop.getLoc();
    auto index = IndexType::get(context);
    SmallVector<Type> argTypes = {index, index};
    for (Value value : captured)
      argTypes.push_back(value.getType());
    OpBuilder moduleBuilder(parent);
    moduleBuilder.setInsertionPointAfter(parent);
    auto body = func::FuncOp::create(moduleBuilder, loc,
                                     (parent.getSymName() + "_parallel").str(),
                                     FunctionType::get(context, argTypes, {}));
    body.setPrivate();
    body->setAttr(loom::cpu::kParallelGrainAttr,
                  moduleBuilder.getI64IntegerAttr(grain));
    symbols.insert(body);

    Block *entry = body.addEntryBlock();
    OpBuilder builder = OpBuilder::atBlockBegin(entry);
    IRMapping mapping;
    for (Value value : constants)
      mapping.map(value,
                  builder.clone(*value.getDefiningOp())
                      ->getResult(cast<OpResult>(value).getResultNumber()));
    for (auto [value, argument] :
         llvm::zip(captured, entry->getArguments().drop_front(2)))
      mapping.map(value, argument);
    auto clone = cast<scf::ParallelOp>(builder.clone(*loop, mapping));
    clone.getLowerBoundMutable()[0].set(entry->getArgument(0));
    clone.getUpperBoundMutable()[0].set(entry->getArgument(1));
    func::ReturnOp::create(builder, loc);

    OpBuilder callBuilder(loop);
    SmallVector<Value> operands = {loop.getLowerBound()[0],
                                   loop.getUpperBound()[0]};
    operands.append(captured.begin(), captured.end());
    func::CallOp::create(callBuilder, loc, body, operands);
    loop.erase();
  }
};

} // namespace
