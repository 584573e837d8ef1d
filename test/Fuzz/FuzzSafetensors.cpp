//===- FuzzSafetensors.cpp - libFuzzer harness: safetensors files ---------===//
//
// Any bytes as a .safetensors file: the header is parsed and validated, and
// every tensor it accepts is read whole (what binding a model does).
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "loom/Safetensors.h"

using namespace loom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::MemoryFile file(data, size);
  Expected<std::unique_ptr<SafetensorsFile>> opened =
      SafetensorsFile::open(file.path());
  if (!opened)
    return 0;
  // Touch every byte the file claims: a read past the mapping is a crash.
  volatile unsigned char sum = 0;
  for (const TensorInfo &tensor : (*opened)->getTensors()) {
    const auto *bytes = static_cast<const unsigned char *>(tensor.data);
    for (uint64_t i = 0; i < tensor.byteSize; i += 61)
      sum = sum + bytes[i];
    (void)tensor.numElements();
  }
  return 0;
}
