//===- LowerParallelCalls.cpp - Outlined loops on the runtime's threads ---===//
//
// Implements `loom-lower-parallel-calls`, the second half (see
// OutlineParallelLoops.cpp): on the LLVM dialect, each call of an outlined
// loop becomes `loom_parallel_loop(model context, task, captured, begin,
// end, grain)`; the captured values go into a stack struct, and a generated
// `task(captured, begin, end)` unpacks them and calls the function.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/ParallelLoops.h"
#include "targets/cpu/Passes.h"

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

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMLOWERPARALLELCALLS
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;

namespace {

/// The runtime's entry point.
constexpr llvm::StringLiteral kParallelFor = LOOM_KERNEL_PARALLEL_LOOP;

struct LowerParallelCallsPass
    : loom::cpu::impl::LoomLowerParallelCallsBase<LowerParallelCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> bodies;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func->hasAttr(loom::cpu::kParallelGrainAttr))
        bodies.push_back(func);
    if (bodies.empty())
      return;
    SymbolTable symbols(module);
    LLVM::LLVMFuncOp parallelFor = getOrDeclareParallelFor(module, symbols);
    // The calls of every body, found in one walk (a walk per body would make
    // the pass quadratic in the model's depth).
    llvm::DenseMap<StringAttr, SmallVector<LLVM::CallOp>> calls;
    for (LLVM::LLVMFuncOp body : bodies)
      calls[body.getSymNameAttr()];
    module.walk([&](LLVM::CallOp call) {
      FlatSymbolRefAttr callee = call.getCalleeAttr();
      if (!callee)
        return;
      auto it = calls.find(callee.getAttr());
      if (it != calls.end())
        it->second.push_back(call);
    });
    for (LLVM::LLVMFuncOp body : bodies)
      if (failed(lowerCalls(symbols, body, parallelFor,
                            calls[body.getSymNameAttr()])))
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

  /// Replaces `calls`, the calls of the outlined loop `body`, by runs of it
  /// on the runtime's threads.
  LogicalResult lowerCalls(SymbolTable &symbols, LLVM::LLVMFuncOp body,
                           LLVM::LLVMFuncOp parallelFor,
                           ArrayRef<LLVM::CallOp> calls) {
    MLIRContext *context = &getContext();
    Location loc = body.getLoc();
    auto grainAttr =
        dyn_cast<IntegerAttr>(body->getAttr(loom::cpu::kParallelGrainAttr));
    if (!grainAttr || grainAttr.getInt() < 1)
      return body.emitError() << "'" << loom::cpu::kParallelGrainAttr
                              << "' must be a positive integer";
    int64_t grain = grainAttr.getInt();
    body->removeAttr(loom::cpu::kParallelGrainAttr);
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
