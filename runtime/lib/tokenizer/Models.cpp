//===- Models.cpp - BPE, WordPiece and WordLevel --------------------------===//

#include "tokenizer/Steps.h"
#include "tokenizer/Unicode.h"

#include <fmt/format.h>

#include <array>
#include <mutex>
#include <queue>

namespace loom::tok {

namespace {

/// Token text to id.
using VocabMap = std::unordered_map<std::string, int32_t>;

VocabMap indexVocabulary(const std::vector<std::string> &vocabulary) {
  VocabMap map;
  map.reserve(vocabulary.size());
  for (size_t id = 0; id < vocabulary.size(); ++id)
    if (!vocabulary[id].empty())
      map.emplace(vocabulary[id], int32_t(id));
  return map;
}

/// Quotes a word for an error message (control characters escaped).
std::string quote(std::string_view word) {
  std::string out = "'";
  for (unsigned char c : word) {
    if (c < 0x20)
      out += fmt::format("\\x{:02x}", c);
    else
      out += char(c);
  }
  return out + "'";
}

/// Byte-pair encoding: a word starts as characters (or byte tokens) and
/// the adjacent pair with the lowest merge rank is merged until none is
/// left, as `tokenizers`' `Word::merge_all`.
class Bpe final : public Model {
public:
  static Expected<std::unique_ptr<Model>> create(BpeConfig config);

  Status tokenize(std::string_view word,
                  std::vector<int32_t> &ids) const override {
    if (word.empty())
      return Status::success();
    if (config.ignoreMerges)
      if (auto found = vocab.find(std::string(word)); found != vocab.end()) {
        ids.push_back(found->second);
        return Status::success();
      }
    {
      std::lock_guard<std::mutex> lock(cacheMutex);
      if (auto cached = cache.find(std::string(word)); cached != cache.end()) {
        ids.insert(ids.end(), cached->second.begin(), cached->second.end());
        return Status::success();
      }
    }
    std::vector<int32_t> symbols;
    if (Status status = initialSymbols(word, symbols); !status)
      return status;
    mergeAll(symbols);
    ids.insert(ids.end(), symbols.begin(), symbols.end());
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (cache.size() < kCacheCapacity)
      cache.emplace(std::string(word), std::move(symbols));
    return Status::success();
  }

  const std::vector<std::string> &vocabulary() const override {
    return config.vocabulary;
  }

private:
  struct Merge {
    int32_t rank;
    int32_t id;
  };
  static constexpr size_t kCacheCapacity = 1 << 16;

  Bpe() { byteIds.fill(-1); }

  static uint64_t pairKey(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }

  /// One symbol per character (prefixed/suffixed as configured); unknown
  /// characters become byte tokens, the unknown token, or an error.
  Status initialSymbols(std::string_view word,
                        std::vector<int32_t> &symbols) const {
    bool lastWasUnknown = false;
    for (size_t position = 0; position < word.size();) {
      size_t start = position;
      unicode::next(word, position);
      std::string text(word.substr(start, position - start));
      if (start > 0)
        text.insert(0, config.continuingSubwordPrefix);
      if (position == word.size())
        text += config.endOfWordSuffix;
      if (auto found = vocab.find(text); found != vocab.end()) {
        symbols.push_back(found->second);
        lastWasUnknown = false;
        continue;
      }
      if (config.byteFallback) {
        bool all = true;
        for (size_t i = start; i < position; ++i)
          all &= byteIds[static_cast<unsigned char>(word[i])] >= 0;
        if (all) {
          for (size_t i = start; i < position; ++i)
            symbols.push_back(byteIds[static_cast<unsigned char>(word[i])]);
          lastWasUnknown = false;
          continue;
        }
      }
      if (!config.unknown)
        return makeError(fmt::format(
            "the vocabulary cannot encode {} in {}: the tokenizer has no "
            "unknown token and no byte fallback",
            quote(word.substr(start, position - start)), quote(word)));
      if (!(config.fuseUnknown && lastWasUnknown))
        symbols.push_back(*config.unknown);
      lastWasUnknown = true;
    }
    return Status::success();
  }

