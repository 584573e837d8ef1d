//===- Import.cpp - .loom models from Hugging Face and GGUF checkpoints ---===//
//
// Each family has one writer that fills a template of the model in the
// language; what varies between checkpoints of a family (sizes, biases, a
// tied head, name prefixes) is read from the configuration and checked
// against the tensor names in the checkpoint. Anything the language cannot
// express yet (sliding windows, rope scaling, partial rotary embeddings) is
// an error naming the configuration entry, never a silently different
// model.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/Import.h"

#include "runtime/include/loom/Checkpoint.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <map>

using namespace loom;
using llvm::formatv;

namespace {

llvm::Error importError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A number as the language writes it (`1e-05`, `10000.0`).
std::string formatNumber(double value) {
  std::string text = formatv("{0}", llvm::format("%.9g", value)).str();
  if (text.find_first_of(".en") == std::string::npos)
    text += ".0";
  return text;
}

/// `name` made into an identifier for the model's name, or `fallback`.
std::string modelIdentifier(llvm::StringRef name, llvm::StringRef fallback) {
  for (llvm::StringRef suffix :
       {"ForCausalLM", "LMHeadModel", "ForMaskedLM", "Model"})
    if (name.ends_with(suffix) && name.size() > suffix.size()) {
      name = name.drop_back(suffix.size());
      break;
    }
  std::string out;
  for (char c : name)
    if (llvm::isAlnum(c) || c == '_')
      out += c;
  if (out.empty() || llvm::isDigit(out[0]))
    return fallback.str();
  return out;
}

/// The values of a `config.json`, with errors naming the file and key.
class HfConfig {
public:
  HfConfig(llvm::json::Object object, std::string path)
      : object(std::move(object)), path(std::move(path)) {}

  const std::string &getPath() const { return path; }

  llvm::Error error(llvm::StringRef key, const llvm::Twine &what) const {
    return importError(path + ": " + key + ": " + what);
  }

  bool has(llvm::StringRef key) const {
    const llvm::json::Value *value = object.get(key);
    return value && value->kind() != llvm::json::Value::Null;
  }

  llvm::Expected<int64_t> integer(llvm::StringRef key) const {
    std::optional<int64_t> value = object.getInteger(key);
    if (!value || *value <= 0)
      return error(key, "expected a positive integer");
    return *value;
  }

  llvm::Expected<int64_t> integer(llvm::StringRef key, int64_t fallback) const {
    if (!has(key))
      return fallback;
    return integer(key);
  }

  llvm::Expected<double> number(llvm::StringRef key, double fallback) const {
    if (!has(key))
      return fallback;
    std::optional<double> value = object.getNumber(key);
    if (!value || !std::isfinite(*value) || *value <= 0)
      return error(key, "expected a positive number");
    return *value;
  }

  bool boolean(llvm::StringRef key) const {
    return object.getBoolean(key).value_or(false);
  }

  std::string string(llvm::StringRef key, llvm::StringRef fallback = "") const {
    std::optional<llvm::StringRef> value = object.getString(key);
    return value ? value->str() : fallback.str();
  }

  const llvm::json::Object *getObject(llvm::StringRef key) const {
    return object.getObject(key);
  }

