//===- Decoders.cpp - From token strings back to text ---------------------===//

#include "tokenizer/Steps.h"
#include "tokenizer/Unicode.h"

#include <optional>

namespace loom::tok {

namespace {

/// `bytes` as UTF-8, each maximal ill-formed subsequence replaced by U+FFFD
/// (as Rust's `String::from_utf8_lossy`).
std::string lossyUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  auto bad = [&](size_t consumed) {
    unicode::append(out, 0xFFFD);
    i += consumed;
  };
  while (i < bytes.size()) {
    unsigned char lead = static_cast<unsigned char>(bytes[i]);
    if (lead < 0x80) {
      out += char(lead);
      ++i;
      continue;
    }
    size_t length;
    unsigned char low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF)
      length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0)
        low = 0xA0;
      if (lead == 0xED)
        high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0)
        low = 0x90;
      if (lead == 0xF4)
        high = 0x8F;
    } else {
      bad(1);
      continue;
    }
    size_t valid = 1;
    for (; valid < length && i + valid < bytes.size(); ++valid) {
      unsigned char byte = static_cast<unsigned char>(bytes[i + valid]);
      unsigned char lo = valid == 1 ? low : 0x80, hi = valid == 1 ? high : 0xBF;
      if (byte < lo || byte > hi)
        break;
    }
    if (valid < length) {
      bad(valid);
      continue;
    }
    out.append(bytes.substr(i, length));
    i += length;
  }
  return out;
}

class ByteLevelDecoder final : public Decoder {
public:
  void apply(std::vector<std::string> &tokens) const override {
    std::string bytes;
    for (const std::string &token : tokens) {
      std::string mapped;
      bool all = true;
      for (size_t position = 0; position < token.size() && all;) {
        int byte = unicode::charToByte(unicode::next(token, position));
        if (byte < 0)
          all = false;
        else
          mapped += char(byte);
      }
      bytes += all ? mapped : token;
    }
    tokens.assign(1, lossyUtf8(bytes));
  }
};

class WordPieceDecoder final : public Decoder {
public:
  WordPieceDecoder(std::string prefix, bool cleanup)
      : prefix(std::move(prefix)), cleanup(cleanup) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string &token = tokens[i];
      if (i > 0) {
        if (token.compare(0, prefix.size(), prefix) == 0)
          token.erase(0, prefix.size());
        else
          token.insert(0, " ");
      }
      if (cleanup)
        token = cleanUp(token);
    }
  }

  /// BERT's clean-up of spaces before punctuation and contractions.
  static std::string cleanUp(std::string text) {
    static const std::pair<const char *, const char *> kRules[] = {
        {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
        {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
        {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto &[from, to] : kRules) {
      std::string_view pattern = from;
      std::string out;
      size_t last = 0;
      for (size_t at = text.find(pattern); at != std::string::npos;
           at = text.find(pattern, last)) {
        out.append(text, last, at - last);
        out += to;
        last = at + pattern.size();
      }
      out.append(text, last, std::string::npos);
      text = std::move(out);
    }
    return text;
  }

private:
  std::string prefix;
  bool cleanup;
};

class MetaspaceDecoder final : public Decoder {
public:
  MetaspaceDecoder(std::string replacement, bool prependNever)
      : replacement(std::move(replacement)), prependNever(prependNever) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      std::string &token = tokens[i];
      for (size_t at = 0; at < token.size();) {
        if (token.compare(at, replacement.size(), replacement) == 0) {
          out += ' ';
          at += replacement.size();
        } else {
          out += token[at++];
        }
      }
      if (i == 0 && !prependNever && !out.empty() && out[0] == ' ')
        out.erase(0, 1);
      token = std::move(out);
    }
  }

private:
  std::string replacement;
  bool prependNever;
};

class ReplaceDecoder final : public Decoder {
public:
  ReplaceDecoder(Pattern pattern, std::string content)
      : normalizer(makeReplace(std::move(pattern), std::move(content))) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (std::string &token : tokens)
      token = normalizer->apply(std::move(token));
  }

private:
  std::unique_ptr<Normalizer> normalizer;
};