  /// Merges the lowest-ranked adjacent pair (leftmost first) until no pair
  /// has a merge.
  void mergeAll(std::vector<int32_t> &symbols) const {
    size_t count = symbols.size();
    if (count < 2)
      return;
    std::vector<int32_t> previous(count), next(count);
    std::vector<bool> alive(count, true);
    for (size_t i = 0; i < count; ++i) {
      previous[i] = int32_t(i) - 1;
      next[i] = i + 1 < count ? int32_t(i + 1) : -1;
    }
    struct Candidate {
      int32_t rank, position, id;
      bool operator>(const Candidate &other) const {
        return rank != other.rank ? rank > other.rank
                                  : position > other.position;
      }
    };
    std::priority_queue<Candidate, std::vector<Candidate>,
                        std::greater<Candidate>>
        queue;
    auto consider = [&](int32_t left) {
      if (left < 0 || next[size_t(left)] < 0)
        return;
      auto found = merges.find(
          pairKey(symbols[size_t(left)], symbols[size_t(next[size_t(left)])]));
      if (found != merges.end())
        queue.push({found->second.rank, left, found->second.id});
    };
    for (size_t i = 0; i + 1 < count; ++i)
      consider(int32_t(i));
    while (!queue.empty()) {
      Candidate top = queue.top();
      queue.pop();
      size_t left = size_t(top.position);
      if (!alive[left] || next[left] < 0)
        continue;
      size_t right = size_t(next[left]);
      auto found = merges.find(pairKey(symbols[left], symbols[right]));
      if (found == merges.end() || found->second.rank != top.rank ||
          found->second.id != top.id)
        continue; // Stale: one side was merged since.
      symbols[left] = top.id;
      alive[right] = false;
      next[left] = next[right];
      if (next[right] >= 0)
        previous[size_t(next[right])] = int32_t(left);
      consider(previous[left]);
      consider(int32_t(left));
    }
    size_t out = 0;
    for (size_t i = 0; i < count; ++i)
      if (alive[i])
        symbols[out++] = symbols[i];
    symbols.resize(out);
  }

  BpeConfig config;
  VocabMap vocab;
  std::unordered_map<uint64_t, Merge> merges;
  std::array<int32_t, 256> byteIds;
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;
};

Expected<std::unique_ptr<Model>> Bpe::create(BpeConfig config) {
  auto bpe = std::unique_ptr<Bpe>(new Bpe());
  bpe->vocab = indexVocabulary(config.vocabulary);
  for (size_t rank = 0; rank < config.merges.size(); ++rank) {
    const auto &[left, right] = config.merges[rank];
    auto leftId = bpe->vocab.find(left), rightId = bpe->vocab.find(right),
         merged = bpe->vocab.find(left + right);
    if (leftId == bpe->vocab.end() || rightId == bpe->vocab.end() ||
        merged == bpe->vocab.end())
      return makeError(fmt::format(
          "merge {} ('{} {}') names a token that is not in the vocabulary",
          rank + 1, left, right));
    bpe->merges.emplace(pairKey(leftId->second, rightId->second),
                        Merge{int32_t(rank), merged->second});
  }
  if (config.byteFallback)
    for (int byte = 0; byte < 256; ++byte) {
      auto found = bpe->vocab.find(fmt::format("<0x{:02X}>", byte));
      bpe->byteIds[size_t(byte)] =
          found == bpe->vocab.end() ? -1 : found->second;
    }
  bpe->config = std::move(config);
  return std::unique_ptr<Model>(std::move(bpe));
}

/// Greedy longest-match-first, with `##` (the prefix) on continuations; a
/// word that does not decompose is the unknown token.
class WordPiece final : public Model {
public:
  WordPiece(std::vector<std::string> vocabulary, int32_t unknown,
            std::string prefix, int64_t maxCharsPerWord)
      : words(std::move(vocabulary)), vocab(indexVocabulary(words)),
        unknown(unknown), prefix(std::move(prefix)),
        maxCharsPerWord(maxCharsPerWord) {}

