//===- FuzzCheckpointDir.cpp - libFuzzer harness: a checkpoint's JSON files
//===//
//
// The input's parts, separated by NUL bytes, become the JSON files of a
// checkpoint directory, in this order: model.safetensors.index.json,
// config.json, generation_config.json, tokenizer_config.json, modules.json
// and 1_Pooling/config.json (a part that is not there: no file). Next to
// them are a valid shard and a valid tokenizer.json. The directory is
// opened as a checkpoint (the index, then its shards, every tensor read),
// and its text settings are read (end-of-sequence ids, chat template,
// pooling), then the chat template recognized.
//
//===----------------------------------------------------------------------===//

#include "loom/Checkpoint.h"
#include "loom/TextSettings.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <sys/stat.h>
#include <unistd.h>

using namespace loom;

namespace {

/// The files the parts become, in order.
constexpr const char *kFiles[] = {
    "model.safetensors.index.json", "config.json",  "generation_config.json",
    "tokenizer_config.json",        "modules.json", "1_Pooling/config.json"};

/// A one-word-per-token vocabulary with an end-of-sequence token.
constexpr std::string_view kTokenizer =
    R"({"version": "1.0", "added_tokens": [{"id": 1, "content": "</s>",
    "single_word": false, "lstrip": false, "rstrip": false,
    "normalized": false, "special": true}], "normalizer": null,
    "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
    "decoder": null, "model": {"type": "WordLevel", "vocab": {"a": 0,
    "</s>": 1, "<unk>": 2}, "unk_token": "<unk>"}})";

void writeFile(const std::string &path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

/// A directory of this process, with the shard and the tokenizer written.
const std::string &directory() {
  static const std::string dir = [] {
    char name[] = "/tmp/loom-fuzz-checkpoint-XXXXXX";
    if (!::mkdtemp(name))
      std::abort();
    std::string path = name;
    ::mkdir((path + "/1_Pooling").c_str(), 0700);
    // One F32 tensor `w` of two elements.
    std::string header =
        R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string shard(8, '\0');
    for (int i = 0; i < 8; ++i)
      shard[size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
    shard += header;
    shard.append(8, '\0');
    writeFile(path + "/model-00001-of-00001.safetensors", shard);
    writeFile(path + "/tokenizer.json", kTokenizer);
    return path;
  }();
  return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &dir = directory();
  std::string_view input(reinterpret_cast<const char *>(data), size);
  for (const char *file : kFiles) {
    std::string path = dir + "/" + file;
    if (input.data() == nullptr) {
      ::unlink(path.c_str());
      continue;
    }
    size_t split = input.find('\0');
    writeFile(path, input.substr(0, split));
    input = split == std::string_view::npos ? std::string_view()
                                            : input.substr(split + 1);
  }
  if (Expected<std::shared_ptr<Checkpoint>> checkpoint =
          Checkpoint::open(dir)) {
    volatile unsigned char sum = 0;
    for (const std::string &name : (*checkpoint)->getTensorNames())
      if (const TensorInfo *tensor = (*checkpoint)->find(name))
        for (uint64_t i = 0; i < tensor->byteSize; ++i)
          sum = sum + static_cast<const unsigned char *>(tensor->data)[i];
  }
  Expected<TextSettings> settings = loadTextSettings({dir}, "");
  if (settings && !settings->chatTemplate.empty())
    if (Expected<ChatFormat> format = ChatFormat::fromTemplate(
            settings->chatTemplate, settings->chatTemplateSource,
            *settings->tokenizer))
      (void)format->render("", "a");
  return 0;
}
