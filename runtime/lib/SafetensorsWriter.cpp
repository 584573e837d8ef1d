//===- SafetensorsWriter.cpp - Writing safetensors checkpoints ------------===//

#include "loom/SafetensorsWriter.h"
#include "loom/Progress.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

using namespace loom;

Status
loom::writeSafetensors(const std::string &path,
                       const std::vector<TensorToWrite> &tensors,
                       const std::map<std::string, std::string> &metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty())
    header["__metadata__"] = metadata;
  std::set<std::string> names;
  uint64_t offset = 0;
  std::vector<uint64_t> sizes;
  for (const TensorToWrite &tensor : tensors) {
    if (!names.insert(tensor.name).second)
      return makeError(fmt::format("cannot write tensor '{}' twice to {}",
                                   tensor.name, path));
    std::optional<int64_t> count = numElements(tensor.shape);
    if (!count || (*count > 0 && !tensor.data))
      return makeError(fmt::format("tensor '{}' has no data or an invalid "
                                   "shape",
                                   tensor.name));
    uint64_t bytes = uint64_t(*count) * dtypeSize(tensor.dtype);
    header[tensor.name] = {{"dtype", std::string(dtypeName(tensor.dtype))},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + bytes}}};
    sizes.push_back(bytes);
    offset += bytes;
  }
  std::string text = header.dump();
  // The data section starts 8-byte aligned, as other writers do.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string temporary = path + ".partial";
  std::FILE *file = std::fopen(temporary.c_str(), "wb");
  if (!file)
    return makeError(
        fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  auto fail = [&](int error) {
    std::fclose(file);
    std::remove(temporary.c_str());
    return makeError(
        fmt::format("cannot write {}: {}", path, std::strerror(error)));
  };
  unsigned char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<unsigned char>(uint64_t(text.size()) >> (8 * i));
  if (std::fwrite(length, 1, 8, file) != 8 ||
      std::fwrite(text.data(), 1, text.size(), file) != text.size())
    return fail(errno);
  Progress progress("writing " + path, int64_t(tensors.size()), "tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (sizes[i] && std::fwrite(tensors[i].data, 1, sizes[i], file) != sizes[i])
      return fail(errno);
    progress.update(int64_t(i + 1));
  }
  progress.finish();
  if (std::fclose(file) != 0) {
    std::remove(temporary.c_str());
    return makeError(
        fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    std::remove(temporary.c_str());
    return makeError(
        fmt::format("cannot write {}: {}", path, std::strerror(error)));
  }
  return Status::success();
}
