//===- FindTokenizer.cpp - Where a checkpoint's tokenizer is --------------===//

#include "loom/Safetensors.h"
#include "loom/Tokenizer.h"

#include <fmt/format.h>

#include <sys/stat.h>

namespace loom {

namespace {

bool isDirectory(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool isFile(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

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
    if (isFile(json))
      return Tokenizer::fromJsonFile(json);
    std::string model = path + "/tokenizer.model";
    if (isFile(model))
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
    std::string directory = isDirectory(path) ? path : directoryOf(path);
    std::string json = directory + "/tokenizer.json";
    if (isFile(json))
      return Tokenizer::fromJsonFile(json);
    std::string model = directory + "/tokenizer.model";
    if (isFile(model))
      return Tokenizer::fromSentencePiece(model);
    looked.push_back(json);
  }
  for (const std::string &path : weights)
    if (endsWith(path, ".gguf") && isFile(path))
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
