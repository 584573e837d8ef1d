//===- TokenizerGguf.cpp - The vocabulary embedded in GGUF files ----------===//
//
// llama.cpp's converter stores a Hugging Face BPE tokenizer as
// `tokenizer.ggml.model = "gpt2"`: the tokens by id, their types (control
// and user-defined tokens are the added tokens), the merges, and the name of
// the pre-tokenizer (`tokenizer.ggml.pre`), which stands for a split pattern
// that is not in the file. The names Loom knows are listed in
// `kPreTokenizers`; an unknown one is an error rather than a guess.
//
//===----------------------------------------------------------------------===//

#include "loom/Safetensors.h"
#include "loom/Tokenizer.h"
#include "tokenizer/Steps.h"

#include <fmt/format.h>

namespace loom {

namespace {

using namespace tok;

/// The split of Llama 3's tokenizer (three digits at most per word).
constexpr const char *kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/// Qwen 2's: as Llama 3's, one digit per word.
constexpr const char *kQwen2Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/// A `tokenizer.ggml.pre` name and the pre-tokenizer it stands for.
struct PreTokenizerName {
  const char *name;
  /// The split pattern before the byte-level mapping (null: GPT-2's, done
  /// by the byte-level step itself).
  const char *pattern;
  /// Digits are split one by one first (SmolLM's `Digits` step).
  bool individualDigits;
  /// A word that is a token is not merged (Llama 3's `ignore_merges`).
  bool ignoreMerges;
};
constexpr PreTokenizerName kPreTokenizers[] = {
    {"default", nullptr, false, false},
    {"gpt2", nullptr, false, false},
    {"gpt-2", nullptr, false, false},
    {"smollm", nullptr, true, false},
    {"llama3", kLlama3Pattern, false, true},
    {"llama-bpe", kLlama3Pattern, false, true},
    {"qwen2", kQwen2Pattern, false, false},
};

/// GGUF token types (llama.cpp's `llama_token_type`).
enum TokenType : int64_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

} // namespace

/// SentencePiece.cpp: a GGUF vocabulary of type `llama`.
Expected<std::unique_ptr<Tokenizer>>
sentencePieceFromGguf(const SafetensorsFile &file);

Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromGguf(const SafetensorsFile &file) {
  const std::string &path = file.getPath();
  auto bad = [&](const std::string &what) {
    return makeError(fmt::format("{}: the GGUF tokenizer: {}", path, what));
  };
  const auto &metadata = file.getMetadata();
  auto modelName = metadata.find("tokenizer.ggml.model");
  if (modelName == metadata.end())
    return bad("the file has no tokenizer (no tokenizer.ggml.model); pass "
               "--tokenizer tokenizer.json");
  if (modelName->second == "llama")
    return sentencePieceFromGguf(file);
  if (modelName->second != "gpt2")
    return bad(fmt::format("tokenizer.ggml.model is '{}'; Loom reads 'gpt2' "
                           "(byte-level BPE) and 'llama' (SentencePiece) "
                           "from GGUF files; pass the model's tokenizer.json "
                           "with --tokenizer",
                           modelName->second));
  std::optional<std::vector<std::string>> tokens =
      file.getStringArray("tokenizer.ggml.tokens");
  std::optional<std::vector<std::string>> merges =
      file.getStringArray("tokenizer.ggml.merges");
  if (!tokens || tokens->empty())
    return bad("tokenizer.ggml.tokens is missing or not a list of strings");
  if (!merges)
    return bad("tokenizer.ggml.merges is missing or not a list of strings");
  std::optional<std::vector<int64_t>> types =
      file.getIntegerArray("tokenizer.ggml.token_type");
  if (types && types->size() != tokens->size())
    return bad(fmt::format("tokenizer.ggml.token_type has {} entries for {} "
                           "tokens",
                           types->size(), tokens->size()));

  std::string preName = "default";
  if (auto found = metadata.find("tokenizer.ggml.pre"); found != metadata.end())
    preName = found->second;
  const PreTokenizerName *pre = nullptr;
  for (const PreTokenizerName &known : kPreTokenizers)
    if (preName == known.name)
      pre = &known;
  if (!pre) {
    std::string names;
    for (const PreTokenizerName &known : kPreTokenizers)
      names += (names.empty() ? "" : ", ") + std::string(known.name);
    return bad(fmt::format("unknown pre-tokenizer '{}' (tokenizer.ggml.pre; "
                           "Loom knows {}); pass the model's tokenizer.json "
                           "with --tokenizer",
                           preName, names));
  }

  TokenizerParts parts;
  BpeConfig config;
  config.vocabulary = *tokens;
  config.ignoreMerges = pre->ignoreMerges;
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string &merge = (*merges)[i];
    size_t space = merge.find(' ');
    if (space == std::string::npos)
      return bad(fmt::format("merge {} ('{}') is not two tokens separated by "
                             "a space",
                             i + 1, merge));
    config.merges.emplace_back(merge.substr(0, space), merge.substr(space + 1));
  }
  for (size_t id = 0; types && id < types->size(); ++id) {
    int64_t type = (*types)[id];
    if (type != kControl && type != kUserDefined)
      continue;
    AddedToken token;
    token.content = (*tokens)[id];
    token.id = int32_t(id);
    token.special = type == kControl;
    parts.addedTokens.push_back(std::move(token));
  }
  Expected<std::unique_ptr<Model>> model = makeBpe(std::move(config));
  if (!model)
    return bad(model.getError());
  parts.model = std::move(*model);

  std::vector<std::unique_ptr<PreTokenizer>> steps;
  if (pre->individualDigits)
    steps.push_back(makeDigits(/*individual=*/true));
  if (pre->pattern) {
    steps.push_back(makeSplit(*Pattern::regex(pre->pattern),
                              SplitBehavior::Isolated, /*invert=*/false));
    steps.push_back(makeByteLevel(/*addPrefixSpace=*/false,
                                  /*useRegex=*/false));
  } else {
    steps.push_back(makeByteLevel(/*addPrefixSpace=*/false,
                                  /*useRegex=*/true));
  }
  parts.preTokenizer = makePreTokenizerSequence(std::move(steps));
  parts.decoder = makeByteLevelDecoder();

  auto flag = [&](const char *key) {
    auto found = metadata.find(key);
    return found != metadata.end() && found->second == "true";
  };
  auto id = [&](const char *key) -> std::optional<int32_t> {
    auto found = metadata.find(key);
    if (found == metadata.end())
      return std::nullopt;
    std::optional<int64_t> value = parseInt(found->second);
    if (!value || *value < 0 || *value >= int64_t(tokens->size()))
      return std::nullopt;
    return int32_t(*value);
  };
  std::vector<int32_t> prefix, suffix;
  if (flag("tokenizer.ggml.add_bos_token"))
    if (std::optional<int32_t> bos = id("tokenizer.ggml.bos_token_id"))
      prefix.push_back(*bos);
  if (flag("tokenizer.ggml.add_eos_token"))
    if (std::optional<int32_t> eos = id("tokenizer.ggml.eos_token_id"))
      suffix.push_back(*eos);
  if (!prefix.empty() || !suffix.empty())
    parts.postProcessor = makeWrap(std::move(prefix), std::move(suffix));
  return std::make_unique<Tokenizer>(std::move(parts), path);
}

} // namespace loom
