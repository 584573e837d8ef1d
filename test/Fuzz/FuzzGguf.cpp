//===- FuzzGguf.cpp - libFuzzer harness: GGUF files and their vocabularies ===//
//
// Any bytes as a .gguf file: metadata and tensor records are parsed and
// validated, every tensor read whole; the embedded tokenizer, if the file
// has one that loads, encodes and decodes a fixed text.
//
//===----------------------------------------------------------------------===//

#include "FuzzInput.h"

#include "loom/Safetensors.h"
#include "loom/Tokenizer.h"

using namespace loom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::MemoryFile file(data, size);
  Expected<std::unique_ptr<SafetensorsFile>> opened =
      SafetensorsFile::openGguf(file.path());
  if (!opened)
    return 0;
  volatile unsigned char sum = 0;
  for (const TensorInfo &tensor : (*opened)->getTensors()) {
    const auto *bytes = static_cast<const unsigned char *>(tensor.data);
    for (uint64_t i = 0; i < tensor.byteSize; i += 61)
      sum = sum + bytes[i];
  }
  Expected<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::fromGguf(**opened);
  if (!tokenizer)
    return 0;
  Expected<std::vector<int32_t>> ids =
      (*tokenizer)->encode("Hello, world! 123 \xC3\xBCn\xC3\xAF <s></s>");
  if (ids) {
    (void)(*tokenizer)->decode(*ids, /*skipSpecialTokens=*/false);
    TextStream stream(**tokenizer);
    for (int32_t id : *ids)
      (void)stream.push(id);
    (void)stream.finish();
  }
  return 0;
}
