//===- Support.cpp - Errors and small string helpers ----------------------===//

#include "loom/Support.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <sys/stat.h>

namespace loom {

size_t editDistance(std::string_view a, std::string_view b, size_t limit) {
  size_t lenDiff =
      a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (lenDiff > limit)
    return limit == SIZE_MAX ? lenDiff : limit + 1;
  // One row of the dynamic programming table.
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    size_t rowMin = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
      rowMin = std::min(rowMin, row[j]);
    }
    if (limit != SIZE_MAX && rowMin > limit)
      return limit + 1;
  }
  return row[b.size()];
}

std::optional<std::string>
closestMatch(std::string_view name,
             const std::vector<std::string> &candidates) {
  std::optional<std::string> best;
  size_t bestDistance = SIZE_MAX;
  for (const std::string &candidate : candidates) {
    size_t allowed =
        std::max<size_t>(1, std::max(name.size(), candidate.size()) / 3);
    size_t limit = std::min(
        allowed, bestDistance == SIZE_MAX ? allowed : bestDistance - 1);
    size_t distance = editDistance(name, candidate, limit);
    if (distance > limit || distance >= bestDistance)
      continue;
    bestDistance = distance;
    best = candidate;
    if (distance == 0)
      break;
  }
  return best;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

std::optional<int64_t> numElements(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return std::nullopt;
    if (dim != 0 && count > INT64_MAX / dim)
      return std::nullopt;
    count *= dim;
  }
  return count;
}

std::optional<int64_t> parseInt(std::string_view text) {
  if (text.empty() || text.size() > 32)
    return std::nullopt;
  std::string copy(text);
  if (!(copy[0] == '-' || copy[0] == '+' || (copy[0] >= '0' && copy[0] <= '9')))
    return std::nullopt;
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(copy.c_str(), &end, 10);
  if (errno == ERANGE || end != copy.c_str() + copy.size())
    return std::nullopt;
  return static_cast<int64_t>(value);
}

std::optional<double> parseDouble(std::string_view text) {
  if (text.empty() || text.size() > 64)
    return std::nullopt;
  std::string copy(text);
  char first = copy[0];
  if (!(first == '-' || first == '+' || first == '.' ||
        (first >= '0' && first <= '9')))
    return std::nullopt;
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

bool isDirectory(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool isRegularFile(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::string weightsDirectory(const std::string &path) {
  if (isDirectory(path))
    return path;
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace loom

void loom::badKernelCall(const char *kernel, const std::string &message) {
  std::fprintf(stderr, "loom runtime: %s: %s\n", kernel, message.c_str());
  std::abort();
}
