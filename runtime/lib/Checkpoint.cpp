//===- Checkpoint.cpp - A single-file or sharded checkpoint ---------------===//

#include "loom/Checkpoint.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <dirent.h>

namespace loom {

using json = nlohmann::json;

static std::string joinPath(const std::string &directory,
                            const std::string &name) {
  if (directory.empty() || directory == ".")
    return name;
  if (directory.back() == '/')
    return directory + name;
  return directory + "/" + name;
}

static std::string parentDirectory(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

/// The names of the entries of `directory` ending in `suffix`, sorted.
static std::vector<std::string> listWithSuffix(const std::string &directory,
                                               std::string_view suffix) {
  std::vector<std::string> names;
  DIR *dir = ::opendir(directory.c_str());
  if (!dir)
    return names;
  while (struct dirent *entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (endsWith(name, suffix))
      names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Expected<std::shared_ptr<Checkpoint>>
Checkpoint::open(const std::string &path) {
  if (isDirectory(path)) {
    std::string index = joinPath(path, "model.safetensors.index.json");
    if (isRegularFile(index))
      return openIndex(index);
    std::string single = joinPath(path, "model.safetensors");
    if (isRegularFile(single))
      return open(single);
    std::vector<std::string> indexes =
        listWithSuffix(path, ".safetensors.index.json");
    if (indexes.size() == 1)
      return openIndex(joinPath(path, indexes.front()));
    std::vector<std::string> files = listWithSuffix(path, ".safetensors");
    if (indexes.empty() && files.size() == 1)
      return open(joinPath(path, files.front()));
    return makeError(
        fmt::format("{}: directory has no model.safetensors or "
                    "model.safetensors.index.json{}",
                    path,
                    files.empty() && indexes.empty()
                        ? ""
                        : " (and several candidates; name the file to load)"));
  }
  if (endsWith(path, ".json"))
    return openIndex(path);

  Expected<std::unique_ptr<SafetensorsFile>> file =
      endsWith(path, ".gguf") ? SafetensorsFile::openGguf(path)
                              : SafetensorsFile::open(path);
  if (!file)
    return file.takeError();
  std::shared_ptr<Checkpoint> checkpoint(new Checkpoint());
  checkpoint->path = path;
  for (const TensorInfo &tensor : (*file)->getTensors())
    checkpoint->byName.emplace(tensor.name, &tensor);
  checkpoint->files.push_back(std::move(*file));
  return checkpoint;
}

Expected<std::shared_ptr<Checkpoint>>
Checkpoint::open(const std::vector<std::string> &paths) {
  if (paths.empty())
    return makeError("no checkpoint to open");
  if (paths.size() == 1)
    return open(paths.front());
  std::shared_ptr<Checkpoint> merged(new Checkpoint());
  merged->path = paths.front();
  std::vector<std::string> described;
  for (const std::string &path : paths) {
    Expected<std::shared_ptr<Checkpoint>> part = open(path);
    if (!part)
      return part.takeError();
    for (const auto &[name, tensor] : (*part)->byName)
      if (!merged->byName.emplace(name, tensor).second)
        return makeError(fmt::format(
            "tensor '{}' is in both {} and {}: the checkpoints given "
            "together must not share names",
            name, merged->byName[name]->file->getPath(),
            tensor->file->getPath()));
    described.push_back((*part)->describe());
    for (std::unique_ptr<SafetensorsFile> &file : (*part)->files)
      merged->files.push_back(std::move(file));
  }
  merged->sharded = true;
  for (const std::string &part : described)
    merged->composite += (merged->composite.empty() ? "" : " + ") + part;
  return merged;
}

Expected<std::shared_ptr<Checkpoint>>
Checkpoint::openIndex(const std::string &indexPath) {
  std::ifstream stream(indexPath, std::ios::binary);
  if (!stream)
    return makeError(
        fmt::format("{}: cannot open: {}", indexPath, std::strerror(errno)));
  std::string text((std::istreambuf_iterator<char>(stream)),
                   std::istreambuf_iterator<char>());
  json index = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || !index.is_object())
    return makeError(
        fmt::format("{}: index is not a valid JSON object", indexPath));
  auto mapIt = index.find("weight_map");
  if (mapIt == index.end() || !mapIt->is_object())
    return makeError(
        fmt::format("{}: index has no 'weight_map' object", indexPath));

  std::shared_ptr<Checkpoint> checkpoint(new Checkpoint());
  checkpoint->path = indexPath;
  checkpoint->sharded = true;
  std::string directory = parentDirectory(indexPath);
  std::unordered_map<std::string, SafetensorsFile *> shards;
  for (auto it = mapIt->begin(); it != mapIt->end(); ++it) {
    const std::string &tensorName = it.key();
    if (!it.value().is_string())
      return makeError(
          fmt::format("{}: weight_map entry for tensor '{}' is not a file name",
                      indexPath, tensorName));
    std::string shardName = it.value().get<std::string>();
    if (shardName.empty() || shardName.front() == '/' ||
        shardName.find("..") != std::string::npos)
      return makeError(fmt::format(
          "{}: weight_map maps tensor '{}' to '{}', which is not a file name "
          "relative to the index",
          indexPath, tensorName, shardName));
    SafetensorsFile *&shard = shards[shardName];
    if (!shard) {
      Expected<std::unique_ptr<SafetensorsFile>> file =
          SafetensorsFile::open(joinPath(directory, shardName));
      if (!file)
        return makeError(
            fmt::format("{} (shard listed in {})", file.getError(), indexPath));
      shard = file->get();
      checkpoint->files.push_back(std::move(*file));
    }
    const TensorInfo *tensor = shard->find(tensorName);
    if (!tensor)
      return makeError(fmt::format(
          "{}: weight_map maps tensor '{}' to {}, but that file has no such "
          "tensor",
          indexPath, tensorName, shardName));
    checkpoint->byName.emplace(tensorName, tensor);
  }
  return checkpoint;
}

const TensorInfo *Checkpoint::find(std::string_view name) const {
  auto it = byName.find(std::string(name));
  return it == byName.end() ? nullptr : it->second;
}

std::vector<std::string> Checkpoint::getTensorNames() const {
  std::vector<std::string> names;
  names.reserve(byName.size());
  for (const auto &entry : byName)
    names.push_back(entry.first);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Checkpoint::describe() const {
  if (!composite.empty())
    return composite;
  if (!sharded)
    return path;
  return fmt::format("{} ({} shard{})", path, files.size(),
                     files.size() == 1 ? "" : "s");
}

} // namespace loom
