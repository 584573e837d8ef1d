//===- Regex.h - The split patterns of tokenizers ---------------*- C++ -*-===//
//
// Tokenizer files split text with regular expressions written for
// Oniguruma (Unicode classes such as \p{L}, look-ahead, inline flags).
// PCRE2, in UTF and Unicode-property mode, reads the same syntax; patterns
// are JIT-compiled once per tokenizer.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_RUNTIME_TOKENIZER_REGEX_H
#define LOOM_RUNTIME_TOKENIZER_REGEX_H

#include "loom/Support.h"

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace loom {

/// A byte range [first, second) of a string.
using Span = std::pair<size_t, size_t>;

/// A compiled pattern: a regular expression or a literal string.
class Pattern {
public:
  /// Compiles the regular expression `regex`; errors name the pattern and
  /// the offset PCRE2 reports.
  static Expected<Pattern> regex(std::string_view regex);
  /// A pattern that matches `literal` exactly.
  static Pattern literal(std::string_view literal);

  /// The non-overlapping, non-empty matches in `text`, left to right.
  std::vector<Span> findAll(std::string_view text) const;

private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled;
  std::string text;
};

} // namespace loom

#endif // LOOM_RUNTIME_TOKENIZER_REGEX_H
