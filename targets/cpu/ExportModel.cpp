//===- ExportModel.cpp - The compiled model's one exported symbol ---------===//
//
// `loom-export-model` (on the LLVM dialect, last) gives a lowered model the
// shape loom_abi.h describes: a constant `loom_model_def` record named
// `loom_model_<Name>` (or `symbol=`) that holds the ABI version, the model's
// description and its entry points' C interfaces (forward, forward_last and
// prepare; null where the model has none), and internal linkage for
// everything else the module defines, so that several models link into one
// program or library without clashing. With `program`, it also defines
// `loom_program_model`, the pointer an executable's `main` reads.
//
//===----------------------------------------------------------------------===//

#include "targets/cpu/Passes.h"

#include "dialects/Loom/Utils/ModelContext.h"
#include "runtime/include/loom/loom_abi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/StringExtras.h"

namespace loom::cpu {
#define GEN_PASS_DEF_LOOMEXPORTMODEL
#include "targets/cpu/Passes.h.inc"
} // namespace loom::cpu

using namespace mlir;

namespace {

/// The C interface MLIR generates for a function with
/// `llvm.emit_c_interface`.
std::string cInterfaceName(StringRef function) {
  return ("_mlir_ciface_" + function).str();
}

/// True if `name` is a C identifier.
bool isCIdentifier(StringRef name) {
  if (name.empty() || llvm::isDigit(name.front()))
    return false;
  return llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

struct ExportModelPass : loom::cpu::impl::LoomExportModelBase<ExportModelPass> {
  using LoomExportModelBase::LoomExportModelBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string name = symbol;
    if (name.empty()) {
      auto model = module->getAttrOfType<StringAttr>("loom.model");
      name = LOOM_MODEL_SYMBOL_PREFIX +
             (model ? model.getValue() : StringRef("model")).str();
    }
    if (!isCIdentifier(name)) {
      module.emitError("the model's exported symbol '")
          << name << "' is not a C identifier";
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    auto forward =
        symbols.lookup<LLVM::LLVMFuncOp>(cInterfaceName(LOOM_ENTRY_FORWARD));
    auto info = symbols.lookup<LLVM::GlobalOp>(LOOM_MODEL_INFO_SYMBOL);
    if (!forward || !info) {
      module.emitError("no model to export: expected '")
          << cInterfaceName(LOOM_ENTRY_FORWARD) << "' and '"
          << LOOM_MODEL_INFO_SYMBOL
          << "' (bind the model to the runtime and lower it to LLVM first)";
      return signalPassFailure();
    }
    for (StringRef taken :
         {StringRef(name), StringRef(LOOM_PROGRAM_MODEL_SYMBOL),
          StringRef(device)})
      if (!taken.empty() && symbols.lookup(taken)) {
        module.emitError("the module already defines '") << taken << "'";
        return signalPassFailure();
      }
    auto forwardLast = symbols.lookup<LLVM::LLVMFuncOp>(
        cInterfaceName(LOOM_ENTRY_FORWARD_LAST));
    auto prepare =
        symbols.lookup<LLVM::LLVMFuncOp>(cInterfaceName(LOOM_ENTRY_PREPARE));

    // Only the definition is reachable from outside. The context marker
    // has done its job (LLVM IR has no such parameter attribute).
    for (auto function : module.getOps<LLVM::LLVMFuncOp>()) {
      for (unsigned i = 0, e = function.getNumArguments(); i < e; ++i)
        function.removeArgAttr(
            i, StringAttr::get(&getContext(), loom::kModelContextAttr));
      if (!function.isExternal())
        function.setLinkage(LLVM::Linkage::Internal);
    }
    for (auto global : module.getOps<LLVM::GlobalOp>())
      global.setLinkage(LLVM::Linkage::Internal);

    MLIRContext *ctx = &getContext();
    Location loc = module.getLoc();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    SmallVector<Type> fields(LOOM_MODEL_DEF_FIELDS, ptr);
    fields[LOOM_MODEL_DEF_ABI_VERSION] = i64;
    auto defType = LLVM::LLVMStructType::getLiteral(ctx, fields);

    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    // The GPU build of the model, defined in another module that the
    // driver links with this one.
    LLVM::GlobalOp deviceDef;
    if (!device.empty()) {
      if (!isCIdentifier(device) || device == name) {
        module.emitError("the device model's symbol '")
            << device << "' is not a C identifier other than '" << name << "'";
        return signalPassFailure();
      }
      deviceDef =
          LLVM::GlobalOp::create(builder, loc, defType, /*isConstant=*/true,
                                 LLVM::Linkage::External, device, Attribute());
    }
    auto def = LLVM::GlobalOp::create(
        builder, loc, defType,
        /*isConstant=*/true, LLVM::Linkage::External, name, Attribute());
    {
      OpBuilder::InsertionGuard guard(builder);
      builder.createBlock(&def.getInitializerRegion());
      Value record = LLVM::UndefOp::create(builder, loc, defType);
      auto insert = [&](Value value, int64_t field) {
        record =
            LLVM::InsertValueOp::create(builder, loc, record, value, field);
      };
      insert(
          LLVM::ConstantOp::create(builder, loc, i64,
                                   builder.getI64IntegerAttr(LOOM_ABI_VERSION)),
          LOOM_MODEL_DEF_ABI_VERSION);
      insert(LLVM::AddressOfOp::create(builder, loc, info),
             LOOM_MODEL_DEF_INFO);
      insert(LLVM::AddressOfOp::create(builder, loc, forward),
             LOOM_MODEL_DEF_FORWARD);
      auto addressOrNull = [&](LLVM::LLVMFuncOp function) -> Value {
        if (function)
          return LLVM::AddressOfOp::create(builder, loc, function);
        return LLVM::ZeroOp::create(builder, loc, ptr);
      };
      insert(addressOrNull(forwardLast), LOOM_MODEL_DEF_FORWARD_LAST);
      insert(addressOrNull(prepare), LOOM_MODEL_DEF_PREPARE);
      if (deviceDef)
        insert(LLVM::AddressOfOp::create(builder, loc, deviceDef),
               LOOM_MODEL_DEF_DEVICE);
      else
        insert(LLVM::ZeroOp::create(builder, loc, ptr), LOOM_MODEL_DEF_DEVICE);
      LLVM::ReturnOp::create(builder, loc, record);
    }
    if (!program)
      return;
    auto pointer =
        LLVM::GlobalOp::create(builder, loc, ptr,
                               /*isConstant=*/true, LLVM::Linkage::External,
                               LOOM_PROGRAM_MODEL_SYMBOL, Attribute());
    OpBuilder::InsertionGuard guard(builder);
    builder.createBlock(&pointer.getInitializerRegion());
    LLVM::ReturnOp::create(
        builder, loc, LLVM::AddressOfOp::create(builder, loc, def).getResult());
  }
};

} // namespace
