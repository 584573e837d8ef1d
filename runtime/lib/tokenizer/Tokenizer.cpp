//===- Tokenizer.cpp - The tokenization pipeline --------------------------===//

#include "loom/Tokenizer.h"
#include "tokenizer/Steps.h"
#include "tokenizer/Unicode.h"

namespace loom {

TokenizerParts::TokenizerParts() = default;
TokenizerParts::TokenizerParts(TokenizerParts &&) = default;
TokenizerParts::~TokenizerParts() = default;

namespace tok {
namespace {
class Wrap final : public PostProcessor {
public:
  Wrap(std::vector<int32_t> prefix, std::vector<int32_t> suffix)
      : prefix(std::move(prefix)), suffix(std::move(suffix)) {}
  void apply(std::vector<int32_t> &ids) const override {
    ids.insert(ids.begin(), prefix.begin(), prefix.end());
    ids.insert(ids.end(), suffix.begin(), suffix.end());
  }

private:
  std::vector<int32_t> prefix, suffix;
};
} // namespace

std::unique_ptr<PostProcessor> makeWrap(std::vector<int32_t> prefix,
                                        std::vector<int32_t> suffix) {
  return std::make_unique<Wrap>(std::move(prefix), std::move(suffix));
}
} // namespace tok

Tokenizer::Tokenizer(TokenizerParts partsIn, std::string sourceIn)
    : parts(std::move(partsIn)), source(std::move(sourceIn)) {
  if (parts.model)
    tokens = parts.model->vocabulary();
  for (const AddedToken &token : parts.addedTokens) {
    if (token.id < 0)
      continue;
    if (size_t(token.id) >= tokens.size())
      tokens.resize(size_t(token.id) + 1);
    tokens[size_t(token.id)] = token.content;
    addedById[token.id] = &token;
    if (!token.content.empty())
      startsAddedToken[static_cast<unsigned char>(token.content[0])] = true;
  }
  for (size_t id = 0; id < tokens.size(); ++id)
    if (!tokens[id].empty())
      byText.emplace(tokens[id], int32_t(id));
}

Tokenizer::~Tokenizer() = default;

std::optional<int32_t> Tokenizer::tokenId(std::string_view text) const {
  auto found = byText.find(std::string(text));
  if (found == byText.end())
    return std::nullopt;
  return found->second;
}

std::string_view Tokenizer::tokenText(int32_t id) const {
  if (id < 0 || size_t(id) >= tokens.size())
    return {};
  return tokens[size_t(id)];
}

bool Tokenizer::isSpecial(int32_t id) const {
  auto found = addedById.find(id);
  return found != addedById.end() && found->second->special;
}

/// Whether `c` continues a word (Rust's `is_alphanumeric` or `_`).
static bool isWordChar(char32_t c) {
  return c == '_' || unicode::isAlphanumeric(c);
}

/// The last character of `text` (0 if empty).
static char32_t lastChar(std::string_view text) {
  size_t start = text.size();
  while (start > 0 &&
         (static_cast<unsigned char>(text[start - 1]) & 0xC0) == 0x80)
    --start;
  if (start == 0)
    return text.empty() ? 0 : unicode::next(text, start);
  size_t position = start - 1;
  return unicode::next(text, position);
}

std::vector<Tokenizer::Segment> Tokenizer::splitAdded(std::string_view text,
                                                      size_t offset,
                                                      bool normalized) const {
  std::vector<Segment> segments;
  size_t last = 0, position = 0;
  while (position < text.size()) {
    // The longest added token starting here (most bytes start none).
    if (!startsAddedToken[static_cast<unsigned char>(text[position])]) {
      ++position;
      continue;
    }
    const AddedToken *best = nullptr;
    for (const AddedToken &token : parts.addedTokens)
      if (token.normalized == normalized && !token.content.empty() &&
          (!best || token.content.size() > best->content.size()) &&
          text.compare(position, token.content.size(), token.content) == 0)
        best = &token;
    if (!best) {
      ++position;
      continue;
    }
    size_t start = position, stop = position + best->content.size();
    position = stop;
    if (best->singleWord) {
      bool before = start == 0 || !isWordChar(lastChar(text.substr(0, start)));
      size_t next = stop;
      bool after =
          stop == text.size() || !isWordChar(unicode::next(text, next));
      if (!before || !after)
        continue;
    }
    if (best->lstrip)
      while (start > last) {
        size_t back = start - 1;
        while (back > last &&
               (static_cast<unsigned char>(text[back]) & 0xC0) == 0x80)
          --back;
        size_t at = back;
        if (!unicode::isWhitespace(unicode::next(text, at)))
          break;
        start = back;
      }
    if (best->rstrip)
      while (stop < text.size()) {
        size_t at = stop;
        if (!unicode::isWhitespace(unicode::next(text, at)))
          break;
        stop = at;
      }
    position = stop;
    if (start > last)
      segments.push_back(
          {std::string(text.substr(last, start - last)), -1, offset + last});
    segments.push_back({"", best->id, offset + start});
    last = stop;
  }
  if (last < text.size())
    segments.push_back({std::string(text.substr(last)), -1, offset + last});
  return segments;
}

Expected<std::vector<int32_t>> Tokenizer::encode(std::string_view text,
                                                 bool addSpecialTokens) const {
  std::vector<int32_t> ids;
  for (Segment &raw : splitAdded(text, 0, /*normalized=*/false)) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    std::string normalizedText =
        parts.normalizer ? parts.normalizer->apply(std::move(raw.text))
                         : std::move(raw.text);
    for (Segment &segment :
         splitAdded(normalizedText, raw.offset, /*normalized=*/true)) {
      if (segment.id >= 0) {
        ids.push_back(segment.id);
        continue;
      }
      std::vector<std::string> words{std::move(segment.text)};
      if (parts.preTokenizer)
        parts.preTokenizer->apply(words, segment.offset == 0);
      for (const std::string &word : words)
        if (Status status = parts.model->tokenize(word, ids); !status)
          return makeError(source + ": " + status.getError());
    }
  }
  if (addSpecialTokens && parts.postProcessor)
    parts.postProcessor->apply(ids);
  return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids,
                              bool skipSpecialTokens) const {
  std::vector<std::string> pieces;
  pieces.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || size_t(id) >= tokens.size() || tokens[size_t(id)].empty())
      continue;
    if (skipSpecialTokens && isSpecial(id))
      continue;
    pieces.push_back(tokens[size_t(id)]);
  }
  if (!parts.decoder) {
    std::string joined;
    for (size_t i = 0; i < pieces.size(); ++i)
      joined += (i ? " " : "") + pieces[i];
    return joined;
  }
  parts.decoder->apply(pieces);
  std::string joined;
  for (const std::string &piece : pieces)
    joined += piece;
  return joined;
}

std::string TextStream::finish() {
  std::vector<int32_t> window(ids.begin() + std::ptrdiff_t(prefixIndex),
                              ids.end());
  std::string text = tokenizer.decode(window);
  std::string rest =
      text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0
          ? text.substr(prefix.size())
          : "";
  prefixIndex = ids.size();
  prefix.clear();
  return rest;
}

std::string TextStream::push(int32_t id) {
  ids.push_back(id);
  std::vector<int32_t> window(ids.begin() + std::ptrdiff_t(prefixIndex),
                              ids.end());
  std::string text = tokenizer.decode(window);
  // U+FFFD at the end: a character whose last bytes have not come yet.
  static const std::string kReplacement = "\xEF\xBF\xBD";
  bool incomplete =
      text.size() >= 3 && text.compare(text.size() - 3, 3, kReplacement) == 0;
  if (text.size() <= prefix.size() || incomplete)
    return "";
  std::string fresh = text.compare(0, prefix.size(), prefix) == 0
                          ? text.substr(prefix.size())
                          : text;
  // Keep the last token as context: decoders such as Metaspace treat the
  // first token of a sequence differently.
  prefixIndex = ids.size() - 1;
  prefix = tokenizer.decode({ids.back()});
  return fresh;
}

} // namespace loom
