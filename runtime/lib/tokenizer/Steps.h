//===- Steps.h - The stages of a tokenizer ----------------------*- C++ -*-===//
//
// A tokenizer is Hugging Face's pipeline: added tokens are split off, the
// rest is normalized, pre-tokenized into words, each word is turned into
// ids by the model (BPE, WordPiece, WordLevel), and a post-processor adds
// special tokens. Decoding maps ids to token strings and runs the decoders.
// Each stage here is one of the kinds `tokenizer.json` names; TokenizerJson
// builds them from the file and TokenizerGguf from GGUF metadata.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_RUNTIME_TOKENIZER_STEPS_H
#define LOOM_RUNTIME_TOKENIZER_STEPS_H

#include "loom/Support.h"
#include "tokenizer/Regex.h"
#include "tokenizer/Unicode.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace loom::tok {

/// Rewrites text before it is split into words.
class Normalizer {
public:
  virtual ~Normalizer() = default;
  virtual std::string apply(std::string text) const = 0;
};

/// Splits text into words. `atStart` says whether the piece begins the
/// input (some pre-tokenizers add a prefix only there).
class PreTokenizer {
public:
  virtual ~PreTokenizer() = default;
  virtual void apply(std::vector<std::string> &pieces, bool atStart) const = 0;
};

/// Turns one word into token ids.
class Model {
public:
  virtual ~Model() = default;
  /// Appends the ids of `word` to `ids`; fails when the vocabulary cannot
  /// encode it (no unknown token, no byte fallback).
  virtual Status tokenize(std::string_view word,
                          std::vector<int32_t> &ids) const = 0;
  /// The model's vocabulary: token text by id ("" for unused ids).
  virtual const std::vector<std::string> &vocabulary() const = 0;
};

/// Rewrites the token strings of a decoded sequence.
class Decoder {
public:
  virtual ~Decoder() = default;
  virtual void apply(std::vector<std::string> &tokens) const = 0;
};

/// Adds special tokens around an encoded sequence.
class PostProcessor {
public:
  virtual ~PostProcessor() = default;
  virtual void apply(std::vector<int32_t> &ids) const = 0;
};

//===--- Normalizers (Normalizers.cpp) ------------------------------------===//

/// BERT's: removes control characters, maps whitespace to spaces, pads CJK
/// ideographs with spaces, strips accents, lowercases.
std::unique_ptr<Normalizer> makeBertNormalizer(bool cleanText,
                                               bool handleChinese,
                                               bool stripAccents,
                                               bool lowercase);
std::unique_ptr<Normalizer> makeLowercase();
std::unique_ptr<Normalizer> makeStripAccents();
std::unique_ptr<Normalizer> makeUnicodeForm(unicode::Form form);
std::unique_ptr<Normalizer> makeStrip(bool left, bool right);
std::unique_ptr<Normalizer> makeReplace(Pattern pattern, std::string content);
std::unique_ptr<Normalizer> makePrepend(std::string prefix);
std::unique_ptr<Normalizer>
makeNormalizerSequence(std::vector<std::unique_ptr<Normalizer>> steps);

//===--- Pre-tokenizers (PreTokenizers.cpp) -------------------------------===//

/// How a split keeps what its pattern matched.
enum class SplitBehavior {
  Removed,
  Isolated,
  MergedWithPrevious,
  MergedWithNext,
  Contiguous
};

/// GPT-2's split pattern, the one `ByteLevel` uses with `use_regex`.
extern const char *const kGpt2Pattern;

/// Byte-level: optionally a space prefix, GPT-2's split, then every byte
/// written in GPT-2's printable alphabet.
std::unique_ptr<PreTokenizer> makeByteLevel(bool addPrefixSpace, bool useRegex);
std::unique_ptr<PreTokenizer> makeSplit(Pattern pattern, SplitBehavior behavior,
                                        bool invert);
std::unique_ptr<PreTokenizer> makeDigits(bool individual);
std::unique_ptr<PreTokenizer> makeBertPreTokenizer();
std::unique_ptr<PreTokenizer> makeWhitespaceSplit();
std::unique_ptr<PreTokenizer> makePunctuation(SplitBehavior behavior);
/// SentencePiece's: spaces become `replacement`, which is prepended
/// (`prepend` 0 never, 1 at the start of the input, 2 always) and, with
/// `split`, starts each word.
std::unique_ptr<PreTokenizer> makeMetaspace(std::string replacement,
                                            int prepend, bool split);
std::unique_ptr<PreTokenizer>
makePreTokenizerSequence(std::vector<std::unique_ptr<PreTokenizer>> steps);

//===--- Models (Models.cpp) ----------------------------------------------===//

/// What a BPE model is built from.
struct BpeConfig {
  std::vector<std::string> vocabulary;
  std::vector<std::pair<std::string, std::string>> merges;
  std::optional<int32_t> unknown;
  std::string continuingSubwordPrefix;
  std::string endOfWordSuffix;
  bool fuseUnknown = false;
  bool byteFallback = false;
  bool ignoreMerges = false;
};
Expected<std::unique_ptr<Model>> makeBpe(BpeConfig config);
Expected<std::unique_ptr<Model>>
makeWordPiece(std::vector<std::string> vocabulary, std::string unknown,
              std::string prefix, int64_t maxCharsPerWord);
Expected<std::unique_ptr<Model>>
makeWordLevel(std::vector<std::string> vocabulary, std::string unknown);

//===--- Decoders (Decoders.cpp) ------------------------------------------===//

std::unique_ptr<Decoder> makeByteLevelDecoder();
std::unique_ptr<Decoder> makeWordPieceDecoder(std::string prefix, bool cleanup);
std::unique_ptr<Decoder> makeMetaspaceDecoder(std::string replacement,
                                              bool prependNever);
std::unique_ptr<Decoder> makeReplaceDecoder(Pattern pattern,
                                            std::string content);
std::unique_ptr<Decoder> makeByteFallbackDecoder();
std::unique_ptr<Decoder> makeFuseDecoder();
std::unique_ptr<Decoder> makeStripDecoder(std::string content, int64_t start,
                                          int64_t stop);
std::unique_ptr<Decoder> makeBpeSuffixDecoder(std::string suffix);
std::unique_ptr<Decoder>
makeDecoderSequence(std::vector<std::unique_ptr<Decoder>> steps);

//===--- Post-processors (Tokenizer.cpp) ----------------------------------===//

/// Adds `prefix` before and `suffix` after the ids (BERT's [CLS] ... [SEP],
/// Llama's BOS, a template's single-sequence form).
std::unique_ptr<PostProcessor> makeWrap(std::vector<int32_t> prefix,
                                        std::vector<int32_t> suffix);

} // namespace loom::tok

#endif // LOOM_RUNTIME_TOKENIZER_STEPS_H
