//===- TokenizerJson.cpp - Reading tokenizer.json -------------------------===//
//
// The file's schema is the `tokenizers` library's serialization. Every
// value is type-checked before use (nlohmann-json is used without
// exceptions): a malformed or unsupported file is an error naming the file
// and the JSON path of the offending value.
//
//===----------------------------------------------------------------------===//

#include "loom/Tokenizer.h"
#include "tokenizer/Steps.h"
#include "tokenizer/Unicode.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace loom {

namespace {

using Json = nlohmann::json;
using namespace tok;

/// Reads the parts of a tokenizer from its JSON, with errors that name the
/// file and the value.
class JsonReader {
public:
  explicit JsonReader(std::string source) : source(std::move(source)) {}

  Error error(const std::string &where, const std::string &what) const {
    return makeError(fmt::format("{}: {}: {}", source, where, what));
  }

  /// The string `object[key]`, `fallback` if absent or null.
  Expected<std::string> string(const Json &object, const char *key,
                               const std::string &where,
                               std::string fallback = "") const {
    auto found = object.find(key);
    if (found == object.end() || found->is_null())
      return fallback;
    if (!found->is_string())
      return error(where + "." + key, "expected a string");
    return found->get<std::string>();
  }

  Expected<bool> boolean(const Json &object, const char *key,
                         const std::string &where, bool fallback) const {
    auto found = object.find(key);
    if (found == object.end() || found->is_null())
      return fallback;
    if (!found->is_boolean())
      return error(where + "." + key, "expected true or false");
    return found->get<bool>();
  }

  Expected<int64_t> integer(const Json &object, const char *key,
                            const std::string &where, int64_t fallback) const {
    auto found = object.find(key);
    if (found == object.end() || found->is_null())
      return fallback;
    if (!found->is_number_integer())
      return error(where + "." + key, "expected an integer");
    return found->get<int64_t>();
  }

  /// `{"String": s}` or `{"Regex": r}`.
  Expected<Pattern> pattern(const Json &object,
                            const std::string &where) const {
    auto found = object.find("pattern");
    if (found == object.end() || !found->is_object())
      return error(where + ".pattern", "expected {\"String\": ...} or "
                                       "{\"Regex\": ...}");
    if (auto literal = found->find("String");
        literal != found->end() && literal->is_string())
      return Pattern::literal(literal->get<std::string>());
    if (auto regex = found->find("Regex");
        regex != found->end() && regex->is_string()) {
      Expected<Pattern> compiled = Pattern::regex(regex->get<std::string>());
      if (!compiled)
        return error(where + ".pattern", compiled.getError());
      return compiled;
    }
    return error(where + ".pattern",
                 "expected {\"String\": ...} or {\"Regex\": ...}");
  }

  Expected<SplitBehavior> behavior(const Json &object, const std::string &where,
                                   SplitBehavior fallback) const {
    Expected<std::string> name = string(object, "behavior", where);
    if (!name)
      return name.takeError();
    static const std::pair<const char *, SplitBehavior> kNames[] = {
        {"Removed", SplitBehavior::Removed},
        {"Isolated", SplitBehavior::Isolated},
        {"MergedWithPrevious", SplitBehavior::MergedWithPrevious},
        {"MergedWithNext", SplitBehavior::MergedWithNext},
        {"Contiguous", SplitBehavior::Contiguous}};
    if (name->empty())
      return fallback;
    for (const auto &[spelling, value] : kNames)
      if (*name == spelling)
        return value;
    return error(where + ".behavior",
                 fmt::format("unknown split behavior '{}'", *name));
  }

  /// The `type` of a step, or an error.
  Expected<std::string> type(const Json &step, const std::string &where) const {
    if (!step.is_object())
      return error(where, "expected an object");
    Expected<std::string> name = string(step, "type", where);
    if (!name)
      return name.takeError();
    if (name->empty())
      return error(where, "has no \"type\"");
    return name;
  }

