//===- PreTokenizers.cpp - Splitting text into words ----------------------===//
//
// The split behaviours follow `tokenizers`' `NormalizedString::split`: the
// text is cut into alternating matches and gaps, which are then kept,
// dropped or merged; empty pieces are dropped.
//
//===----------------------------------------------------------------------===//

#include "tokenizer/Steps.h"
#include "tokenizer/Unicode.h"

#include <functional>

namespace loom::tok {

const char *const kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

namespace {

/// A piece of the text and whether the pattern matched it.
struct Cut {
  Span span;
  bool match;
};

/// Cuts `text` at `matches` into alternating gaps and matches.
std::vector<Cut> cutAt(std::string_view text, const std::vector<Span> &matches,
                       bool invert) {
  std::vector<Cut> cuts;
  size_t last = 0;
  for (Span match : matches) {
    if (match.first > last)
      cuts.push_back({{last, match.first}, invert});
    cuts.push_back({match, !invert});
    last = match.second;
  }
  if (last < text.size())
    cuts.push_back({{last, text.size()}, invert});
  return cuts;
}

/// Keeps, drops or merges the cuts as `behavior` says.
std::vector<Span> arrange(std::vector<Cut> cuts, SplitBehavior behavior) {
  std::vector<Span> spans;
  bool previousMatch = false;
  switch (behavior) {
  case SplitBehavior::Removed:
    for (const Cut &cut : cuts)
      if (!cut.match)
        spans.push_back(cut.span);
    break;
  case SplitBehavior::Isolated:
    for (const Cut &cut : cuts)
      spans.push_back(cut.span);
    break;
  case SplitBehavior::MergedWithPrevious:
    for (const Cut &cut : cuts) {
      if (cut.match && !previousMatch && !spans.empty())
        spans.back().second = cut.span.second;
      else
        spans.push_back(cut.span);
      previousMatch = cut.match;
    }
    break;
  case SplitBehavior::MergedWithNext:
    for (size_t i = cuts.size(); i-- > 0;) {
      const Cut &cut = cuts[i];
      if (cut.match && !previousMatch && !spans.empty())
        spans.back().first = cut.span.first;
      else
        spans.push_back(cut.span);
      previousMatch = cut.match;
    }
    std::reverse(spans.begin(), spans.end());
    break;
  case SplitBehavior::Contiguous:
    for (size_t i = 0; i < cuts.size(); ++i) {
      if (i > 0 && cuts[i].match == previousMatch)
        spans.back().second = cuts[i].span.second;
      else
        spans.push_back(cuts[i].span);
      previousMatch = cuts[i].match;
    }
    break;
  }
  return spans;
}

/// Replaces every piece by its splits.
template <typename Split>
void splitEach(std::vector<std::string> &pieces, Split split) {
  std::vector<std::string> out;
  out.reserve(pieces.size());
  for (const std::string &piece : pieces)
    for (Span span : split(piece))
      if (span.second > span.first)
        out.push_back(piece.substr(span.first, span.second - span.first));
  pieces = std::move(out);
}

/// Each character for which `predicate` holds, as a match.
std::vector<Span> charMatches(std::string_view text,
                              const std::function<bool(char32_t)> &predicate) {
  std::vector<Span> matches;
  for (size_t position = 0; position < text.size();) {
    size_t start = position;
    if (predicate(unicode::next(text, position)))
      matches.emplace_back(start, position);
  }
  return matches;
}

class ByteLevel final : public PreTokenizer {
public:
  ByteLevel(bool addPrefixSpace, std::optional<Pattern> split)
      : addPrefixSpace(addPrefixSpace), split(std::move(split)) {}

