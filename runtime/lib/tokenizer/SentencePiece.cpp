//===- SentencePiece.cpp - SentencePiece models through libsentencepiece --===//
//
// A SentencePiece model normalizes, splits and encodes a whole text itself:
// it is the tokenizer's model, given each piece of text between special
// tokens, and its own decoder. GGUF files of type `llama` carry the pieces,
// scores and types of such a model rather than the model file: they are
// written back into a ModelProto (the few fields a BPE or unigram model
// reads) and loaded from that.
//
//===----------------------------------------------------------------------===//

#include "loom/Safetensors.h"
#include "loom/Tokenizer.h"
#include "tokenizer/Steps.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace loom {

namespace {

using Processor = sentencepiece::SentencePieceProcessor;

class SentencePieceModel final : public tok::Model {
public:
  explicit SentencePieceModel(std::shared_ptr<const Processor> processor)
      : processor(std::move(processor)) {
    pieces.resize(size_t(this->processor->GetPieceSize()));
    for (size_t id = 0; id < pieces.size(); ++id)
      pieces[id] = this->processor->IdToPiece(int(id));
  }

  Status tokenize(std::string_view text,
                  std::vector<int32_t> &ids) const override {
    std::vector<int> encoded;
    sentencepiece::util::Status status =
        processor->Encode(std::string(text), &encoded);
    if (!status.ok())
      return makeError(fmt::format("SentencePiece cannot encode the text: {}",
                                   status.ToString()));
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    return Status::success();
  }