  Error unsupported(const std::string &where, const std::string &type,
                    const char *supported) const {
    return error(where, fmt::format("unsupported type '{}' (Loom reads {})",
                                    type, supported));
  }

  Expected<std::unique_ptr<Normalizer>> normalizer(const Json &step,
                                                   const std::string &where);
  Expected<std::unique_ptr<PreTokenizer>>
  preTokenizer(const Json &step, const std::string &where);
  Expected<std::unique_ptr<Decoder>> decoder(const Json &step,
                                             const std::string &where);
  Expected<std::unique_ptr<Model>> model(const Json &step);
  Expected<std::unique_ptr<PostProcessor>>
  postProcessor(const Json &step, const std::string &where);
  Status addedTokens(const Json &list, std::vector<AddedToken> &out);

  /// `model.vocab` (token -> id) as a list by id.
  Expected<std::vector<std::string>> vocabulary(const Json &model) const;

private:
  std::string source;
};

#define LOOM_TRY(var, expr)                                                    \
  auto var = (expr);                                                           \
  if (!var)                                                                    \
    return var.takeError();

Expected<std::unique_ptr<Normalizer>>
JsonReader::normalizer(const Json &step, const std::string &where) {
  LOOM_TRY(kind, type(step, where));
  if (*kind == "Sequence") {
    auto list = step.find("normalizers");
    if (list == step.end() || !list->is_array())
      return error(where + ".normalizers", "expected a list");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      LOOM_TRY(item, normalizer((*list)[i],
                                fmt::format("{}.normalizers[{}]", where, i)));
      steps.push_back(std::move(*item));
    }
    return makeNormalizerSequence(std::move(steps));
  }
  if (*kind == "BertNormalizer") {
    LOOM_TRY(clean, boolean(step, "clean_text", where, true));
    LOOM_TRY(chinese, boolean(step, "handle_chinese_chars", where, true));
    LOOM_TRY(lower, boolean(step, "lowercase", where, true));
    // `strip_accents: null` follows `lowercase`.
    LOOM_TRY(strip, boolean(step, "strip_accents", where, *lower));
    return makeBertNormalizer(*clean, *chinese, *strip, *lower);
  }
  if (*kind == "Lowercase")
    return makeLowercase();
  if (*kind == "StripAccents")
    return makeStripAccents();
  if (*kind == "NFC")
    return makeUnicodeForm(unicode::Form::NFC);
  if (*kind == "NFD")
    return makeUnicodeForm(unicode::Form::NFD);
  if (*kind == "NFKC")
    return makeUnicodeForm(unicode::Form::NFKC);
  if (*kind == "NFKD")
    return makeUnicodeForm(unicode::Form::NFKD);
  if (*kind == "Strip") {
    LOOM_TRY(left, boolean(step, "strip_left", where, true));
    LOOM_TRY(right, boolean(step, "strip_right", where, true));
    return makeStrip(*left, *right);
  }
  if (*kind == "Replace") {
    LOOM_TRY(found, pattern(step, where));
    LOOM_TRY(content, string(step, "content", where));
    return makeReplace(std::move(*found), std::move(*content));
  }
  if (*kind == "Prepend") {
    LOOM_TRY(prefix, string(step, "prepend", where));
    return makePrepend(std::move(*prefix));
  }
  return unsupported(where, *kind,
                     "Sequence, BertNormalizer, Lowercase, StripAccents, NFC, "
                     "NFD, NFKC, NFKD, Strip, Replace and Prepend");
}