  void apply(std::vector<std::string> &pieces, bool) const override {
    if (addPrefixSpace)
      for (std::string &piece : pieces)
        if (piece.empty() || piece[0] != ' ')
          piece.insert(0, " ");
    if (split)
      splitEach(pieces, [&](const std::string &piece) {
        return arrange(cutAt(piece, split->findAll(piece), false),
                       SplitBehavior::Isolated);
      });
    for (std::string &piece : pieces) {
      std::string mapped;
      mapped.reserve(piece.size() * 2);
      for (unsigned char byte : piece)
        unicode::append(mapped, unicode::byteToChar(byte));
      piece = std::move(mapped);
    }
  }

private:
  bool addPrefixSpace;
  std::optional<Pattern> split;
};

class Split final : public PreTokenizer {
public:
  Split(Pattern pattern, SplitBehavior behavior, bool invert)
      : pattern(std::move(pattern)), behavior(behavior), invert(invert) {}
  void apply(std::vector<std::string> &pieces, bool) const override {
    splitEach(pieces, [&](const std::string &piece) {
      return arrange(cutAt(piece, pattern.findAll(piece), invert), behavior);
    });
  }

private:
  Pattern pattern;
  SplitBehavior behavior;
  bool invert;
};

/// A split on single characters chosen by a predicate.
class CharSplit final : public PreTokenizer {
public:
  CharSplit(std::function<bool(char32_t)> predicate, SplitBehavior behavior)
      : predicate(std::move(predicate)), behavior(behavior) {}
  void apply(std::vector<std::string> &pieces, bool) const override {
    splitEach(pieces, [&](const std::string &piece) {
      return arrange(cutAt(piece, charMatches(piece, predicate), false),
                     behavior);
    });
  }

private:
  std::function<bool(char32_t)> predicate;
  SplitBehavior behavior;
};

class Metaspace final : public PreTokenizer {
public:
  Metaspace(std::string replacement, int prepend, bool split)
      : replacement(std::move(replacement)), prepend(prepend), split(split) {}

  void apply(std::vector<std::string> &pieces, bool atStart) const override {
    for (size_t i = 0; i < pieces.size(); ++i) {
      std::string &piece = pieces[i];
      std::string replaced;
      for (char c : piece) {
        if (c == ' ')
          replaced += replacement;
        else
          replaced += c;
      }
      bool starts = replaced.compare(0, replacement.size(), replacement) == 0;
      if (!starts && (prepend == 2 || (prepend == 1 && atStart && i == 0)))
        replaced.insert(0, replacement);
      piece = std::move(replaced);
    }
    if (!split)
      return;
    Pattern pattern = Pattern::literal(replacement);
    splitEach(pieces, [&](const std::string &piece) {
      return arrange(cutAt(piece, pattern.findAll(piece), false),
                     SplitBehavior::MergedWithNext);
    });
  }

private:
  std::string replacement;
  int prepend;
  bool split;
};

class PreTokenizerSequence final : public PreTokenizer {
public:
  explicit PreTokenizerSequence(
      std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps(std::move(steps)) {}
  void apply(std::vector<std::string> &pieces, bool atStart) const override {
    for (const std::unique_ptr<PreTokenizer> &step : steps)
      step->apply(pieces, atStart);
  }

private:
  std::vector<std::unique_ptr<PreTokenizer>> steps;
};

/// The GPT-2 pattern, compiled once.
const Pattern &gpt2Pattern() {
  static const Pattern pattern = *Pattern::regex(kGpt2Pattern);
  return pattern;
}

} // namespace

std::unique_ptr<PreTokenizer> makeByteLevel(bool addPrefixSpace,
                                            bool useRegex) {
  return std::make_unique<ByteLevel>(
      addPrefixSpace,
      useRegex ? std::optional<Pattern>(gpt2Pattern()) : std::nullopt);
}

std::unique_ptr<PreTokenizer> makeSplit(Pattern pattern, SplitBehavior behavior,
                                        bool invert) {
  return std::make_unique<Split>(std::move(pattern), behavior, invert);
}

std::unique_ptr<PreTokenizer> makeDigits(bool individual) {
  return std::make_unique<CharSplit>(unicode::isNumeric,
                                     individual ? SplitBehavior::Isolated
                                                : SplitBehavior::Contiguous);
}

std::unique_ptr<PreTokenizer> makeBertPreTokenizer() {
  std::vector<std::unique_ptr<PreTokenizer>> steps;
  steps.push_back(makeWhitespaceSplit());
  steps.push_back(makePunctuation(SplitBehavior::Isolated));
  return makePreTokenizerSequence(std::move(steps));
}

std::unique_ptr<PreTokenizer> makeWhitespaceSplit() {
  return std::make_unique<CharSplit>(unicode::isWhitespace,
                                     SplitBehavior::Removed);
}

std::unique_ptr<PreTokenizer> makePunctuation(SplitBehavior behavior) {
  return std::make_unique<CharSplit>(unicode::isPunctuation, behavior);
}

std::unique_ptr<PreTokenizer> makeMetaspace(std::string replacement,
                                            int prepend, bool split) {
  return std::make_unique<Metaspace>(std::move(replacement), prepend, split);
}

std::unique_ptr<PreTokenizer>
makePreTokenizerSequence(std::vector<std::unique_ptr<PreTokenizer>> steps) {
  return std::make_unique<PreTokenizerSequence>(std::move(steps));
}

} // namespace loom::tok
