//===- Tokenizer.h - Text to token ids and back -----------------*- C++ -*-===//
//
// Hugging Face tokenizers read from `tokenizer.json` (byte-level BPE as in
// GPT-2, Llama 3, Qwen and SmolLM2; BPE with byte fallback as in Llama 2 and
// Mistral; WordPiece as in BERT; WordLevel) or from the vocabulary embedded
// in a GGUF file (`tokenizer.ggml.*`); SentencePiece models (`.model`
// files, GGUF vocabularies of type `llama`) run on libsentencepiece. Encoding
// and decoding give the same ids and text as the `tokenizers` library for these
// files:
//
//   added tokens split off -> normalizer -> pre-tokenizer -> model
//     -> post-processor (special tokens)
//
// A tokenizer is immutable once built and may be used from several threads.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TOKENIZER_H
#define LOOM_TOKENIZER_H

#include "loom/Support.h"

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loom {

class SafetensorsFile;

namespace tok {
class Normalizer;
class PreTokenizer;
class Model;
class PostProcessor;
class Decoder;
} // namespace tok

/// A token matched in the text before normalization (`added_tokens`).
struct AddedToken {
  std::string content;
  int32_t id = 0;
  /// Special tokens (BOS, EOS, chat markers) are left out of decoded text.
  bool special = false;
  /// Whitespace to the left / right of the token is part of it.
  bool lstrip = false, rstrip = false;
  /// Matched only as a whole word.
  bool singleWord = false;
  /// Matched in the normalized text rather than the raw text.
  bool normalized = false;
};

/// The pieces of a tokenizer, for the loaders to fill in.
struct TokenizerParts {
  std::unique_ptr<tok::Normalizer> normalizer;
  std::unique_ptr<tok::PreTokenizer> preTokenizer;
  std::unique_ptr<tok::Model> model;
  std::unique_ptr<tok::PostProcessor> postProcessor;
  std::unique_ptr<tok::Decoder> decoder;
  std::vector<AddedToken> addedTokens;

  TokenizerParts();
  TokenizerParts(TokenizerParts &&);
  ~TokenizerParts();
};

/// A tokenizer: text to ids, ids to text.
class Tokenizer {
public:
  /// Reads a `tokenizer.json` file.
  static Expected<std::unique_ptr<Tokenizer>>
  fromJsonFile(const std::string &path);
  /// Reads `tokenizer.json` text; errors name `source`.
  static Expected<std::unique_ptr<Tokenizer>>
  fromJson(std::string_view json, const std::string &source);
  /// Reads the vocabulary embedded in a GGUF file.
  static Expected<std::unique_ptr<Tokenizer>>
  fromGguf(const SafetensorsFile &file);
  /// Reads a SentencePiece `.model` file (with libsentencepiece). A BOS
  /// token is added if the model has one, unless a `tokenizer_config.json`
  /// beside it says `add_bos_token: false`.
  static Expected<std::unique_ptr<Tokenizer>>
  fromSentencePiece(const std::string &path);
  /// A SentencePiece model from its serialized ModelProto; errors name
  /// `source`.
  static Expected<std::unique_ptr<Tokenizer>>
  fromSentencePieceProto(const std::string &serialized,
                         const std::string &source, bool addBos, bool addEos);
  /// Builds a tokenizer from its parts; `source` names it in messages.
  Tokenizer(TokenizerParts parts, std::string source);
  ~Tokenizer();

  /// The ids of `text`; with `addSpecialTokens`, what the post-processor
  /// adds (BERT's [CLS]/[SEP], a BOS). Fails when the vocabulary cannot
  /// encode a character (no unknown token, no byte fallback).
  Expected<std::vector<int32_t>> encode(std::string_view text,
                                        bool addSpecialTokens = true) const;
  /// The text of `ids`; special tokens are left out unless
  /// `skipSpecialTokens` is false. Ids outside the vocabulary are skipped.
  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecialTokens = true) const;

  /// One more than the largest id.
  int64_t vocabSize() const { return int64_t(tokens.size()); }
  /// The id of the token spelled `text`, if there is one.
  std::optional<int32_t> tokenId(std::string_view text) const;
  /// The token's spelling in the vocabulary ("" outside it).
  std::string_view tokenText(int32_t id) const;
  /// Whether `id` is a special added token.
  bool isSpecial(int32_t id) const;
  /// Where the tokenizer was read from.
  const std::string &getSource() const { return source; }

private:
  /// A piece of the input: text, or an added token's id.
  struct Segment {
    std::string text;
    int32_t id = -1;
    size_t offset = 0;
  };
  /// Splits `text` at the added tokens whose `normalized` is `normalized`.
  std::vector<Segment> splitAdded(std::string_view text, size_t offset,
                                  bool normalized) const;

  TokenizerParts parts;
  std::string source;
  /// Every token's spelling by id (model vocabulary and added tokens).
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int32_t> byText;
  /// Added tokens by id.
  std::unordered_map<int32_t, const AddedToken *> addedById;
  /// The first bytes of added tokens: positions starting with another byte
  /// are skipped when splitting.
  std::array<bool, 256> startsAddedToken{};
};

/// Turns generated ids into text as they come: `push` returns the text
/// that is complete so far (a character split over several byte tokens
/// waits for its last byte), so it can be printed at once.
class TextStream {
public:
  explicit TextStream(const Tokenizer &tokenizer) : tokenizer(tokenizer) {}
  /// Adds `id` and returns the new text (often empty for byte tokens).
  std::string push(int32_t id);
  /// The text still held back (an incomplete character, as U+FFFD) at the
  /// end of generation.
  std::string finish();

private:
  const Tokenizer &tokenizer;
  std::vector<int32_t> ids;
  std::string prefix;
  size_t prefixIndex = 0;
};

/// Reads the tokenizer at `path`: a `tokenizer.json` file, a SentencePiece
/// `.model` file, a directory holding either, or a GGUF file's embedded
/// vocabulary.
Expected<std::unique_ptr<Tokenizer>> loadTokenizer(const std::string &path);

/// Finds the tokenizer of a checkpoint given as `--weights` paths: a
/// `tokenizer.json` (else a SentencePiece `tokenizer.model`) in a weights
/// directory or next to a weights file, else the vocabulary of a GGUF
/// weights file. The error says where it looked.
Expected<std::unique_ptr<Tokenizer>>
findTokenizer(const std::vector<std::string> &weights);

} // namespace loom

#endif // LOOM_TOKENIZER_H