Expected<std::unique_ptr<PreTokenizer>>
JsonReader::preTokenizer(const Json &step, const std::string &where) {
  LOOM_TRY(kind, type(step, where));
  if (*kind == "Sequence") {
    auto list = step.find("pretokenizers");
    if (list == step.end() || !list->is_array())
      return error(where + ".pretokenizers", "expected a list");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      LOOM_TRY(item,
               preTokenizer((*list)[i],
                            fmt::format("{}.pretokenizers[{}]", where, i)));
      steps.push_back(std::move(*item));
    }
    return makePreTokenizerSequence(std::move(steps));
  }
  if (*kind == "ByteLevel") {
    LOOM_TRY(prefix, boolean(step, "add_prefix_space", where, true));
    LOOM_TRY(regex, boolean(step, "use_regex", where, true));
    return makeByteLevel(*prefix, *regex);
  }
  if (*kind == "Split") {
    LOOM_TRY(found, pattern(step, where));
    LOOM_TRY(how, behavior(step, where, SplitBehavior::Isolated));
    LOOM_TRY(invert, boolean(step, "invert", where, false));
    return makeSplit(std::move(*found), *how, *invert);
  }
  if (*kind == "Digits") {
    LOOM_TRY(individual, boolean(step, "individual_digits", where, false));
    return makeDigits(*individual);
  }
  if (*kind == "BertPreTokenizer")
    return makeBertPreTokenizer();
  if (*kind == "WhitespaceSplit")
    return makeWhitespaceSplit();
  if (*kind == "Whitespace")
    return makeSplit(*Pattern::regex("\\w+|[^\\w\\s]+"), SplitBehavior::Removed,
                     /*invert=*/true);
  if (*kind == "Punctuation") {
    LOOM_TRY(how, behavior(step, where, SplitBehavior::Isolated));
    return makePunctuation(*how);
  }
  if (*kind == "Metaspace") {
    LOOM_TRY(replacement, string(step, "replacement", where, "\u2581"));
    LOOM_TRY(scheme, string(step, "prepend_scheme", where, ""));
    LOOM_TRY(addPrefix, boolean(step, "add_prefix_space", where, true));
    LOOM_TRY(split, boolean(step, "split", where, true));
    int prepend = *addPrefix ? 2 : 0;
    if (*scheme == "first")
      prepend = 1;
    else if (*scheme == "never")
      prepend = 0;
    else if (*scheme == "always")
      prepend = 2;
    else if (!scheme->empty())
      return error(
          where + ".prepend_scheme",
          fmt::format("unknown scheme '{}' (always, first, never)", *scheme));
    return makeMetaspace(std::move(*replacement), prepend, *split);
  }
  return unsupported(where, *kind,
                     "Sequence, ByteLevel, Split, Digits, BertPreTokenizer, "
                     "Whitespace, WhitespaceSplit, Punctuation and Metaspace");
}

Expected<std::unique_ptr<Decoder>>
JsonReader::decoder(const Json &step, const std::string &where) {
  LOOM_TRY(kind, type(step, where));
  if (*kind == "Sequence") {
    auto list = step.find("decoders");
    if (list == step.end() || !list->is_array())
      return error(where + ".decoders", "expected a list");
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      LOOM_TRY(item,
               decoder((*list)[i], fmt::format("{}.decoders[{}]", where, i)));
      steps.push_back(std::move(*item));
    }
    return makeDecoderSequence(std::move(steps));
  }
  if (*kind == "ByteLevel")
    return makeByteLevelDecoder();
  if (*kind == "WordPiece") {
    LOOM_TRY(prefix, string(step, "prefix", where, "##"));
    LOOM_TRY(cleanup, boolean(step, "cleanup", where, true));
    return makeWordPieceDecoder(std::move(*prefix), *cleanup);
  }
  if (*kind == "Metaspace") {
    LOOM_TRY(replacement, string(step, "replacement", where, "\u2581"));
    LOOM_TRY(scheme, string(step, "prepend_scheme", where, ""));
    LOOM_TRY(addPrefix, boolean(step, "add_prefix_space", where, true));
    bool never = scheme->empty() ? !*addPrefix : *scheme == "never";
    return makeMetaspaceDecoder(std::move(*replacement), never);
  }
  if (*kind == "Replace") {
    LOOM_TRY(found, pattern(step, where));
    LOOM_TRY(content, string(step, "content", where));
    return makeReplaceDecoder(std::move(*found), std::move(*content));
  }
  if (*kind == "ByteFallback")
    return makeByteFallbackDecoder();
  if (*kind == "Fuse")
    return makeFuseDecoder();
  if (*kind == "Strip") {
    LOOM_TRY(content, string(step, "content", where, " "));
    LOOM_TRY(start, integer(step, "start", where, 0));
    LOOM_TRY(stop, integer(step, "stop", where, 0));
    return makeStripDecoder(std::move(*content), *start, *stop);
  }
  if (*kind == "BPEDecoder") {
    LOOM_TRY(suffix, string(step, "suffix", where, "</w>"));
    return makeBpeSuffixDecoder(std::move(*suffix));
  }
  return unsupported(where, *kind,
                     "Sequence, ByteLevel, WordPiece, Metaspace, Replace, "
                     "ByteFallback, Fuse, Strip and BPEDecoder");
}

