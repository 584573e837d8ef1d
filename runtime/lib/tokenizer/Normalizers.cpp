//===- Normalizers.cpp - Text rewrites before pre-tokenization ------------===//

#include "tokenizer/Steps.h"
#include "tokenizer/Unicode.h"

namespace loom::tok {

namespace {

class BertNormalizer final : public Normalizer {
public:
  BertNormalizer(bool cleanText, bool handleChinese, bool stripAccents,
                 bool lowercase)
      : cleanText(cleanText), handleChinese(handleChinese),
        stripAccents(stripAccents), lower(lowercase) {}

  std::string apply(std::string text) const override {
    std::string out;
    out.reserve(text.size());
    for (size_t position = 0; position < text.size();) {
      char32_t c = unicode::next(text, position);
      if (cleanText) {
        if (c == 0 || c == 0xFFFD || unicode::isControl(c))
          continue;
        if (c == '\t' || c == '\n' || c == '\r' || unicode::isWhitespace(c))
          c = ' ';
      }
      if (handleChinese && unicode::isChinese(c)) {
        out += ' ';
        unicode::append(out, c);
        out += ' ';
        continue;
      }
      unicode::append(out, c);
    }
    if (stripAccents)
      out = removeMarks(unicode::normalize(out, unicode::Form::NFD));
    if (lower)
      out = unicode::lowercase(out);
    return out;
  }

  static std::string removeMarks(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t position = 0; position < text.size();) {
      char32_t c = unicode::next(text, position);
      if (!unicode::isNonspacingMark(c))
        unicode::append(out, c);
    }
    return out;
  }

private:
  bool cleanText, handleChinese, stripAccents, lower;
};

class Lowercase final : public Normalizer {
public:
  std::string apply(std::string text) const override {
    return unicode::lowercase(text);
  }
};

class StripAccents final : public Normalizer {
public:
  std::string apply(std::string text) const override {
    return BertNormalizer::removeMarks(text);
  }
};

class UnicodeForm final : public Normalizer {
public:
  explicit UnicodeForm(unicode::Form form) : form(form) {}
  std::string apply(std::string text) const override {
    return unicode::normalize(text, form);
  }

private:
  unicode::Form form;
};

class Strip final : public Normalizer {
public:
  Strip(bool left, bool right) : left(left), right(right) {}
  std::string apply(std::string text) const override {
    std::vector<char32_t> chars = unicode::decode(text);
    size_t begin = 0, end = chars.size();
    while (left && begin < end && unicode::isWhitespace(chars[begin]))
      ++begin;
    while (right && end > begin && unicode::isWhitespace(chars[end - 1]))
      --end;
    std::string out;
    for (size_t i = begin; i < end; ++i)
      unicode::append(out, chars[i]);
    return out;
  }

private:
  bool left, right;
};

class Replace final : public Normalizer {
public:
  Replace(Pattern pattern, std::string content)
      : pattern(std::move(pattern)), content(std::move(content)) {}
  std::string apply(std::string text) const override {
    std::string out;
    size_t last = 0;
    for (Span match : pattern.findAll(text)) {
      out.append(text, last, match.first - last);
      out += content;
      last = match.second;
    }
    out.append(text, last, std::string::npos);
    return out;
  }

private:
  Pattern pattern;
  std::string content;
};

class Prepend final : public Normalizer {
public:
  explicit Prepend(std::string prefix) : prefix(std::move(prefix)) {}
  std::string apply(std::string text) const override {
    return text.empty() ? text : prefix + text;
  }

private:
  std::string prefix;
};

class NormalizerSequence final : public Normalizer {
public:
  explicit NormalizerSequence(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps(std::move(steps)) {}
  std::string apply(std::string text) const override {
    for (const std::unique_ptr<Normalizer> &step : steps)
      text = step->apply(std::move(text));
    return text;
  }

private:
  std::vector<std::unique_ptr<Normalizer>> steps;
};

} // namespace

std::unique_ptr<Normalizer> makeBertNormalizer(bool cleanText,
                                               bool handleChinese,
                                               bool stripAccents,
                                               bool lowercase) {
  return std::make_unique<BertNormalizer>(cleanText, handleChinese,
                                          stripAccents, lowercase);
}
std::unique_ptr<Normalizer> makeLowercase() {
  return std::make_unique<Lowercase>();
}
std::unique_ptr<Normalizer> makeStripAccents() {
  return std::make_unique<StripAccents>();
}
std::unique_ptr<Normalizer> makeUnicodeForm(unicode::Form form) {
  return std::make_unique<UnicodeForm>(form);
}
std::unique_ptr<Normalizer> makeStrip(bool left, bool right) {
  return std::make_unique<Strip>(left, right);
}
std::unique_ptr<Normalizer> makeReplace(Pattern pattern, std::string content) {
  return std::make_unique<Replace>(std::move(pattern), std::move(content));
}
std::unique_ptr<Normalizer> makePrepend(std::string prefix) {
  return std::make_unique<Prepend>(std::move(prefix));
}
std::unique_ptr<Normalizer>
makeNormalizerSequence(std::vector<std::unique_ptr<Normalizer>> steps) {
  return std::make_unique<NormalizerSequence>(std::move(steps));
}

} // namespace loom::tok