class ByteFallbackDecoder final : public Decoder {
public:
  void apply(std::vector<std::string> &tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    size_t pendingCount = 0;
    auto flush = [&] {
      if (pendingCount == 0)
        return;
      std::string text = lossyUtf8(pending);
      if (text != pending) { // Not valid UTF-8: one U+FFFD per byte token.
        text.clear();
        for (size_t i = 0; i < pendingCount; ++i)
          unicode::append(text, 0xFFFD);
      }
      out.push_back(std::move(text));
      pending.clear();
      pendingCount = 0;
    };
    for (std::string &token : tokens) {
      if (std::optional<unsigned char> byte = byteToken(token)) {
        pending += char(*byte);
        ++pendingCount;
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
  }

private:
  static std::optional<unsigned char> byteToken(std::string_view token) {
    if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>')
      return std::nullopt;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9')
        return c - '0';
      if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
      if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
      return -1;
    };
    int high = hex(token[3]), low = hex(token[4]);
    if (high < 0 || low < 0)
      return std::nullopt;
    return static_cast<unsigned char>(high * 16 + low);
  }
};

class FuseDecoder final : public Decoder {
public:
  void apply(std::vector<std::string> &tokens) const override {
    std::string joined;
    for (const std::string &token : tokens)
      joined += token;
    tokens.assign(1, std::move(joined));
  }
};

class StripDecoder final : public Decoder {
public:
  StripDecoder(std::string content, int64_t start, int64_t stop)
      : content(std::move(content)), start(start), stop(stop) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (std::string &token : tokens) {
      for (int64_t i = 0; i < start && !content.empty() &&
                          token.compare(0, content.size(), content) == 0;
           ++i)
        token.erase(0, content.size());
      for (int64_t i = 0;
           i < stop && !content.empty() && token.size() >= content.size() &&
           token.compare(token.size() - content.size(), content.size(),
                         content) == 0;
           ++i)
        token.resize(token.size() - content.size());
    }
  }

private:
  std::string content;
  int64_t start, stop;
};

class BpeSuffixDecoder final : public Decoder {
public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix(std::move(suffix)) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string &token = tokens[i];
      std::string out;
      const char *replacement = i + 1 == tokens.size() ? "" : " ";
      for (size_t at = 0; at < token.size();) {
        if (!suffix.empty() && token.compare(at, suffix.size(), suffix) == 0) {
          out += replacement;
          at += suffix.size();
        } else {
          out += token[at++];
        }
      }
      token = std::move(out);
    }
  }

private:
  std::string suffix;
};

class DecoderSequence final : public Decoder {
public:
  explicit DecoderSequence(std::vector<std::unique_ptr<Decoder>> steps)
      : steps(std::move(steps)) {}
  void apply(std::vector<std::string> &tokens) const override {
    for (const std::unique_ptr<Decoder> &step : steps)
      step->apply(tokens);
  }

private:
  std::vector<std::unique_ptr<Decoder>> steps;
};

} // namespace

std::unique_ptr<Decoder> makeByteLevelDecoder() {
  return std::make_unique<ByteLevelDecoder>();
}
std::unique_ptr<Decoder> makeWordPieceDecoder(std::string prefix,
                                              bool cleanup) {
  return std::make_unique<WordPieceDecoder>(std::move(prefix), cleanup);
}
std::unique_ptr<Decoder> makeMetaspaceDecoder(std::string replacement,
                                              bool prependNever) {
  return std::make_unique<MetaspaceDecoder>(std::move(replacement),
                                            prependNever);
}
std::unique_ptr<Decoder> makeReplaceDecoder(Pattern pattern,
                                            std::string content) {
  return std::make_unique<ReplaceDecoder>(std::move(pattern),
                                          std::move(content));
}
std::unique_ptr<Decoder> makeByteFallbackDecoder() {
  return std::make_unique<ByteFallbackDecoder>();
}
std::unique_ptr<Decoder> makeFuseDecoder() {
  return std::make_unique<FuseDecoder>();
}
std::unique_ptr<Decoder> makeStripDecoder(std::string content, int64_t start,
                                          int64_t stop) {
  return std::make_unique<StripDecoder>(std::move(content), start, stop);
}
std::unique_ptr<Decoder> makeBpeSuffixDecoder(std::string suffix) {
  return std::make_unique<BpeSuffixDecoder>(std::move(suffix));
}
std::unique_ptr<Decoder>
makeDecoderSequence(std::vector<std::unique_ptr<Decoder>> steps) {
  return std::make_unique<DecoderSequence>(std::move(steps));
}

} // namespace loom::tok