Expected<std::vector<std::string>>
JsonReader::vocabulary(const Json &model) const {
  auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object())
    return error("model.vocab", "expected an object of token: id");
  std::vector<std::string> byId;
  for (auto entry = vocab->begin(); entry != vocab->end(); ++entry) {
    if (!entry->is_number_integer() || entry->get<int64_t>() < 0 ||
        entry->get<int64_t>() > (int64_t(1) << 24))
      return error("model.vocab",
                   fmt::format("token '{}' has no valid id", entry.key()));
    size_t id = size_t(entry->get<int64_t>());
    if (id >= byId.size())
      byId.resize(id + 1);
    byId[id] = entry.key();
  }
  return byId;
}

Expected<std::unique_ptr<Model>> JsonReader::model(const Json &step) {
  const std::string where = "model";
  if (!step.is_object())
    return error(where, "expected an object");
  LOOM_TRY(kind, string(step, "type", where));
  // Files from older versions of the library leave the type out.
  if (kind->empty())
    *kind = step.contains("merges") ? "BPE" : "WordPiece";
  LOOM_TRY(vocab, vocabulary(step));
  if (*kind == "BPE") {
    BpeConfig config;
    config.vocabulary = std::move(*vocab);
    LOOM_TRY(unknown, string(step, "unk_token", where));
    LOOM_TRY(prefix, string(step, "continuing_subword_prefix", where));
    LOOM_TRY(suffix, string(step, "end_of_word_suffix", where));
    LOOM_TRY(fuse, boolean(step, "fuse_unk", where, false));
    LOOM_TRY(fallback, boolean(step, "byte_fallback", where, false));
    LOOM_TRY(ignore, boolean(step, "ignore_merges", where, false));
    config.continuingSubwordPrefix = std::move(*prefix);
    config.endOfWordSuffix = std::move(*suffix);
    config.fuseUnknown = *fuse;
    config.byteFallback = *fallback;
    config.ignoreMerges = *ignore;
    if (!unknown->empty()) {
      for (size_t id = 0; id < config.vocabulary.size(); ++id)
        if (config.vocabulary[id] == *unknown)
          config.unknown = int32_t(id);
      if (!config.unknown)
        return error("model.unk_token",
                     fmt::format("'{}' is not in the vocabulary", *unknown));
    }
    auto merges = step.find("merges");
    if (merges == step.end() || !merges->is_array())
      return error("model.merges", "expected a list");
    for (size_t i = 0; i < merges->size(); ++i) {
      const Json &merge = (*merges)[i];
      // "a b", or ["a", "b"] in newer files.
      if (merge.is_string()) {
        const std::string &text = merge.get_ref<const std::string &>();
        size_t space = text.find(' ');
        if (space == std::string::npos)
          return error(fmt::format("model.merges[{}]", i),
                       fmt::format("'{}' is not two tokens separated by a "
                                   "space",
                                   text));
        config.merges.emplace_back(text.substr(0, space),
                                   text.substr(space + 1));
      } else if (merge.is_array() && merge.size() == 2 &&
                 merge[0].is_string() && merge[1].is_string()) {
        config.merges.emplace_back(merge[0].get<std::string>(),
                                   merge[1].get<std::string>());
      } else {
        return error(fmt::format("model.merges[{}]", i),
                     "expected \"a b\" or [\"a\", \"b\"]");
      }
    }
    Expected<std::unique_ptr<Model>> bpe = makeBpe(std::move(config));
    if (!bpe)
      return error("model.merges", bpe.getError());
    return bpe;
  }
  if (*kind == "WordPiece") {
    LOOM_TRY(unknown, string(step, "unk_token", where, "[UNK]"));
    LOOM_TRY(prefix, string(step, "continuing_subword_prefix", where, "##"));
    LOOM_TRY(maxChars, integer(step, "max_input_chars_per_word", where, 100));
    Expected<std::unique_ptr<Model>> built = makeWordPiece(
        std::move(*vocab), std::move(*unknown), std::move(*prefix), *maxChars);
    if (!built)
      return error(where, built.getError());
    return built;
  }
  if (*kind == "WordLevel") {
    LOOM_TRY(unknown, string(step, "unk_token", where, "<unk>"));
    Expected<std::unique_ptr<Model>> built =
        makeWordLevel(std::move(*vocab), std::move(*unknown));
    if (!built)
      return error(where, built.getError());
    return built;
  }
  return unsupported(where, *kind, "BPE, WordPiece and WordLevel");
}

