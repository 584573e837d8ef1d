//===- loom-tokenize.cpp - Run a tokenizer over lines of text -------------===//
//
// Encodes each input with the runtime's tokenizer and decodes the ids back,
// for tests that compare with the `tokenizers` library and for people who
// want to see how a text is split:
//
//   loom-tokenize TOKENIZER TEXT...          ids and tokens of each TEXT
//   loom-tokenize TOKENIZER --jsonl IN OUT   IN: one JSON string per line;
//       OUT: {"ids": [...], "text": decoded, "raw": decoded with specials}
//
// TOKENIZER is a tokenizer.json, a directory holding one, or a GGUF file.
// `--no-special` leaves out the post-processor's special tokens.
//
//===----------------------------------------------------------------------===//

#include "loom/Tokenizer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace loom;

static int fail(const std::string &message) {
  fmt::print(stderr, "loom-tokenize: error: {}\n", message);
  return 1;
}

static int runJsonLines(const Tokenizer &tokenizer, const std::string &input,
                        const std::string &output, bool special) {
  std::ifstream in(input, std::ios::binary);
  if (!in)
    return fail(input + ": cannot open");
  std::ofstream out(output, std::ios::binary);
  if (!out)
    return fail(output + ": cannot create");
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    nlohmann::json text = nlohmann::json::parse(line, nullptr, false);
    if (text.is_discarded() || !text.is_string())
      return fail(fmt::format("{}:{}: expected a JSON string", input, number));
    Expected<std::vector<int32_t>> ids =
        tokenizer.encode(text.get_ref<const std::string &>(), special);
    if (!ids)
      return fail(fmt::format("{}:{}: {}", input, number, ids.getError()));
    nlohmann::json record;
    record["ids"] = *ids;
    record["text"] = tokenizer.decode(*ids);
    record["raw"] = tokenizer.decode(*ids, /*skipSpecialTokens=*/false);
    out << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  }
  return 0;
}

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool special = true;
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "--no-special") {
      special = false;
      it = args.erase(it);
    } else {
      ++it;
    }
  }
  if (args.size() < 2) {
    fmt::print(stderr, "usage: loom-tokenize TOKENIZER [--no-special] "
                       "(TEXT... | --jsonl IN OUT)\n");
    return 2;
  }
  Expected<std::unique_ptr<Tokenizer>> tokenizer = loadTokenizer(args[0]);
  if (!tokenizer)
    return fail(tokenizer.getError());
  if (args[1] == "--jsonl") {
    if (args.size() != 4)
      return fail("--jsonl needs an input and an output path");
    return runJsonLines(**tokenizer, args[2], args[3], special);
  }
  for (size_t i = 1; i < args.size(); ++i) {
    Expected<std::vector<int32_t>> ids = (*tokenizer)->encode(args[i], special);
    if (!ids)
      return fail(ids.getError());
    std::string line, pieces;
    for (int32_t id : *ids) {
      line += fmt::format("{}{}", line.empty() ? "" : " ", id);
      pieces += fmt::format(
          "{}{}", pieces.empty() ? "" : " ",
          nlohmann::json((*tokenizer)->tokenText(id))
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    fmt::print("{}\n{}\n{}\n", line, pieces, (*tokenizer)->decode(*ids));
  }
  return 0;
}
