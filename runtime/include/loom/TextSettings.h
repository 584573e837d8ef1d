//===- TextSettings.h - What a checkpoint says about its text ---*- C++ -*-===//
//
// Beside the weights, a Hugging Face model directory (or a GGUF file's
// metadata) says how text goes in and out: the tokenizer, the tokens that
// end generation, the chat template, and for sentence-transformers models
// how token vectors are pooled into one embedding. The compiled program
// reads them here; flags override them.
//
//   generation_config.json, config.json   eos_token_id (an id or a list)
//   tokenizer_config.json                 chat_template, eos_token
//   1_Pooling/config.json, modules.json   pooling mode, Normalize module
//   GGUF tokenizer.ggml.{eos,eot,eom}_token_id, tokenizer.chat_template
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TEXTSETTINGS_H
#define LOOM_TEXTSETTINGS_H

#include "loom/Tokenizer.h"

namespace loom {

/// How an encoder's token vectors become one sentence embedding.
enum class Pooling { None, Mean, Cls };

/// Parses `mean`, `cls` or `none`.
std::optional<Pooling> parsePooling(std::string_view text);

/// The text side of a checkpoint.
struct TextSettings {
  std::unique_ptr<Tokenizer> tokenizer;
  /// Ids that end generation, and where they were read.
  std::vector<int32_t> eosIds;
  std::string eosSource;
  /// The chat template (Jinja text) and where it was read; empty if none.
  std::string chatTemplate;
  std::string chatTemplateSource;
  /// Sentence-transformers' pooling and normalization, if configured.
  std::optional<Pooling> pooling;
  bool normalize = false;
};

/// Reads the text settings of the checkpoint at `weights`. The tokenizer is
/// `tokenizerPath` if given, else found next to the weights (see
/// `findTokenizer`).
Expected<TextSettings> loadTextSettings(const std::vector<std::string> &weights,
                                        const std::string &tokenizerPath);

/// A chat template family: how one exchange is laid out in text.
class ChatFormat {
public:
  /// Recognizes the family of the Jinja template `chatTemplate` (ChatML as
  /// in SmolLM2 and Qwen, or Llama 3), with the default system message it
  /// writes when none is given. An unknown template is an error naming
  /// `source`. Loom lays the exchange out itself rather than running Jinja.
  static Expected<ChatFormat> fromTemplate(std::string_view chatTemplate,
                                           const std::string &source,
                                           const Tokenizer &tokenizer);

  /// The text of a conversation of one user message, ready for the
  /// assistant's answer (the generation prompt added). An empty `system`
  /// gives the template's default system message, if it has one.
  std::string render(const std::string &system, const std::string &user) const;

  /// The token that ends a turn (`<|im_end|>`, `<|eot_id|>`), if the
  /// vocabulary has it.
  std::optional<int32_t> getEndOfTurn() const { return endOfTurn; }
  /// The family's name, for messages.
  const char *getName() const;

private:
  enum class Family { ChatML, Llama3 };
  Family family = Family::ChatML;
  std::string defaultSystem;
  std::string beginOfText;
  std::optional<int32_t> endOfTurn;
};

/// Pools `rows` token vectors of `width` into one embedding (mean or the
/// first row), L2-normalized if `normalize`.
std::vector<float> poolEmbedding(const float *rows, int64_t count,
                                 int64_t width, Pooling pooling,
                                 bool normalize);

} // namespace loom

#endif // LOOM_TEXTSETTINGS_H
