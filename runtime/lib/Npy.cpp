//===- Npy.cpp - Writing NumPy .npy files ---------------------------------===//

#include "loom/Npy.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

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

Expected<NpyArray> readNpy(const std::string &path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    return makeError(
        fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string bytes((std::istreambuf_iterator<char>(stream)),
                    std::istreambuf_iterator<char>());
  auto bad = [&](std::string_view why) {
    return makeError(
        fmt::format("{}: not a float32 .npy array: {}", path, why));
  };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return bad("no .npy magic");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3)
    return bad(fmt::format("format version {}", major));
  // Version 1 has a 2-byte header length, later versions 4 bytes.
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  size_t dataStart = 8 + lengthBytes + headerLength;
  if (bytes.size() < dataStart)
    return bad("truncated header");
  std::string header = bytes.substr(8 + lengthBytes, headerLength);
  std::smatch match;
  if (!std::regex_search(header, match, std::regex("'descr':\\s*'([^']*)'")) ||
      (match[1] != "<f4" && match[1] != "|f4"))
    return bad("its elements are not little-endian float32");
  if (!std::regex_search(header, std::regex("'fortran_order':\\s*False")))
    return bad("it is in Fortran order");
  if (!std::regex_search(header, match,
                         std::regex("'shape':\\s*\\(([0-9, ]*)\\)")))
    return bad("no shape");
  NpyArray array;
  std::string dims = match[1];
  for (size_t start = 0; start < dims.size();) {
    size_t stop = dims.find(',', start);
    std::string dim = dims.substr(
        start, stop == std::string::npos ? std::string::npos : stop - start);
    if (dim.find_first_not_of(' ') != std::string::npos) {
      std::optional<int64_t> value = parseInt(dim.substr(
          dim.find_first_not_of(' '),
          dim.find_last_not_of(' ') - dim.find_first_not_of(' ') + 1));
      if (!value || *value < 0)
        return bad(fmt::format("bad dimension '{}'", dim));
      array.shape.push_back(*value);
    }
    if (stop == std::string::npos)
      break;
    start = stop + 1;
  }
  std::optional<int64_t> count = numElements(array.shape);
  if (!count || bytes.size() - dataStart != size_t(*count) * sizeof(float))
    return bad(fmt::format("shape {} needs {} bytes of data, the file has {}",
                           formatShape(array.shape),
                           count ? size_t(*count) * sizeof(float) : 0,
                           bytes.size() - dataStart));
  array.data.resize(size_t(*count));
  if (*count)
    std::memcpy(array.data.data(), bytes.data() + dataStart,
                size_t(*count) * sizeof(float));
  return array;
}

} // namespace loom
