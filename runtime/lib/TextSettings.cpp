//===- TextSettings.cpp - What a checkpoint says about its text -----------===//

#include "loom/TextSettings.h"
#include "loom/Safetensors.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iterator>

namespace loom {

namespace {

using Json = nlohmann::json;

/// The JSON file at `path`: nothing if absent, an error if malformed.
Expected<std::optional<Json>> readJson(const std::string &path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    return std::optional<Json>();
  std::string text((std::istreambuf_iterator<char>(stream)),
                   std::istreambuf_iterator<char>());
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return makeError(fmt::format("{}: not a valid JSON object", path));
  return std::optional<Json>(std::move(json));
}

/// `object[key]` if it is a string, else "" (nlohmann's `value` throws on a
/// value of another type, which a hostile file may hold).
std::string stringField(const Json &object, const char *key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>()
                                                     : "";
}

/// `object[key]` if it is a boolean, else false.
bool boolField(const Json &object, const char *key) {
  auto found = object.find(key);
  return found != object.end() && found->is_boolean() && found->get<bool>();
}

/// `eos_token_id`: an id or a list of ids.
std::vector<int32_t> eosIdsOf(const Json &config) {
  std::vector<int32_t> ids;
  auto found = config.find("eos_token_id");
  if (found == config.end())
    return ids;
  if (found->is_number_integer())
    ids.push_back(found->get<int32_t>());
  else if (found->is_array())
    for (const Json &id : *found)
      if (id.is_number_integer())
        ids.push_back(id.get<int32_t>());
  return ids;
}

/// A special token written as a string or as {"content": ...}.
std::string tokenContent(const Json &value) {
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_object())
    if (auto content = value.find("content");
        content != value.end() && content->is_string())
      return content->get<std::string>();
  return "";
}

/// `chat_template`: a string, or a list of {"name", "template"} of which
/// "default" is used.
std::string chatTemplateOf(const Json &config) {
  auto found = config.find("chat_template");
  if (found == config.end())
    return "";
  if (found->is_string())
    return found->get<std::string>();
  if (found->is_array())
    for (const Json &entry : *found)
      if (entry.is_object() && stringField(entry, "name") == "default" &&
          entry.contains("template") && entry["template"].is_string())
        return entry["template"].get<std::string>();
  return "";
}

Status readDirectorySettings(const std::string &directory,
                             TextSettings &settings) {
  for (const char *name : {"generation_config.json", "config.json"}) {
    std::string path = directory + "/" + name;
    Expected<std::optional<Json>> json = readJson(path);
    if (!json)
      return json.takeError();
    if (!*json || !settings.eosIds.empty())
      continue;
    settings.eosIds = eosIdsOf(**json);
    if (!settings.eosIds.empty())
      settings.eosSource = path;
  }
  std::string tokenizerConfig = directory + "/tokenizer_config.json";
  Expected<std::optional<Json>> config = readJson(tokenizerConfig);
  if (!config)
    return config.takeError();
  if (*config) {
    settings.chatTemplate = chatTemplateOf(**config);
    if (!settings.chatTemplate.empty())
      settings.chatTemplateSource = tokenizerConfig;
    if (settings.eosIds.empty() && settings.tokenizer)
      if (auto eos = (*config)->find("eos_token"); eos != (*config)->end())
        if (std::optional<int32_t> id =
                settings.tokenizer->tokenId(tokenContent(*eos))) {
          settings.eosIds.push_back(*id);
          settings.eosSource = tokenizerConfig;
        }
  }
  // Sentence-transformers: the pooling module's config, and a Normalize
  // module in modules.json.
  std::string poolingPath = directory + "/1_Pooling/config.json";
  Expected<std::optional<Json>> pooling = readJson(poolingPath);
  if (!pooling)
    return pooling.takeError();
  if (*pooling) {
    if (boolField(**pooling, "pooling_mode_mean_tokens"))
      settings.pooling = Pooling::Mean;
    else if (boolField(**pooling, "pooling_mode_cls_token"))
      settings.pooling = Pooling::Cls;
    else
      return makeError(fmt::format("{}: Loom pools by mean or by the CLS "
                                   "token; this configuration asks for "
                                   "neither",
                                   poolingPath));
  }
  // modules.json is a list of modules; a malformed one is ignored (it only
  // adds normalization, which --normalize also asks for).
  std::ifstream stream(directory + "/modules.json", std::ios::binary);
  if (stream) {
    std::string text((std::istreambuf_iterator<char>(stream)),
                     std::istreambuf_iterator<char>());
    Json list = Json::parse(text, nullptr, false);
    if (list.is_array())
      for (const Json &module : list)
        if (module.is_object() &&
            stringField(module, "type").find("Normalize") != std::string::npos)
          settings.normalize = true;
  }
  return Status::success();
}

void readGgufSettings(const SafetensorsFile &file, TextSettings &settings) {
  const auto &metadata = file.getMetadata();
  if (settings.eosIds.empty())
    for (const char *key :
         {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
          "tokenizer.ggml.eom_token_id"})
      if (auto found = metadata.find(key); found != metadata.end())
        if (std::optional<int64_t> id = parseInt(found->second)) {
          if (std::find(settings.eosIds.begin(), settings.eosIds.end(),
                        int32_t(*id)) == settings.eosIds.end())
            settings.eosIds.push_back(int32_t(*id));
          settings.eosSource = file.getPath();
        }
  if (settings.chatTemplate.empty())
    if (auto found = metadata.find("tokenizer.chat_template");
        found != metadata.end()) {
      settings.chatTemplate = found->second;
      settings.chatTemplateSource = file.getPath();
    }
}

} // namespace

