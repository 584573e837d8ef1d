//===- Npy.cpp - Writing NumPy .npy files ---------------------------------===//

#include "loom/Npy.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace loom {

std::string npyHeader(const std::vector<int64_t> &shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i)
    dims += fmt::format("{}{}", i ? ", " : "", shape[i]);
  if (shape.size() == 1)
    dims += ",";
  std::string dict = fmt::format(
      "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
  // magic (6) + version (2) + length (2) + dict + padding + '\n' is a
  // multiple of 64.
  size_t unpadded = 10 + dict.size() + 1;
  size_t padding = (64 - unpadded % 64) % 64;
  dict.append(padding, ' ');
  dict += '\n';
  std::string header = "\x93NUMPY";
  header += '\x01';
  header += '\x00';
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>((dict.size() >> 8) & 0xff);
  return header + dict;
}

Status writeNpy(const std::string &path, const float *data,
                const std::vector<int64_t> &shape) {
  std::optional<int64_t> count = numElements(shape);
  if (!count)
    return makeError(fmt::format("{}: cannot write an array of shape {}", path,
                                 formatShape(shape)));
  std::string header = npyHeader(shape);
  if (header.size() - 10 > 0xffff)
    return makeError(fmt::format("{}: shape {} is too long for a .npy v1.0 "
                                 "header",
                                 path, formatShape(shape)));
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return makeError(fmt::format("{}: cannot open for writing: {}", path,
                                 std::strerror(errno)));
  bool ok = std::fwrite(header.data(), 1, header.size(), file) == header.size();
  size_t elements = static_cast<size_t>(*count);
  // Little-endian hosts only (x86-64, AArch64): floats are written as is.
  if (ok && elements)
    ok = std::fwrite(data, sizeof(float), elements, file) == elements;
  ok = std::fclose(file) == 0 && ok;
  if (!ok)
    return makeError(
        fmt::format("{}: write failed: {}", path, std::strerror(errno)));
  return Status::success();
}

} // namespace loom