  Status tokenize(std::string_view word,
                  std::vector<int32_t> &ids) const override {
    std::vector<size_t> boundaries; // Byte offset of each character.
    for (size_t position = 0; position < word.size();) {
      boundaries.push_back(position);
      unicode::next(word, position);
    }
    if (int64_t(boundaries.size()) > maxCharsPerWord) {
      ids.push_back(unknown);
      return Status::success();
    }
    boundaries.push_back(word.size());
    std::vector<int32_t> pieces;
    size_t start = 0; // Index into boundaries.
    while (start + 1 < boundaries.size()) {
      std::optional<int32_t> found;
      size_t end = boundaries.size() - 1;
      for (; end > start; --end) {
        std::string piece(word.substr(boundaries[start],
                                      boundaries[end] - boundaries[start]));
        if (start > 0)
          piece.insert(0, prefix);
        if (auto hit = vocab.find(piece); hit != vocab.end()) {
          found = hit->second;
          break;
        }
      }
      if (!found) {
        ids.push_back(unknown);
        return Status::success();
      }
      pieces.push_back(*found);
      start = end;
    }
    ids.insert(ids.end(), pieces.begin(), pieces.end());
    return Status::success();
  }

  const std::vector<std::string> &vocabulary() const override { return words; }

private:
  std::vector<std::string> words;
  VocabMap vocab;
  int32_t unknown;
  std::string prefix;
  int64_t maxCharsPerWord;
};

/// Whole words looked up in the vocabulary.
class WordLevel final : public Model {
public:
  WordLevel(std::vector<std::string> vocabulary, int32_t unknown)
      : words(std::move(vocabulary)), vocab(indexVocabulary(words)),
        unknown(unknown) {}
  Status tokenize(std::string_view word,
                  std::vector<int32_t> &ids) const override {
    auto found = vocab.find(std::string(word));
    ids.push_back(found == vocab.end() ? unknown : found->second);
    return Status::success();
  }
  const std::vector<std::string> &vocabulary() const override { return words; }

private:
  std::vector<std::string> words;
  VocabMap vocab;
  int32_t unknown;
};

/// The id of the unknown token `unknown` in `vocabulary`.
Expected<int32_t> unknownId(const std::vector<std::string> &vocabulary,
                            const std::string &unknown, const char *model) {
  for (size_t id = 0; id < vocabulary.size(); ++id)
    if (vocabulary[id] == unknown)
      return int32_t(id);
  return makeError(
      fmt::format("the {} model's unknown token '{}' is not in its vocabulary",
                  model, unknown));
}

} // namespace

Expected<std::unique_ptr<Model>> makeBpe(BpeConfig config) {
  return Bpe::create(std::move(config));
}

Expected<std::unique_ptr<Model>>
makeWordPiece(std::vector<std::string> vocabulary, std::string unknown,
              std::string prefix, int64_t maxCharsPerWord) {
  Expected<int32_t> unknownToken = unknownId(vocabulary, unknown, "WordPiece");
  if (!unknownToken)
    return unknownToken.takeError();
  return std::unique_ptr<Model>(
      std::make_unique<WordPiece>(std::move(vocabulary), *unknownToken,
                                  std::move(prefix), maxCharsPerWord));
}

Expected<std::unique_ptr<Model>>
makeWordLevel(std::vector<std::string> vocabulary, std::string unknown) {
  Expected<int32_t> unknownToken = unknownId(vocabulary, unknown, "WordLevel");
  if (!unknownToken)
    return unknownToken.takeError();
  return std::unique_ptr<Model>(
      std::make_unique<WordLevel>(std::move(vocabulary), *unknownToken));
}

} // namespace loom::tok
