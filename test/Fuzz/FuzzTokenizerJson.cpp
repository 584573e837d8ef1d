//===- FuzzTokenizerJson.cpp - libFuzzer harness: tokenizer.json files ----===//
//
// The input is a tokenizer.json, then a NUL byte, then a text: the file is
// loaded; if it loads, the text is encoded, the ids decoded (with and
// without special tokens) and streamed, and the chat layouts rendered.
//
//===----------------------------------------------------------------------===//

#include "loom/TextSettings.h"
#include "loom/Tokenizer.h"

#include <string_view>

using namespace loom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view input(reinterpret_cast<const char *>(data), size);
  size_t split = input.find('\0');
  std::string_view json = input.substr(0, split);
  std::string_view text =
      split == std::string_view::npos ? "" : input.substr(split + 1);
  Expected<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::fromJson(json, "fuzz.json");
  if (!tokenizer)
    return 0;
  for (bool special : {true, false}) {
    Expected<std::vector<int32_t>> ids = (*tokenizer)->encode(text, special);
    if (!ids)
      continue;
    (void)(*tokenizer)->decode(*ids, /*skipSpecialTokens=*/true);
    (void)(*tokenizer)->decode(*ids, /*skipSpecialTokens=*/false);
    TextStream stream(**tokenizer);
    for (int32_t id : *ids)
      (void)stream.push(id);
    (void)stream.finish();
  }
  // The text as a chat template.
  if (Expected<ChatFormat> format =
          ChatFormat::fromTemplate(text, "fuzz.json", **tokenizer))
    (void)(*tokenizer)->encode(format->render("", "hi"), false);
  return 0;
}