  const std::vector<std::string> &vocabulary() const override { return pieces; }

private:
  std::shared_ptr<const Processor> processor;
  std::vector<std::string> pieces;
};

/// Decodes pieces with the model (byte pieces, the whitespace symbol).
class SentencePieceDecoder final : public tok::Decoder {
public:
  explicit SentencePieceDecoder(std::shared_ptr<const Processor> processor)
      : processor(std::move(processor)) {}
  void apply(std::vector<std::string> &tokens) const override {
    std::vector<int> ids;
    std::string text;
    // Special tokens (control pieces SentencePiece decodes as nothing) are
    // kept as written.
    auto flush = [&] {
      if (ids.empty())
        return;
      std::string decoded;
      if (processor->Decode(ids, &decoded).ok())
        text += decoded;
      ids.clear();
    };
    for (const std::string &token : tokens) {
      int id = processor->PieceToId(token);
      if (processor->IsControl(id)) {
        flush();
        text += token;
        continue;
      }
      ids.push_back(id);
    }
    flush();
    tokens.assign(1, std::move(text));
  }

private:
  std::shared_ptr<const Processor> processor;
};

/// Protocol-buffer wire format, for the few ModelProto fields a GGUF
/// vocabulary fills (libsentencepiece loads models only from that form;
/// its generated message classes are not installed).
class ProtoWriter {
public:
  void varint(uint32_t field, uint64_t value) {
    tag(field, 0);
    raw(value);
  }
  void boolean(uint32_t field, bool value) { varint(field, value ? 1 : 0); }
  void float32(uint32_t field, float value) {
    tag(field, 5);
    char bytes[4];
    std::memcpy(bytes, &value, 4);
    out.append(bytes, 4);
  }
  void bytes(uint32_t field, std::string_view value) {
    tag(field, 2);
    raw(value.size());
    out.append(value);
  }
  const std::string &str() const { return out; }

private:
  void tag(uint32_t field, uint32_t wireType) {
    raw((uint64_t(field) << 3) | wireType);
  }
  void raw(uint64_t value) {
    while (value >= 0x80) {
      out += char((value & 0x7F) | 0x80);
      value >>= 7;
    }
    out += char(value);
  }
  std::string out;
};

/// The added tokens of a model: its control pieces, which are matched in
/// the text as special tokens (as transformers does for these models).
std::vector<AddedToken> controlTokens(const Processor &processor) {
  std::vector<AddedToken> tokens;
  for (int id = 0; id < processor.GetPieceSize(); ++id)
    if (processor.IsControl(id)) {
      AddedToken token;
      token.content = processor.IdToPiece(id);
      token.id = id;
      token.special = true;
      tokens.push_back(std::move(token));
    }
  return tokens;
}

} // namespace

Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromSentencePieceProto(const std::string &serialized,
                                  const std::string &source, bool addBos,
                                  bool addEos) {
  auto processor = std::make_shared<Processor>();
  sentencepiece::util::Status status =
      processor->LoadFromSerializedProto(serialized);
  if (!status.ok())
    return makeError(fmt::format("{}: not a valid SentencePiece model: {}",
                                 source, status.ToString()));
  TokenizerParts parts;
  parts.addedTokens = controlTokens(*processor);
  std::vector<int32_t> prefix, suffix;
  if (addBos && processor->bos_id() >= 0)
    prefix.push_back(processor->bos_id());
  if (addEos && processor->eos_id() >= 0)
    suffix.push_back(processor->eos_id());
  if (!prefix.empty() || !suffix.empty())
    parts.postProcessor = tok::makeWrap(std::move(prefix), std::move(suffix));
  parts.model = std::make_unique<SentencePieceModel>(processor);
  parts.decoder = std::make_unique<SentencePieceDecoder>(processor);
  return std::make_unique<Tokenizer>(std::move(parts), source);
}

Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromSentencePiece(const std::string &path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    return makeError(
        fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string serialized((std::istreambuf_iterator<char>(stream)),
                         std::istreambuf_iterator<char>());
  // transformers' settings beside the model: whether to add BOS and EOS.
  bool addBos = true, addEos = false;
  size_t slash = path.rfind('/');
  std::string directory =
      slash == std::string::npos ? "." : path.substr(0, slash);
  std::ifstream configStream(directory + "/tokenizer_config.json");
  if (configStream) {
    std::string text((std::istreambuf_iterator<char>(configStream)),
                     std::istreambuf_iterator<char>());
    nlohmann::json config = nlohmann::json::parse(text, nullptr, false);
    if (config.is_object()) {
      if (auto found = config.find("add_bos_token");
          found != config.end() && found->is_boolean())
        addBos = found->get<bool>();
      if (auto found = config.find("add_eos_token");
          found != config.end() && found->is_boolean())
        addEos = found->get<bool>();
    }
  }
  return fromSentencePieceProto(serialized, path, addBos, addEos);
}

/// The SentencePiece model a GGUF vocabulary of type `llama` stands for.
Expected<std::unique_ptr<Tokenizer>>
sentencePieceFromGguf(const SafetensorsFile &file) {
  const std::string &path = file.getPath();
  auto bad = [&](const std::string &what) {
    return makeError(fmt::format("{}: the GGUF tokenizer: {}", path, what));
  };
  std::optional<std::vector<std::string>> tokens =
      file.getStringArray("tokenizer.ggml.tokens");
  std::optional<std::vector<float>> scores =
      file.getFloatArray("tokenizer.ggml.scores");
  std::optional<std::vector<int64_t>> types =
      file.getIntegerArray("tokenizer.ggml.token_type");
  if (!tokens || tokens->empty())
    return bad("tokenizer.ggml.tokens is missing or not a list of strings");
  if (!scores || scores->size() != tokens->size())
    return bad("tokenizer.ggml.scores is missing or not one float per token");
  if (!types || types->size() != tokens->size())
    return bad("tokenizer.ggml.token_type is missing or not one type per "
               "token");
  const auto &metadata = file.getMetadata();
  auto flag = [&](const char *key, bool fallback) {
    auto found = metadata.find(key);
    return found == metadata.end() ? fallback : found->second == "true";
  };
  auto id = [&](const char *key, int64_t fallback) {
    auto found = metadata.find(key);
    if (found == metadata.end())
      return fallback;
    return parseInt(found->second).value_or(fallback);
  };
  ProtoWriter model;
  bool hasBytes = false;
  for (size_t i = 0; i < tokens->size(); ++i) {
    int64_t type = (*types)[i];
    if (type < 1 || type > 6)
      return bad(fmt::format("token {} has type {} (1 to 6)", i, type));
    hasBytes |= type == 6;
    ProtoWriter piece;
    piece.bytes(1, (*tokens)[i]);
    piece.float32(2, (*scores)[i]);
    piece.varint(3, uint64_t(type));
    model.bytes(1, piece.str());
  }
  ProtoWriter trainer;
  trainer.varint(3, 2); // BPE: llama.cpp's SPM vocabularies merge by score.
  trainer.boolean(35, hasBytes);
  trainer.varint(40, uint64_t(id("tokenizer.ggml.unknown_token_id", 0)));
  trainer.varint(41, uint64_t(id("tokenizer.ggml.bos_token_id", 1)));
  trainer.varint(42, uint64_t(id("tokenizer.ggml.eos_token_id", 2)));
  model.bytes(2, trainer.str());
  ProtoWriter normalizer;
  normalizer.bytes(1, "identity");
  normalizer.boolean(3, flag("tokenizer.ggml.add_space_prefix", true));
  normalizer.boolean(4, false);
  normalizer.boolean(5, true);
  model.bytes(3, normalizer.str());
  return Tokenizer::fromSentencePieceProto(
      model.str(), path, flag("tokenizer.ggml.add_bos_token", true),
      flag("tokenizer.ggml.add_eos_token", false));
}

} // namespace loom
