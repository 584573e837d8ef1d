//===- TokenizerApi.cpp - The tokenizer in the C API ----------------------===//

#include "loom/Tokenizer.h"
#include "loom/loom_model.h"

#include <cstring>

using namespace loom;

struct loom_tokenizer {
  std::unique_ptr<Tokenizer> tokenizer;
};

extern "C" {

loom_tokenizer *loom_tokenizer_open(const char *path) {
  if (!path) {
    setLastError("loom_tokenizer_open: null path");
    return nullptr;
  }
  Expected<std::unique_ptr<Tokenizer>> tokenizer = loadTokenizer(path);
  if (!tokenizer) {
    setLastError(tokenizer.getError());
    return nullptr;
  }
  return new loom_tokenizer{std::move(*tokenizer)};
}

void loom_tokenizer_close(loom_tokenizer *tokenizer) { delete tokenizer; }

int64_t loom_tokenizer_vocab_size(const loom_tokenizer *tokenizer) {
  return tokenizer ? tokenizer->tokenizer->vocabSize() : 0;
}

int64_t loom_tokenizer_encode(const loom_tokenizer *tokenizer, const char *text,
                              int64_t length, int add_special, int32_t *ids,
                              int64_t capacity) {
  if (!tokenizer || (!text && length > 0) || length < 0 ||
      (!ids && capacity > 0) || capacity < 0) {
    setLastError("loom_tokenizer_encode: null or negative argument");
    return -1;
  }
  Expected<std::vector<int32_t>> encoded = tokenizer->tokenizer->encode(
      std::string_view(text ? text : "", size_t(length)), add_special != 0);
  if (!encoded) {
    setLastError(encoded.getError());
    return -1;
  }
  size_t copied = std::min(encoded->size(), size_t(capacity));
  if (copied)
    std::memcpy(ids, encoded->data(), copied * sizeof(int32_t));
  return int64_t(encoded->size());
}

int64_t loom_tokenizer_decode(const loom_tokenizer *tokenizer,
                              const int32_t *ids, int64_t count,
                              int skip_special, char *text, int64_t capacity) {
  if (!tokenizer || (!ids && count > 0) || count < 0 ||
      (!text && capacity > 0) || capacity < 0) {
    setLastError("loom_tokenizer_decode: null or negative argument");
    return -1;
  }
  std::string decoded = tokenizer->tokenizer->decode(
      std::vector<int32_t>(ids, ids + count), skip_special != 0);
  if (capacity > 0) {
    size_t copied = std::min(decoded.size(), size_t(capacity));
    std::memcpy(text, decoded.data(), copied);
    if (copied < size_t(capacity))
      text[copied] = '\0';
  }
  return int64_t(decoded.size());
}

} // extern "C"