Expected<std::unique_ptr<PostProcessor>>
JsonReader::postProcessor(const Json &step, const std::string &where) {
  LOOM_TRY(kind, type(step, where));
  auto idPair = [&](const char *key) -> Expected<int32_t> {
    auto found = step.find(key);
    if (found == step.end() || !found->is_array() || found->size() != 2 ||
        !(*found)[1].is_number_integer())
      return error(where + "." + key, "expected [\"token\", id]");
    return (*found)[1].get<int32_t>();
  };
  if (*kind == "BertProcessing" || *kind == "RobertaProcessing") {
    LOOM_TRY(cls, idPair("cls"));
    LOOM_TRY(sep, idPair("sep"));
    return makeWrap({*cls}, {*sep});
  }
  if (*kind == "ByteLevel")
    return makeWrap({}, {});
  if (*kind == "TemplateProcessing") {
    auto single = step.find("single");
    auto specials = step.find("special_tokens");
    if (single == step.end() || !single->is_array())
      return error(where + ".single", "expected a list");
    std::vector<int32_t> prefix, suffix;
    bool seenSequence = false;
    for (size_t i = 0; i < single->size(); ++i) {
      const Json &item = (*single)[i];
      std::string at = fmt::format("{}.single[{}]", where, i);
      if (item.is_object() && item.contains("Sequence")) {
        seenSequence = true;
        continue;
      }
      auto special = item.is_object() ? item.find("SpecialToken") : item.end();
      if (special == item.end() || !special->is_object())
        return error(at, "expected {\"Sequence\": ...} or "
                         "{\"SpecialToken\": ...}");
      LOOM_TRY(name, string(*special, "id", at));
      if (specials == step.end() || !specials->is_object() ||
          !specials->contains(*name))
        return error(at, fmt::format("special token '{}' is not in "
                                     "special_tokens",
                                     *name));
      const Json &entry = (*specials)[*name];
      auto ids = entry.is_object() ? entry.find("ids") : entry.end();
      if (ids == entry.end() || !ids->is_array())
        return error(where + ".special_tokens." + *name, "expected \"ids\"");
      for (const Json &id : *ids) {
        if (!id.is_number_integer())
          return error(where + ".special_tokens." + *name,
                       "expected integer ids");
        (seenSequence ? suffix : prefix).push_back(id.get<int32_t>());
      }
    }
    return makeWrap(std::move(prefix), std::move(suffix));
  }
  if (*kind == "Sequence") {
    auto list = step.find("processors");
    if (list == step.end() || !list->is_array())
      return error(where + ".processors", "expected a list");
    // Only one of the processors may add tokens (ByteLevel adds none).
    std::unique_ptr<PostProcessor> chosen;
    for (size_t i = 0; i < list->size(); ++i) {
      LOOM_TRY(item, postProcessor((*list)[i],
                                   fmt::format("{}.processors[{}]", where, i)));
      std::vector<int32_t> probe;
      (*item)->apply(probe);
      if (!probe.empty() || !chosen)
        chosen = std::move(*item);
    }
    return chosen;
  }
  return unsupported(where, *kind,
                     "TemplateProcessing, BertProcessing, RobertaProcessing, "
                     "ByteLevel and Sequence");
}

