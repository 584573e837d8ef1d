//===- ParallelLoops.cpp - Generated loops on the runtime's threads -------===//
//
// Two passes run the outer dimension of generated `scf.parallel` loops on
// the runtime's thread pool (the one its matrix kernels use, so the threads
// of a model never compete):
//
//  * `loom-outline-parallel-loops` (on scf, before lowering) moves every
//    outermost `scf.parallel` with enough work into a private function
//    `(begin, end, model context, captured values...)` that runs the loop's
//    first dimension over [begin, end), and calls it over the whole range.
//    The function carries `loom.parallel_grain`: the fewest iterations worth
//    a task. Loops in functions without a model context (`loom.context`)
//    stay serial: they have no thread pool to run on.
//  * `loom-lower-parallel-calls` (on the LLVM dialect) turns each call of
//    such a function into `loom_parallel_loop(model context, task, captured,
//    begin, end, grain)`: the captured values go into a stack struct, and a
//    generated `task(captured, begin, end)` unpacks them and calls the
//    function.
//
// Each element is still computed by exactly one thread, in the same order,
// so results do not change with the thread count.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/CpuTarget.h"

#include "dialects/Loom/Utils/ModelContext.h"
#include "runtime/include/loom/loom_abi.h"

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

using namespace mlir;

namespace {

/// Marks an outlined loop body; its value is the grain.
constexpr llvm::StringLiteral kGrainAttr = "loom.parallel_grain";
/// The runtime's entry point.
constexpr llvm::StringLiteral kParallelFor = LOOM_KERNEL_PARALLEL_LOOP;

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
    : PassWrapper<OutlineParallelLoopsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(OutlineParallelLoopsPass)

  OutlineParallelLoopsPass() = default;
  OutlineParallelLoopsPass(const OutlineParallelLoopsPass &other)
      : PassWrapper(other) {}

  StringRef getArgument() const final { return "loom-outline-parallel-loops"; }
  StringRef getDescription() const final {
    return "Outline outermost scf.parallel loops into functions that run a "
           "range of their first dimension";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<func::FuncDialect, scf::SCFDialect>();
  }

