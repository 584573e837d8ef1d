//===- Regex.cpp - The split patterns of tokenizers -----------------------===//

#include "tokenizer/Regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <fmt/format.h>

namespace loom {

struct Pattern::Compiled {
  pcre2_code *code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

/// The White_Space property as a character-class body: Oniguruma's `\s`.
/// PCRE2's `\s` also matches U+180E (MONGOLIAN VOWEL SEPARATOR, a space
/// before Unicode 6.3), so tokenizer patterns, written for Oniguruma, split
/// differently around it.
static constexpr const char *kWhiteSpace =
    "\\t\\n\\x{0B}\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}"
    "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

/// `regex` with `\s` and `\S` spelled out as Oniguruma reads them.
static std::string withOnigurumaSpace(std::string_view regex) {
  std::string out;
  bool inClass = false;
  for (size_t i = 0; i < regex.size(); ++i) {
    char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      char escaped = regex[++i];
      if (escaped == 's')
        out += inClass ? std::string(kWhiteSpace)
                       : "[" + std::string(kWhiteSpace) + "]";
      else if (escaped == 'S' && !inClass)
        out += "[^" + std::string(kWhiteSpace) + "]";
      else
        out += {c, escaped};
      continue;
    }
    if (c == '[' && !inClass)
      inClass = true;
    else if (c == ']' && inClass)
      inClass = false;
    out += c;
  }
  return out;
}

Expected<Pattern> Pattern::regex(std::string_view source) {
  std::string regex = withOnigurumaSpace(source);
  int errorCode = 0;
  PCRE2_SIZE errorOffset = 0;
  pcre2_code *code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
                    PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &errorCode,
                    &errorOffset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(errorCode, message, sizeof(message));
    return makeError(fmt::format("the pattern '{}' is not a valid regular "
                                 "expression: {} (at offset {})",
                                 source, reinterpret_cast<char *>(message),
                                 errorOffset));
  }
  // Without the JIT (e.g. no executable memory) matching still works,
  // interpreted.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  Pattern pattern;
  auto compiled = std::make_shared<Compiled>();
  compiled->code = code;
  pattern.compiled = std::move(compiled);
  pattern.text = std::string(source);
  return pattern;
}

namespace {
/// What matching needs besides the pattern, made once per thread: a
/// tokenizer splits every piece of text it is given, and these would
/// otherwise be allocated (the JIT stack mapped) for each.
struct MatchState {
  /// Only the whole match is read: one pair of offsets.
  pcre2_match_data *data = pcre2_match_data_create(1, nullptr);
  pcre2_match_context *context = pcre2_match_context_create(nullptr);
  /// Long runs of one class (a megabyte of spaces) need more than the
  /// JIT's default 32 KiB stack.
  pcre2_jit_stack *stack = pcre2_jit_stack_create(32 * 1024, 8 << 20, nullptr);
  MatchState() { pcre2_jit_stack_assign(context, nullptr, stack); }
  ~MatchState() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
};

MatchState &matchState() {
  thread_local MatchState state;
  return state;
}
} // namespace

Pattern Pattern::literal(std::string_view literal) {
  Pattern pattern;
  pattern.text = std::string(literal);
  return pattern;
}

std::vector<Span> Pattern::findAll(std::string_view text) const {
  std::vector<Span> matches;
  if (!compiled) {
    if (this->text.empty())
      return matches;
    for (size_t at = text.find(this->text); at != std::string_view::npos;
         at = text.find(this->text, at + this->text.size()))
      matches.emplace_back(at, at + this->text.size());
    return matches;
  }
  MatchState &state = matchState();
  pcre2_match_data *data = state.data;
  pcre2_match_context *context = state.context;
  size_t start = 0;
  while (start < text.size()) {
    int found =
        pcre2_match(compiled->code, reinterpret_cast<PCRE2_SPTR>(text.data()),
                    text.size(), start, 0, data, context);
    if (found < 0)
      break;
    PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(data);
    size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      matches.emplace_back(begin, end);
      start = end;
      continue;
    }
    // An empty match: move on by one character.
    start = begin + 1;
    while (start < text.size() &&
           (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
      ++start;
  }
  return matches;
}

} // namespace loom