Status JsonReader::addedTokens(const Json &list, std::vector<AddedToken> &out) {
  if (!list.is_array())
    return error("added_tokens", "expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const Json &entry = list[i];
    std::string where = fmt::format("added_tokens[{}]", i);
    if (!entry.is_object())
      return error(where, "expected an object");
    AddedToken token;
    LOOM_TRY(content, string(entry, "content", where));
    LOOM_TRY(id, integer(entry, "id", where, -1));
    LOOM_TRY(special, boolean(entry, "special", where, false));
    LOOM_TRY(lstrip, boolean(entry, "lstrip", where, false));
    LOOM_TRY(rstrip, boolean(entry, "rstrip", where, false));
    LOOM_TRY(single, boolean(entry, "single_word", where, false));
    LOOM_TRY(normalized, boolean(entry, "normalized", where, !*special));
    if (content->empty() || *id < 0 || *id > (int64_t(1) << 24))
      return error(where, "needs a non-empty \"content\" and an id");
    token.content = std::move(*content);
    token.id = int32_t(*id);
    token.special = *special;
    token.lstrip = *lstrip;
    token.rstrip = *rstrip;
    token.singleWord = *single;
    token.normalized = *normalized;
    out.push_back(std::move(token));
  }
  return Status::success();
}

#undef LOOM_TRY

} // namespace

Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromJson(std::string_view text, const std::string &source) {
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object())
    return makeError(fmt::format("{}: not a valid tokenizer.json: the file "
                                 "is not a JSON object",
                                 source));
  JsonReader reader(source);
  TokenizerParts parts;
  auto present = [&](const char *key) {
    auto found = root.find(key);
    return found != root.end() && !found->is_null() ? &*found : nullptr;
  };
  const Json *model = present("model");
  if (!model)
    return reader.error("model", "missing");
  Expected<std::unique_ptr<tok::Model>> built = reader.model(*model);
  if (!built)
    return built.takeError();
  parts.model = std::move(*built);
  if (const Json *step = present("normalizer")) {
    auto normalizer = reader.normalizer(*step, "normalizer");
    if (!normalizer)
      return normalizer.takeError();
    parts.normalizer = std::move(*normalizer);
  }
  if (const Json *step = present("pre_tokenizer")) {
    auto preTokenizer = reader.preTokenizer(*step, "pre_tokenizer");
    if (!preTokenizer)
      return preTokenizer.takeError();
    parts.preTokenizer = std::move(*preTokenizer);
  }
  if (const Json *step = present("post_processor")) {
    auto postProcessor = reader.postProcessor(*step, "post_processor");
    if (!postProcessor)
      return postProcessor.takeError();
    parts.postProcessor = std::move(*postProcessor);
  }
  if (const Json *step = present("decoder")) {
    auto decoder = reader.decoder(*step, "decoder");
    if (!decoder)
      return decoder.takeError();
    parts.decoder = std::move(*decoder);
  }
  if (const Json *list = present("added_tokens"))
    if (Status status = reader.addedTokens(*list, parts.addedTokens); !status)
      return status.takeError();
  return std::make_unique<Tokenizer>(std::move(parts), source);
}

Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromJsonFile(const std::string &path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    return makeError(
        fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text((std::istreambuf_iterator<char>(stream)),
                   std::istreambuf_iterator<char>());
  if (stream.bad())
    return makeError(fmt::format("{}: cannot read", path));
  return fromJson(text, path);
}

} // namespace loom