  Option<int64_t> minWork{
      *this, "min-work",
      llvm::cl::desc("Scalar operations a task should do at least (loops "
                     "with less work in all stay serial)"),
      llvm::cl::init(16384)};

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
    body->setAttr(kGrainAttr, moduleBuilder.getI64IntegerAttr(grain));
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

struct LowerParallelCallsPass
    : PassWrapper<LowerParallelCallsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerParallelCallsPass)

  StringRef getArgument() const final { return "loom-lower-parallel-calls"; }
  StringRef getDescription() const final {
    return "Turn calls of outlined parallel loops into loom_parallel_loop "
           "calls on the runtime's thread pool";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect>();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> bodies;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func->hasAttr(kGrainAttr))
        bodies.push_back(func);
    if (bodies.empty())
      return;
    SymbolTable symbols(module);
    LLVM::LLVMFuncOp parallelFor = getOrDeclareParallelFor(module, symbols);
    for (LLVM::LLVMFuncOp body : bodies)
      if (failed(lowerCalls(module, symbols, body, parallelFor)))
        return signalPassFailure();
  }

  /// `void loom_parallel_loop(ptr modelContext, ptr task, ptr captured,
  /// i64 begin, i64 end, i64 grain)`.
  LLVM::LLVMFuncOp getOrDeclareParallelFor(ModuleOp module,
                                           SymbolTable &symbols) {
    if (auto existing = symbols.lookup<LLVM::LLVMFuncOp>(kParallelFor))
      return existing;
    MLIRContext *context = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(context);
    auto i64 = IntegerType::get(context, 64);
    auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context),
                                            {ptr, ptr, ptr, i64, i64, i64});
    auto builder = OpBuilder::atBlockEnd(module.getBody());
    auto declaration =
        LLVM::LLVMFuncOp::create(builder, module.getLoc(), kParallelFor, type);
    symbols.insert(declaration);
    return declaration;
  }

  LogicalResult lowerCalls(ModuleOp module, SymbolTable &symbols,
                           LLVM::LLVMFuncOp body,
                           LLVM::LLVMFuncOp parallelFor) {
    MLIRContext *context = &getContext();
    Location loc = body.getLoc();
    int64_t grain = cast<IntegerAttr>(body->getAttr(kGrainAttr)).getInt();
    body->removeAttr(kGrainAttr);
    ArrayRef<Type> params = body.getFunctionType().getParams();
    auto ptr = LLVM::LLVMPointerType::get(context);
    if (params.size() < 3 || params[2] != ptr)
      return body.emitError("parallel loop body without a range and a model "
                            "context");
    auto i64 = IntegerType::get(context, 64);
    auto capturedType =
        LLVM::LLVMStructType::getLiteral(context, params.drop_front(2));

    // task(context, begin, end): unpack the captured values, run the range.
    OpBuilder moduleBuilder(body);
    moduleBuilder.setInsertionPointAfter(body);
    auto task = LLVM::LLVMFuncOp::create(
        moduleBuilder, loc, (body.getSymName() + "_task").str(),
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context),
                                    {ptr, i64, i64}),
        LLVM::Linkage::Internal);
    symbols.insert(task);
    {
      Block *entry = task.addEntryBlock(moduleBuilder);
      auto builder = OpBuilder::atBlockBegin(entry);
      Value packed = LLVM::LoadOp::create(builder, loc, capturedType,
                                          entry->getArgument(0));
      SmallVector<Value> arguments = {entry->getArgument(1),
                                      entry->getArgument(2)};
      for (int64_t i = 0, e = params.size() - 2; i < e; ++i)
        arguments.push_back(
            LLVM::ExtractValueOp::create(builder, loc, packed, i));
      LLVM::CallOp::create(builder, loc, body, arguments);
      LLVM::ReturnOp::create(builder, loc, ValueRange());
    }

    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(body, module);
    if (!uses)
      return success();
    SmallVector<LLVM::CallOp> calls;
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto call = dyn_cast<LLVM::CallOp>(use.getUser());
      if (!call || call->getParentOfType<LLVM::LLVMFuncOp>() == task)
        continue;
      calls.push_back(call);
    }
    for (LLVM::CallOp call : calls) {
      auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
      // The captured values live in a stack slot of the caller.
      auto entryBuilder = OpBuilder::atBlockBegin(&caller.getBody().front());
      Value one = LLVM::ConstantOp::create(entryBuilder, loc, i64,
                                           entryBuilder.getI64IntegerAttr(1));
      Value slot =
          LLVM::AllocaOp::create(entryBuilder, loc, ptr, capturedType, one);
      OpBuilder builder(call);
      Value packed = LLVM::PoisonOp::create(builder, loc, capturedType);
      for (auto [i, operand] :
           llvm::enumerate(call.getArgOperands().drop_front(2)))
        packed = LLVM::InsertValueOp::create(builder, loc, packed, operand,
                                             int64_t(i));
      LLVM::StoreOp::create(builder, loc, packed, slot);
      Value taskAddress = LLVM::AddressOfOp::create(builder, loc, task);
      Value grainValue = LLVM::ConstantOp::create(
          builder, loc, i64, builder.getI64IntegerAttr(grain));
      LLVM::CallOp::create(builder, loc, parallelFor,
                           ValueRange{call.getArgOperands()[2], taskAddress,
                                      slot, call.getArgOperands()[0],
                                      call.getArgOperands()[1], grainValue});
      call.erase();
    }
    return success();
  }
};

} // namespace

std::unique_ptr<Pass> loom::cpu::createOutlineParallelLoopsPass() {
  return std::make_unique<OutlineParallelLoopsPass>();
}

std::unique_ptr<Pass> loom::cpu::createLowerParallelCallsPass() {
  return std::make_unique<LowerParallelCallsPass>();
}
