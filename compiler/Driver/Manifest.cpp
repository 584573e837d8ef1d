//===- Manifest.cpp - The checkpoint tensors a model reads ----------------===//

#include "compiler/Driver/Manifest.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "dialects/Loom/IR/LoomOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;

/// The safetensors dtype name of `type`, or an empty string.
static llvm::StringRef dtypeName(Type type) {
  if (type.isF32())
    return "F32";
  if (type.isF16())
    return "F16";
  if (type.isBF16())
    return "BF16";
  if (type.isF64())
    return "F64";
  if (type.isInteger(32))
    return "I32";
  if (type.isInteger(64))
    return "I64";
  if (type.isInteger(8))
    return "I8";
  return "";
}

LogicalResult loom::writeManifest(ModuleOp module, llvm::raw_ostream &os) {
  llvm::json::Array tensors;
  llvm::StringMap<RankedTensorType> seenTypes;
  bool ok = true;
  module.walk([&](ParamOp param) {
    // Derived parameters are computed from others, not read.
    if (param.isDerived())
      return;
    auto type = cast<RankedTensorType>(param.getType());
    llvm::StringRef dtype = dtypeName(type.getElementType());
    if (dtype.empty()) {
      param.emitError("parameter element type ")
          << type.getElementType() << " has no checkpoint dtype";
      ok = false;
      return;
    }
    // A tensor several params read (by their checkpoint name) is one
    // checkpoint tensor; they must agree on its type.
    auto [seen, inserted] =
        seenTypes.try_emplace(param.getCheckpointName(), type);
    if (!inserted) {
      if (seen->second != type) {
        param.emitError("checkpoint tensor '")
            << param.getCheckpointName() << "' is read as " << type
            << " here and as " << seen->second << " elsewhere";
        ok = false;
      }
      return;
    }
    llvm::json::Array shape;
    for (int64_t dim : type.getShape())
      shape.push_back(dim);
    tensors.push_back(llvm::json::Object{{"name", param.getCheckpointName()},
                                         {"shape", std::move(shape)},
                                         {"dtype", dtype}});
  });
  if (!ok)
    return failure();
  llvm::json::Object manifest{{"tensors", std::move(tensors)}};
  if (auto name = module->getAttrOfType<StringAttr>("loom.model"))
    manifest["model"] = name.getValue();
  // What the model reads: token ids, or float features of a width.
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr("loom.entry") || func.getNumArguments() != 1)
      continue;
    auto input = dyn_cast<RankedTensorType>(func.getArgument(0).getType());
    manifest["input_width"] =
        input && input.getRank() == 2 ? input.getDimSize(1) : int64_t(0);
  }
  if (auto config = module->getAttrOfType<DictionaryAttr>("loom.config")) {
    llvm::json::Object values;
    for (NamedAttribute entry : config) {
      Attribute value = entry.getValue();
      if (auto i = dyn_cast<IntegerAttr>(value); i && i.getType().isInteger(1))
        values[entry.getName().getValue()] = i.getValue().getBoolValue();
      else if (auto i = dyn_cast<IntegerAttr>(value))
        values[entry.getName().getValue()] = i.getInt();
      else if (auto f = dyn_cast<FloatAttr>(value))
        values[entry.getName().getValue()] = f.getValueAsDouble();
      else if (auto s = dyn_cast<StringAttr>(value))
        values[entry.getName().getValue()] = s.getValue();
    }
    manifest["config"] = std::move(values);
  }
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
  return success();
}