  /// The first entry of `architectures`, if any.
  std::string architecture() const {
    if (const llvm::json::Array *list = object.getArray("architectures"))
      if (!list->empty())
        if (std::optional<llvm::StringRef> name = (*list)[0].getAsString())
          return name->str();
    return "";
  }

private:
  llvm::json::Object object;
  std::string path;
};

/// The language's name of a Hugging Face activation.
llvm::Expected<std::string> activation(const HfConfig &config,
                                       llvm::StringRef key,
                                       llvm::StringRef fallback) {
  std::string name = config.string(key, fallback);
  static const std::map<std::string, std::string> kNames = {
      {"silu", "silu"},
      {"swish", "silu"},
      {"gelu", "gelu"},
      {"gelu_new", "gelu_tanh"},
      {"gelu_pytorch_tanh", "gelu_tanh"},
      {"gelu_fast", "gelu_tanh"},
      {"relu", "relu"}};
  auto found = kNames.find(name);
  if (found == kNames.end())
    return config.error(key, formatv("activation '{0}' is not in the "
                                     "language (it has silu, gelu, "
                                     "gelu_tanh, relu)",
                                     name));
  return found->second;
}

/// The rotary base of a Llama-family config, refusing rope variants the
/// language cannot express.
llvm::Expected<double> ropeTheta(const HfConfig &config) {
  double theta = 10000.0;
  if (const llvm::json::Object *parameters =
          config.getObject("rope_parameters")) {
    if (std::optional<llvm::StringRef> type =
            parameters->getString("rope_type");
        type && *type != "default")
      return config.error("rope_parameters.rope_type",
                          formatv("rope type '{0}' is not in the language "
                                  "yet (only the default rotary embedding)",
                                  *type));
    if (std::optional<double> value = parameters->getNumber("rope_theta"))
      theta = *value;
  }
  if (config.has("rope_scaling"))
    return config.error("rope_scaling", "scaled rotary embeddings are not in "
                                        "the language yet");
  if (config.has("partial_rotary_factor")) {
    llvm::Expected<double> factor = config.number("partial_rotary_factor", 1);
    if (!factor)
      return factor.takeError();
    if (*factor != 1.0)
      return config.error("partial_rotary_factor",
                          "partial rotary embeddings are not in the language "
                          "yet");
  }
  llvm::Expected<double> top = config.number("rope_theta", theta);
  if (!top)
    return top.takeError();
  return *top;
}

/// The tensor names of a checkpoint, to read prefixes and optional
/// tensors from.
struct TensorNames {
  llvm::StringSet<> names;
  bool has(const llvm::Twine &name) const { return names.contains(name.str()); }
};

llvm::Expected<TensorNames> readTensorNames(const std::string &path) {
  Expected<std::shared_ptr<Checkpoint>> checkpoint = Checkpoint::open(path);
  if (!checkpoint)
    return importError(checkpoint.getError());
  TensorNames names;
  for (const std::string &name : (*checkpoint)->getTensorNames())
    names.names.insert(name);
  return names;
}

/// The first of `prefixes` under which `name` exists.
std::optional<std::string> findPrefix(const TensorNames &names,
                                      llvm::ArrayRef<const char *> prefixes,
                                      llvm::StringRef name) {
  for (const char *prefix : prefixes)
    if (names.has(llvm::Twine(prefix) + name))
      return std::string(prefix);
  return std::nullopt;
}

/// A Llama-shaped model (RMSNorm, rotary grouped-query attention, a gated
/// MLP) as it is written in the language; the Hugging Face and GGUF imports
/// differ only in sizes, options and tensor names.
struct LlamaModel {
  std::string header, name;
  int64_t vocab = 0, dim = 0, layers = 0, heads = 0, kvHeads = 0, ffn = 0;
  double eps = 0, theta = 0;
  int64_t headDim = 0;
  bool qkvBias = false, outBias = false, mlpBias = false;
  std::string act = "silu";
  /// Extra attention and MLP arguments (rope_interleaved, sub-names).
  std::string attnExtra, mlpExtra;
  /// Bindings inside a layer, and of the model's own layers (`layer` holds
  /// `{i}`).
  std::string attnNorm, attn, ffnNorm, mlp;
  std::string embed, layer, norm, head;
};

std::string writeLlamaModel(const LlamaModel &m) {
  std::string attnOptions = "kv_heads = kv_heads, rope = rope_theta";
  if (m.headDim * m.heads != m.dim)
    attnOptions += formatv(", head_dim = {0}", m.headDim).str();
  if (m.qkvBias)
    attnOptions +=
        m.outBias ? ", bias = true" : ", bias = true, out_bias = false";
  else if (m.outBias)
    attnOptions += ", out_bias = true";
  attnOptions += m.attnExtra;
  std::string mlpOptions = "act = " + m.act;
  if (m.mlpBias)
    mlpOptions += ", bias = true";
  mlpOptions += m.mlpExtra;

  std::string text;
  llvm::raw_string_ostream os(text);
  os << m.header;
  os << "model " << m.name << " {\n  config {\n";
  os << formatv("    vocab = {0}\n    dim = {1}\n    layers = {2}\n"
                "    heads = {3}\n    kv_heads = {4}\n    ffn = {5}\n",
                m.vocab, m.dim, m.layers, m.heads, m.kvHeads, m.ffn);
  os << "    eps = " << formatNumber(m.eps) << "\n";
  os << "    rope_theta = " << formatNumber(m.theta) << "\n  }\n\n";
  os << "  block Decoder {\n";
  os << "    attn_norm = RMSNorm(dim, eps) @ \"" << m.attnNorm << "\"\n";
  os << "    attn      = Attention(dim, heads, " << attnOptions << ")\n"
     << "                @ \"" << m.attn << "\"\n";
  os << "    ffn_norm  = RMSNorm(dim, eps) @ \"" << m.ffnNorm << "\"\n";
  os << "    mlp       = GatedMLP(dim, ffn, " << mlpOptions << ")\n"
     << "                @ \"" << m.mlp << "\"\n\n";
  os << "    forward(x) {\n      h = x + attn(attn_norm(x))\n"
        "      return h + mlp(ffn_norm(h))\n    }\n  }\n\n";
  os << "  embed  = Embedding(vocab, dim)            @ \"" << m.embed << "\"\n"
     << "  blocks = Decoder[layers]                  @ \"" << m.layer << "\"\n"
     << "  norm   = RMSNorm(dim, eps)                @ \"" << m.norm << "\"\n"
     << "  head   = Linear(dim, vocab, bias = false) @ \"" << m.head
     << "\"\n\n";
  os << "  forward(tokens) {\n    return head(norm(blocks(embed(tokens))))\n"
        "  }\n}\n";
  return text;
}

/// Llama, Mistral and Qwen 2: RMSNorm, rotary embeddings, grouped-query
/// attention, a SwiGLU MLP.
llvm::Expected<std::string> writeLlama(const HfConfig &config,
                                       const TensorNames &names,
                                       llvm::StringRef modelType) {
  auto vocab = config.integer("vocab_size");
  auto dim = config.integer("hidden_size");
  auto layers = config.integer("num_hidden_layers");
  auto heads = config.integer("num_attention_heads");
  auto ffn = config.integer("intermediate_size");
  if (!vocab || !dim || !layers || !heads || !ffn)
    return llvm::joinErrors(
        llvm::joinErrors(vocab.takeError(), dim.takeError()),
        llvm::joinErrors(
            llvm::joinErrors(layers.takeError(), heads.takeError()),
            ffn.takeError()));
  auto kvHeads = config.integer("num_key_value_heads", *heads);
  if (!kvHeads)
    return kvHeads.takeError();
  auto eps = config.number("rms_norm_eps", 1e-6);
  if (!eps)
    return eps.takeError();
  auto theta = ropeTheta(config);
  if (!theta)
    return theta.takeError();
  auto act = activation(config, "hidden_act", "silu");
  if (!act)
    return act.takeError();
  auto headDim = config.integer("head_dim", *dim / *heads);
  if (!headDim)
    return headDim.takeError();
  // Mistral attends over a sliding window; Qwen 2 only with
  // use_sliding_window.
  bool windowed =
      modelType == "mistral" ||
      (modelType == "qwen2" && config.boolean("use_sliding_window"));
  if (windowed && config.has("sliding_window")) {
    auto window = config.integer("sliding_window");
    if (!window)
      return window.takeError();
    auto positions = config.integer("max_position_embeddings", 0);
    if (!positions)
      return positions.takeError();
    if (*window < *positions)
      return config.error("sliding_window",
                          formatv("attention over a sliding window of {0} "
                                  "tokens is not in the language yet",
                                  *window));
  }

  std::optional<std::string> prefix =
      findPrefix(names, {"model.", ""}, "embed_tokens.weight");
  if (!prefix)
    return importError(config.getPath() +
                       ": the checkpoint has no "
                       "model.embed_tokens.weight: is it a " +
                       modelType + " checkpoint?");
  std::string layer0 = *prefix + "layers.0.";
  LlamaModel m;
  m.vocab = *vocab;
  m.dim = *dim;
  m.layers = *layers;
  m.heads = *heads;
  m.kvHeads = *kvHeads;
  m.ffn = *ffn;
  m.eps = *eps;
  m.theta = *theta;
  m.headDim = *headDim;
  m.qkvBias = names.has(layer0 + "self_attn.q_proj.bias");
  m.outBias = names.has(layer0 + "self_attn.o_proj.bias");
  m.mlpBias = names.has(layer0 + "mlp.gate_proj.bias");
  m.act = *act;
  m.attnNorm = "input_layernorm";
  m.attn = "self_attn";
  m.ffnNorm = "post_attention_layernorm";
  m.mlp = "mlp";
  m.embed = *prefix + "embed_tokens";
  m.layer = *prefix + "layers.{i}";
  m.norm = *prefix + "norm";
  // Tied to the embedding unless the checkpoint has its own head.
  m.head = names.has("lm_head.weight") ? "lm_head" : m.embed;
  m.name = modelIdentifier(config.architecture(), modelType == "qwen2" ? "Qwen2"
                                                  : modelType == "mistral"
                                                      ? "Mistral"
                                                      : "Llama");
  m.header =
      formatv("// Imported by `loomc import` from {0} (model_type "
              "\"{1}\").\n// Tensor names as in the checkpoint; the "
              "LM head is {2}.\n",
              config.getPath(), modelType,
              m.head == "lm_head" ? "its own tensor" : "tied to the embedding")
          .str();
  return writeLlamaModel(m);
}

/// GPT-2: learned positions, pre-LayerNorm, Conv1D projections, tied head.
llvm::Expected<std::string> writeGpt2(const HfConfig &config,
                                      const TensorNames &names) {
  auto vocab = config.integer("vocab_size");
  auto positions = config.integer("n_positions");
  auto dim = config.integer("n_embd");
  auto layers = config.integer("n_layer");
  auto heads = config.integer("n_head");
  if (!vocab || !positions || !dim || !layers || !heads)
    return llvm::joinErrors(
        llvm::joinErrors(vocab.takeError(), positions.takeError()),
        llvm::joinErrors(dim.takeError(), llvm::joinErrors(layers.takeError(),
                                                           heads.takeError())));
  auto ffn = config.integer("n_inner", 4 * *dim);
  auto eps = config.number("layer_norm_epsilon", 1e-5);
  auto act = activation(config, "activation_function", "gelu_new");
  if (!ffn || !eps || !act)
    return llvm::joinErrors(ffn.takeError(),
                            llvm::joinErrors(eps.takeError(), act.takeError()));
  std::optional<std::string> prefix =
      findPrefix(names, {"transformer.", ""}, "wte.weight");
  if (!prefix)
    return importError(config.getPath() + ": the checkpoint has no "
                                          "transformer.wte.weight: is it a "
                                          "gpt2 checkpoint?");
  std::string head =
      names.has("lm_head.weight") ? std::string("lm_head") : *prefix + "wte";
  std::string name = modelIdentifier(config.architecture(), "GPT2");
  std::string text;
  llvm::raw_string_ostream os(text);
  os << formatv("// Imported by `loomc import` from {0} (model_type "
                "\"gpt2\").\n// Conv1D projections are stored [in, out]; the "
                "LM head is {1}.\n",
                config.getPath(),
                head == "lm_head" ? "its own tensor" : "tied to the embedding");
  os << "model " << name << " {\n  config {\n";
  os << formatv("    vocab = {0}\n    positions = {1}\n    dim = {2}\n"
                "    layers = {3}\n    heads = {4}\n    ffn = {5}\n",
                *vocab, *positions, *dim, *layers, *heads, *ffn);
  os << "    eps = " << formatNumber(*eps) << "\n  }\n\n";
  os << "  block Block {\n"
        "    ln_1 = LayerNorm(dim, eps)\n"
        "    attn = Attention(dim, heads, causal = true, bias = true, "
        "layout = \"in_out\",\n"
        "                     qkv = \"c_attn\", o = \"c_proj\")\n"
        "    ln_2 = LayerNorm(dim, eps)\n";
  os << "    mlp  = MLP(dim, ffn, act = " << *act
     << ", layout = \"in_out\", up = \"c_fc\", down = \"c_proj\")\n\n";
  os << "    forward(x) {\n      x = x + attn(ln_1(x))\n"
        "      return x + mlp(ln_2(x))\n    }\n  }\n\n";
  os << formatv("  wte  = Embedding(vocab, dim)               @ \"{0}wte\"\n"
                "  wpe  = PositionalEmbedding(positions, dim) @ \"{0}wpe\"\n"
                "  h    = Block[layers]                       @ \"{0}h.{{i}\"\n"
                "  ln_f = LayerNorm(dim, eps)                 @ \"{0}ln_f\"\n"
                "  head = Linear(dim, vocab, bias = false)    @ \"{1}\"\n\n",
                *prefix, head);
  os << "  forward(tokens) {\n    x = wte(tokens) + wpe(tokens)\n"
        "    return head(ln_f(h(x)))\n  }\n}\n";
  return text;
}

/// BERT (and BERT-shaped sentence encoders): post-LayerNorm, learned
/// positions and segments; the output is the final hidden states.
llvm::Expected<std::string> writeBert(const HfConfig &config,
                                      const TensorNames &names) {
  auto vocab = config.integer("vocab_size");
  auto positions = config.integer("max_position_embeddings");
  auto dim = config.integer("hidden_size");
  auto layers = config.integer("num_hidden_layers");
  auto heads = config.integer("num_attention_heads");
  auto ffn = config.integer("intermediate_size");
  if (!vocab || !positions || !dim || !layers || !heads || !ffn)
    return llvm::joinErrors(
        llvm::joinErrors(
            llvm::joinErrors(vocab.takeError(), positions.takeError()),
            llvm::joinErrors(dim.takeError(), layers.takeError())),
        llvm::joinErrors(heads.takeError(), ffn.takeError()));
  auto typeVocab = config.integer("type_vocab_size", 2);
  auto eps = config.number("layer_norm_eps", 1e-12);
  auto act = activation(config, "hidden_act", "gelu");
  if (!typeVocab || !eps || !act)
    return llvm::joinErrors(typeVocab.takeError(),
                            llvm::joinErrors(eps.takeError(), act.takeError()));
  std::string positionType =
      config.string("position_embedding_type", "absolute");
  if (positionType != "absolute")
    return config.error("position_embedding_type",
                        formatv("'{0}' positions are not in the language yet "
                                "(only absolute)",
                                positionType));
  std::optional<std::string> prefix =
      findPrefix(names, {"bert.", ""}, "embeddings.word_embeddings.weight");
  if (!prefix)
    return importError(config.getPath() + ": the checkpoint has no "
                                          "embeddings.word_embeddings.weight: "
                                          "is it a bert checkpoint?");
  std::string name = modelIdentifier(config.architecture(), "Bert");
  std::string text;
  llvm::raw_string_ostream os(text);
  os << formatv("// Imported by `loomc import` from {0} (model_type "
                "\"bert\").\n// The output is the final hidden state of "
                "every token (segment 0); heads on top\n// of the encoder "
                "(pooler, masked LM) are not part of it.\n",
                config.getPath());
  os << "block BertEncoder(dim, heads, ffn, eps) {\n"
        "  attn      = Attention(dim, heads, causal = false, bias = true,\n"
        "                        q = \"self.query\", k = \"self.key\", "
        "v = \"self.value\",\n"
        "                        o = \"output.dense\")            @ "
        "\"attention\"\n"
        "  attn_norm = LayerNorm(dim, eps)                     @ "
        "\"attention.output.LayerNorm\"\n";
  os << "  mlp       = MLP(dim, ffn, act = " << *act
     << ", up = \"intermediate.dense\",\n"
        "                  down = \"output.dense\")            @ \"\"\n"
        "  mlp_norm  = LayerNorm(dim, eps)                     @ "
        "\"output.LayerNorm\"\n\n"
        "  forward(x) {\n    x = attn_norm(x + attn(x))\n"
        "    return mlp_norm(x + mlp(x))\n  }\n}\n\n";
  os << "model " << name << " {\n  config {\n";
  os << formatv("    vocab = {0}\n    positions = {1}\n    type_vocab = {2}\n"
                "    dim = {3}\n    layers = {4}\n    heads = {5}\n"
                "    ffn = {6}\n",
                *vocab, *positions, *typeVocab, *dim, *layers, *heads, *ffn);
  os << "    eps = " << formatNumber(*eps) << "\n  }\n\n";
  os << formatv("  words    = Embedding(vocab, dim)               @ "
                "\"{0}embeddings.word_embeddings\"\n"
                "  position = PositionalEmbedding(positions, dim) @ "
                "\"{0}embeddings.position_embeddings\"\n"
                "  segment  = Embedding(type_vocab, dim)          @ "
                "\"{0}embeddings.token_type_embeddings\"\n"
                "  emb_norm = LayerNorm(dim, eps)                 @ "
                "\"{0}embeddings.LayerNorm\"\n"
                "  layer    = BertEncoder(dim, heads, ffn, eps)[layers] @ "
                "\"{0}encoder.layer.{{i}\"\n\n",
                *prefix);
  os << "  forward(tokens) {\n"
        "    x = words(tokens) + position(tokens) + segment(0)\n"
        "    return layer(emb_norm(x))\n  }\n}\n";
  return text;
}

/// A Hugging Face model directory (or its config.json).
llvm::Expected<std::string> importDirectory(llvm::StringRef path) {
  std::string directory = path.str();
  if (!llvm::sys::fs::is_directory(directory))
    directory = llvm::sys::path::parent_path(path).str();
  if (directory.empty())
    directory = ".";
  std::string configPath = directory + "/config.json";
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(configPath);
  if (!buffer)
    return importError(configPath +
                       ": cannot open: " + buffer.getError().message() +
                       " (loomc import reads a Hugging Face model directory "
                       "or a .gguf file)");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return importError(configPath +
                       ": not valid JSON: " + llvm::toString(json.takeError()));
  llvm::json::Object *object = json->getAsObject();
  if (!object)
    return importError(configPath + ": expected a JSON object");
  HfConfig config(std::move(*object), configPath);
  std::string modelType = config.string("model_type");
  bool llamaFamily =
      modelType == "llama" || modelType == "mistral" || modelType == "qwen2";
  if (llamaFamily || modelType == "gpt2" || modelType == "bert") {
    llvm::Expected<TensorNames> names = readTensorNames(directory);
    if (!names)
      return names.takeError();
    if (llamaFamily)
      return writeLlama(config, *names, modelType);
    if (modelType == "gpt2")
      return writeGpt2(config, *names);
    return writeBert(config, *names);
  }
  return config.error("model_type",
                      formatv("'{0}' is not a model type loomc import "
                              "knows (llama, mistral, qwen2, gpt2, bert); "
                              "write the .loom file by hand "
                              "(docs/language.md)",
                              modelType));
}

/// A GGUF file of the llama or qwen2 architecture.
llvm::Expected<std::string> importGguf(llvm::StringRef path) {
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::openGguf(path.str());
  if (!file)
    return importError(file.getError());
  const auto &metadata = (*file)->getMetadata();
  auto get = [&](const std::string &key) -> std::optional<std::string> {
    auto found = metadata.find(key);
    if (found == metadata.end())
      return std::nullopt;
    return found->second;
  };
  std::string arch = get("general.architecture").value_or("");
  if (arch != "llama" && arch != "qwen2")
    return importError(path + ": general.architecture '" + arch +
                       "' is not one loomc import knows in GGUF files (llama, "
                       "qwen2)");
  auto integer = [&](const std::string &key) -> llvm::Expected<int64_t> {
    std::optional<std::string> text = get(arch + "." + key);
    std::optional<int64_t> value =
        text ? parseInt(*text) : std::optional<int64_t>();
    if (!value || *value <= 0)
      return importError(path + ": " + arch + "." + key +
                         " is missing or not a positive integer");
    return *value;
  };
  auto number = [&](const std::string &key,
                    double fallback) -> llvm::Expected<double> {
    std::optional<std::string> text = get(arch + "." + key);
    if (!text)
      return fallback;
    std::optional<double> value = parseDouble(*text);
    if (!value || *value <= 0)
      return importError(path + ": " + arch + "." + key +
                         " is not a positive number");
    return *value;
  };
  auto dim = integer("embedding_length");
  auto layers = integer("block_count");
  auto heads = integer("attention.head_count");
  auto ffn = integer("feed_forward_length");
  if (!dim || !layers || !heads || !ffn)
    return llvm::joinErrors(
        llvm::joinErrors(dim.takeError(), layers.takeError()),
        llvm::joinErrors(heads.takeError(), ffn.takeError()));
  llvm::Expected<int64_t> kvHeads = *heads;
  if (get(arch + ".attention.head_count_kv"))
    kvHeads = integer("attention.head_count_kv");
  auto eps = number("attention.layer_norm_rms_epsilon", 1e-6);
  auto theta = number("rope.freq_base", 10000.0);
  if (!kvHeads || !eps || !theta)
    return llvm::joinErrors(
        kvHeads.takeError(),
        llvm::joinErrors(eps.takeError(), theta.takeError()));
  int64_t headDim = *dim / *heads;
  if (get(arch + ".attention.key_length")) {
    auto keyLength = integer("attention.key_length");
    if (!keyLength)
      return keyLength.takeError();
    headDim = *keyLength;
  }
  if (get(arch + ".rope.dimension_count")) {
    auto rotary = integer("rope.dimension_count");
    if (!rotary)
      return rotary.takeError();
    if (*rotary != headDim)
      return importError(formatv("{0}: {1}.rope.dimension_count is {2}, but "
                                 "heads are {3} wide: partial rotary "
                                 "embeddings are not in the language yet",
                                 path, arch, *rotary, headDim));
  }
  if (get(arch + ".rope.scaling.type") &&
      *get(arch + ".rope.scaling.type") != "none")
    return importError(path + ": " + arch +
                       ".rope.scaling.type: scaled rotary embeddings are not "
                       "in the language yet");
  const TensorInfo *embedding = (*file)->find("token_embd.weight");
  if (!embedding || embedding->shape.size() != 2)
    return importError(path + ": the file has no 2-D token_embd.weight");
  LlamaModel m;
  m.vocab = embedding->shape[0];
  m.dim = *dim;
  m.layers = *layers;
  m.heads = *heads;
  m.kvHeads = *kvHeads;
  m.ffn = *ffn;
  m.eps = *eps;
  m.theta = *theta;
  m.headDim = headDim;
  m.qkvBias = (*file)->find("blk.0.attn_q.bias") != nullptr;
  m.outBias = (*file)->find("blk.0.attn_output.bias") != nullptr;
  m.mlpBias = (*file)->find("blk.0.ffn_gate.bias") != nullptr;
  // llama.cpp's converter permutes Llama's q and k rows for rotary
  // embeddings on adjacent pairs; Qwen 2's are stored as trained.
  if (arch == "llama")
    m.attnExtra = ", rope_interleaved = true";
  m.attnExtra += ",\n                          q = \"attn_q\", k = \"attn_k\", "
                 "v = \"attn_v\", o = \"attn_output\"";
  m.mlpExtra = ", gate = \"ffn_gate\", up = \"ffn_up\", down = \"ffn_down\"";
  m.attnNorm = "attn_norm";
  m.ffnNorm = "ffn_norm";
  m.embed = "token_embd";
  m.layer = "blk.{i}";
  m.norm = "output_norm";
  m.head = (*file)->find("output.weight") ? "output" : "token_embd";
  m.name = modelIdentifier(get("general.basename").value_or(""),
                           arch == "llama" ? "Llama" : "Qwen2");
  if (!m.name.empty() && llvm::isLower(m.name[0]))
    m.name[0] = llvm::toUpper(m.name[0]);
  m.header =
      formatv("// Imported by `loomc import` from {0} (GGUF, "
              "architecture \"{1}\"),\n// with llama.cpp's tensor "
              "names; the LM head is {2}.\n",
              path, arch,
              m.head == "output" ? "its own tensor" : "tied to the embedding")
          .str();
  return writeLlamaModel(m);
}

} // namespace

llvm::Expected<std::string> loom::importModel(llvm::StringRef path) {
  if (!llvm::sys::fs::exists(path))
    return importError(path + ": no such file or directory");
  if (path.ends_with(".gguf"))
    return importGguf(path);
  return importDirectory(path);
}
