//===- ChatFormat.cpp - Laying out a chat exchange ------------------------===//
//
// Chat templates are Jinja programs. Rather than embed a Jinja interpreter,
// Loom recognizes the template families that cover most instruction-tuned
// checkpoints and lays the exchange out itself, byte for byte as the
// template would for one system and one user message:
//
//   ChatML (SmolLM2, Qwen):  <|im_start|>system\n{system}<|im_end|>\n
//                            <|im_start|>user\n{user}<|im_end|>\n
//                            <|im_start|>assistant\n
//   Llama 3:                 <|begin_of_text|><|start_header_id|>user
//                            <|end_header_id|>\n\n{user}<|eot_id|>
//                            <|start_header_id|>assistant<|end_header_id|>\n\n
//
// A default system message the template writes when the conversation has
// none (SmolLM2's, Qwen's) is read from the template's text.
//
//===----------------------------------------------------------------------===//

#include "loom/TextSettings.h"

#include <fmt/format.h>

namespace loom {

namespace {

/// The literal system message a ChatML template writes by default: the
/// text between `<|im_start|>system` + newline and `<|im_end|>` in a quoted
/// string of the template, if no Jinja code is mixed in.
std::string defaultChatMLSystem(std::string_view text) {
  const std::string_view start = "<|im_start|>system";
  for (size_t at = text.find(start); at != std::string_view::npos;
       at = text.find(start, at + 1)) {
    size_t body = at + start.size();
    if (text.compare(body, 1, "\n") == 0)
      body += 1;
    else if (text.compare(body, 2, "\\n") == 0)
      body += 2;
    else
      continue;
    size_t end = text.find("<|im_end|>", body);
    if (end == std::string_view::npos)
      continue;
    std::string_view message = text.substr(body, end - body);
    if (message.empty() ||
        message.find_first_of("{}'\"+") != std::string_view::npos)
      continue;
    return std::string(message);
  }
  return "";
}

/// `text` without leading and trailing whitespace (Jinja's `trim`).
std::string trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos)
    return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

} // namespace

Expected<ChatFormat> ChatFormat::fromTemplate(std::string_view chatTemplate,
                                              const std::string &source,
                                              const Tokenizer &tokenizer) {
  ChatFormat format;
  if (chatTemplate.find("<|im_start|>") != std::string_view::npos) {
    format.family = Family::ChatML;
    format.defaultSystem = defaultChatMLSystem(chatTemplate);
    format.endOfTurn = tokenizer.tokenId("<|im_end|>");
    return format;
  }
  if (chatTemplate.find("<|start_header_id|>") != std::string_view::npos) {
    if (chatTemplate.find("Cutting Knowledge Date") != std::string_view::npos)
      return makeError(fmt::format(
          "{}: this Llama 3.1-style chat template (tools, dated system "
          "message) is not one Loom lays out yet; give the prompt already "
          "formatted, without --chat",
          source));
    format.family = Family::Llama3;
    format.beginOfText = "<|begin_of_text|>";
    format.endOfTurn = tokenizer.tokenId("<|eot_id|>");
    return format;
  }
  if (chatTemplate.empty())
    return makeError(
        "--chat: the checkpoint has no chat template (no chat_template in "
        "tokenizer_config.json, no tokenizer.chat_template in the GGUF "
        "file); give the prompt without --chat");
  return makeError(fmt::format(
      "{}: the chat template is not one Loom lays out (it knows ChatML, as in "
      "SmolLM2 and Qwen, and Llama 3); give the prompt already formatted, "
      "without --chat",
      source));
}

const char *ChatFormat::getName() const {
  return family == Family::ChatML ? "ChatML" : "Llama 3";
}

std::string ChatFormat::render(const std::string &system,
                               const std::string &user) const {
  std::string effective = system.empty() ? defaultSystem : system;
  std::string text;
  switch (family) {
  case Family::ChatML:
    if (!effective.empty())
      text += fmt::format("<|im_start|>system\n{}<|im_end|>\n", effective);
    text += fmt::format("<|im_start|>user\n{}<|im_end|>\n", user);
    text += "<|im_start|>assistant\n";
    break;
  case Family::Llama3:
    text += beginOfText;
    if (!effective.empty())
      text += fmt::format(
          "<|start_header_id|>system<|end_header_id|>\n\n{}<|eot_id|>",
          trim(effective));
    text += fmt::format(
        "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>", trim(user));
    text += "<|start_header_id|>assistant<|end_header_id|>\n\n";
    break;
  }
  return text;
}

} // namespace loom
