//===- FindTokenizer.cpp - Where a checkpoint's tokenizer is --------------===//

#include "loom/Safetensors.h"
#include "loom/Tokenizer.h"

#include <fmt/format.h>

namespace loom {

namespace {

Expected<std::unique_ptr<Tokenizer>> fromGgufPath(const std::string &path) {
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::openGguf(path);
  if (!file)
    return file.takeError();
  return Tokenizer::fromGguf(**file);
}

} // namespace

Expected<std::unique_ptr<Tokenizer>> loadTokenizer(const std::string &path) {
  if (isDirectory(path)) {
    std::string json = path + "/tokenizer.json";
    if (isRegularFile(json))
      return Tokenizer::fromJsonFile(json);
    std::string model = path + "/tokenizer.model";
    if (isRegularFile(model))
      return Tokenizer::fromSentencePiece(model);
    return makeError(fmt::format(
        "{}: the directory has no tokenizer.json or tokenizer.model", path));
  }
  if (endsWith(path, ".gguf"))
    return fromGgufPath(path);
  if (endsWith(path, ".model"))
    return Tokenizer::fromSentencePiece(path);
  return Tokenizer::fromJsonFile(path);
}

Expected<std::unique_ptr<Tokenizer>>
findTokenizer(const std::vector<std::string> &weights) {
  std::vector<std::string> looked;
  for (const std::string &path : weights) {
    std::string directory = weightsDirectory(path);
    std::string json = directory + "/tokenizer.json";
    if (isRegularFile(json))
      return Tokenizer::fromJsonFile(json);
    std::string model = directory + "/tokenizer.model";
    if (isRegularFile(model))
      return Tokenizer::fromSentencePiece(model);
    looked.push_back(json);
  }
  for (const std::string &path : weights)
    if (endsWith(path, ".gguf") && isRegularFile(path))
      return fromGgufPath(path);
  std::string list;
  for (const std::string &path : looked)
    list += (list.empty() ? "" : ", ") + path;
  return makeError(fmt::format("no tokenizer found (looked for {}, "
                               "tokenizer.model beside it, and a GGUF file's "
                               "vocabulary); pass --tokenizer PATH, or give "
                               "token ids with --prompt-ids",
                               list));
}

} // namespace loom
