//===- Support.h - Errors and small string helpers --------------*- C++ -*-===//
//
// The runtime never throws: fallible functions return `Expected<T>` (a value
// or an error message) or `Status` (`Expected<void>`). Messages are complete
// sentences meant for the person running the program; they name the file and,
// where relevant, the tensor.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_SUPPORT_H
#define LOOM_SUPPORT_H

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace loom {

/// An error: a human-readable message.
class Error {
public:
  explicit Error(std::string message) : message(std::move(message)) {}
  /// The message, without a trailing newline.
  const std::string &getMessage() const { return message; }

private:
  std::string message;
};

/// Builds an `Error` (reads better at return sites: `return makeError(...)`).
inline Error makeError(std::string message) {
  return Error(std::move(message));
}

/// Either a `T` or an `Error`. Test with `if (!result)`, then read the error
/// with `getError()` or the value with `*result` / `result->`.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : storage(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : storage(std::in_place_index<1>, std::move(error)) {}

  /// True when this holds a value.
  explicit operator bool() const { return storage.index() == 0; }
  /// The error message; only valid when this holds an error.
  const std::string &getError() const {
    assert(!*this && "no error");
    return std::get<1>(storage).getMessage();
  }
  /// Moves the error out (to forward it: `return result.takeError();`).
  Error takeError() { return std::move(std::get<1>(storage)); }

  T &operator*() { return std::get<0>(storage); }
  const T &operator*() const { return std::get<0>(storage); }
  T *operator->() { return &std::get<0>(storage); }
  const T *operator->() const { return &std::get<0>(storage); }

private:
  std::variant<T, Error> storage;
};

/// Success or an `Error`.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error(std::move(error)) {}
  /// The success value.
  static Status success() { return Status(); }

  /// True on success.
  explicit operator bool() const { return !error.has_value(); }
  /// The error message; only valid on failure.
  const std::string &getError() const {
    assert(error && "no error");
    return error->getMessage();
  }
  /// Moves the error out.
  Error takeError() { return std::move(*error); }

private:
  std::optional<Error> error;
};

/// Records `message` as this thread's last error, read by the C APIs'
/// `loom_last_error()`.
void setLastError(std::string message);

/// Levenshtein distance between `a` and `b`, giving up (and returning
/// `limit + 1`) once it is certain to exceed `limit`.
size_t editDistance(std::string_view a, std::string_view b,
                    size_t limit = SIZE_MAX);

/// The candidate closest to `name` by edit distance, if it is close enough to
/// be a plausible typo (distance at most a third of the longer name, and at
/// least 1 character may always differ). Ties go to the earliest candidate.
std::optional<std::string>
closestMatch(std::string_view name, const std::vector<std::string> &candidates);

/// Stops the program with "loom runtime: KERNEL: MESSAGE": generated code
/// passed a kernel what no compiled model passes (a mismatch between the
/// compiler and the runtime, not something a user's input can cause).
[[noreturn]] void badKernelCall(const char *kernel, const std::string &message);

/// Formats a shape as `[2, 3]` (a scalar is `[]`).
std::string formatShape(const std::vector<int64_t> &shape);

/// The number of elements of `shape`, or nullopt if a dimension is negative
/// or the product overflows 63 bits.
std::optional<int64_t> numElements(const std::vector<int64_t> &shape);

/// Parses a whole string as a decimal signed 64-bit integer (leading `+`/`-`
/// allowed, no spaces, no trailing characters).
std::optional<int64_t> parseInt(std::string_view text);

/// Parses a whole string as a finite double (no trailing characters).
std::optional<double> parseDouble(std::string_view text);

/// Whether `text` ends with `suffix`.
bool endsWith(std::string_view text, std::string_view suffix);

/// Whether `path` is a directory / a regular file (following links).
bool isDirectory(const std::string &path);
bool isRegularFile(const std::string &path);

/// The directory a weights path stands for: the path itself if it is a
/// directory, else the directory of the file ("." for a bare name).
std::string weightsDirectory(const std::string &path);

} // namespace loom

#endif // LOOM_SUPPORT_H
