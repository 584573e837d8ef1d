//===- LayerInfluence.cpp - Block influence from calibration statistics ---===//

#include "compiler/Import/LayerInfluence.h"

#include "runtime/include/loom/Checkpoint.h"

#include <cmath>
#include <cstring>

using namespace loom;

llvm::Expected<llvm::StringMap<double>>
loom::readLayerInfluence(llvm::StringRef path) {
  Expected<std::shared_ptr<Checkpoint>> checkpoint =
      Checkpoint::open(path.str());
  if (!checkpoint)
    return llvm::createStringError(checkpoint.getError());
  constexpr llvm::StringLiteral suffix = ".block_influence";
  llvm::StringMap<double> influence;
  for (const std::string &name : (*checkpoint)->getTensorNames()) {
    llvm::StringRef layer = name;
    if (!layer.consume_back(suffix))
      continue;
    const TensorInfo *tensor = (*checkpoint)->find(name);
    float value = 0;
    if (tensor->dtype != DType::F32 || tensor->numElements() != 1)
      return llvm::createStringError(path + ": tensor '" + name +
                                     "' is not one f32 value");
    std::memcpy(&value, tensor->data, sizeof(float));
    if (!std::isfinite(value))
      return llvm::createStringError(path + ": tensor '" + name +
                                     "' is not a finite number");
    influence[layer] = value;
  }
  if (influence.empty())
    return llvm::createStringError(
        path + ": no block influence (LAYER.block_influence "
               "tensors): write it with a program's --calibrate "
               "run, built by this loomc without "
               "--observe-layers=false");
  return influence;
}