std::optional<Pooling> parsePooling(std::string_view text) {
  if (text == "mean")
    return Pooling::Mean;
  if (text == "cls")
    return Pooling::Cls;
  if (text == "none")
    return Pooling::None;
  return std::nullopt;
}

Expected<TextSettings> loadTextSettings(const std::vector<std::string> &weights,
                                        const std::string &tokenizerPath) {
  TextSettings settings;
  Expected<std::unique_ptr<Tokenizer>> tokenizer =
      tokenizerPath.empty() ? findTokenizer(weights)
                            : loadTokenizer(tokenizerPath);
  if (!tokenizer)
    return tokenizer.takeError();
  settings.tokenizer = std::move(*tokenizer);
  for (const std::string &path : weights)
    if (Status status = readDirectorySettings(weightsDirectory(path), settings);
        !status)
      return status.takeError();
  for (const std::string &path : weights) {
    if (!endsWith(path, ".gguf"))
      continue;
    Expected<std::unique_ptr<SafetensorsFile>> file =
        SafetensorsFile::openGguf(path);
    if (!file)
      return file.takeError();
    readGgufSettings(**file, settings);
  }
  return settings;
}

std::vector<float> poolEmbedding(const float *rows, int64_t count,
                                 int64_t width, Pooling pooling,
                                 bool normalize) {
  std::vector<float> out(size_t(width), 0.0f);
  if (pooling == Pooling::Cls || count == 0) {
    if (count > 0)
      std::copy(rows, rows + width, out.begin());
  } else {
    std::vector<double> sum(size_t(width), 0.0);
    for (int64_t row = 0; row < count; ++row)
      for (int64_t i = 0; i < width; ++i)
        sum[size_t(i)] += rows[row * width + i];
    for (int64_t i = 0; i < width; ++i)
      out[size_t(i)] = float(sum[size_t(i)] / double(count));
  }
  if (normalize) {
    double norm = 0;
    for (float value : out)
      norm += double(value) * value;
    norm = std::sqrt(norm);
    // As torch.nn.functional.normalize: divide by max(norm, 1e-12).
    norm = std::max(norm, 1e-12);
    for (float &value : out)
      value = float(value / norm);
  }
  return out;
}

} // namespace loom
