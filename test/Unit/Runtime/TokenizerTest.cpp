//===- TokenizerTest.cpp - Tokenizers: pipeline pieces and bad files ------===//
//
// Whole tokenizers are compared with the `tokenizers` library by
// test/Integration/tokenizers.test; these tests pin down single behaviours
// and every error a tokenizer file can cause.
//
//===----------------------------------------------------------------------===//

#include "loom/Tokenizer.h"

#include <gmock/gmock.h>

using namespace loom;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

/// A byte-level BPE tokenizer over a tiny vocabulary.
std::string byteLevelJson(const std::string &extra = "") {
  return R"({
    "added_tokens": [{"id": 9, "content": "<|end|>", "special": true}],
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"h": 0, "i": 1, "Ġ": 2, "hi": 3,
              "Ġh": 4, "Ġhi": 5, "Ã": 6, "©": 7, "Ã©": 8},
              "merges": ["Ġ h", "Ġh i", "h i", "Ã ©"]})" +
         extra + "}";
}

std::unique_ptr<Tokenizer> load(const std::string &json) {
  Expected<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::fromJson(json, "test.json");
  EXPECT_TRUE(tokenizer) << (tokenizer ? "" : tokenizer.getError());
  return tokenizer ? std::move(*tokenizer) : nullptr;
}

std::string loadError(const std::string &json) {
  Expected<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::fromJson(json, "test.json");
  EXPECT_FALSE(tokenizer);
  return tokenizer ? "" : tokenizer.getError();
}

TEST(TokenizerTest, BytePairMergesAndAddedTokens) {
  auto tokenizer = load(byteLevelJson());
  ASSERT_TRUE(tokenizer);
  Expected<std::vector<int32_t>> ids = tokenizer->encode("hi hi<|end|>é");
  ASSERT_TRUE(ids);
  EXPECT_THAT(*ids, ElementsAre(3, 5, 9, 8));
  EXPECT_EQ(tokenizer->decode(*ids), "hi hié");
  EXPECT_EQ(tokenizer->decode(*ids, /*skipSpecialTokens=*/false),
            "hi hi<|end|>é");
  EXPECT_TRUE(tokenizer->isSpecial(9));
  EXPECT_EQ(tokenizer->tokenId("Ġhi"), 5);
  EXPECT_EQ(tokenizer->vocabSize(), 10);
}

TEST(TokenizerTest, UnencodableTextIsAnError) {
  auto tokenizer = load(byteLevelJson());
  ASSERT_TRUE(tokenizer);
  Expected<std::vector<int32_t>> ids = tokenizer->encode("hx");
  ASSERT_FALSE(ids);
  EXPECT_THAT(ids.getError(),
              HasSubstr("test.json: the vocabulary cannot encode 'x' in "
                        "'hx': the tokenizer has no unknown token and no "
                        "byte fallback"));
}

TEST(TokenizerTest, StreamWaitsForWholeCharacters) {
  // "é" is two byte tokens, Ã and ©, when not merged.
  auto tokenizer = load(byteLevelJson());
  ASSERT_TRUE(tokenizer);
  TextStream stream(*tokenizer);
  EXPECT_EQ(stream.push(3), "hi");
  EXPECT_EQ(stream.push(6), "");
  EXPECT_EQ(stream.push(7), "é");
  EXPECT_EQ(stream.push(5), " hi");
  EXPECT_EQ(stream.push(9), ""); // Special tokens print nothing.
}

TEST(TokenizerTest, WordPieceWithBertNormalizer) {
  auto tokenizer = load(R"({
    "added_tokens": [{"id": 0, "content": "[CLS]", "special": true},
                     {"id": 1, "content": "[SEP]", "special": true}],
    "normalizer": {"type": "BertNormalizer", "lowercase": true},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 1],
                       "cls": ["[CLS]", 0]},
    "decoder": {"type": "WordPiece"},
    "model": {"type": "WordPiece", "unk_token": "[UNK]",
              "vocab": {"[CLS]": 0, "[SEP]": 1, "[UNK]": 2, "cafe": 3,
                        "play": 4, "##ing": 5, "!": 6}}})");
  ASSERT_TRUE(tokenizer);
  Expected<std::vector<int32_t>> ids = tokenizer->encode("Café PLAYING! zzz");
  ASSERT_TRUE(ids);
  EXPECT_THAT(*ids, ElementsAre(0, 3, 4, 5, 6, 2, 1));
  EXPECT_EQ(tokenizer->decode(*ids), "cafe playing! [UNK]");
}

TEST(TokenizerTest, ByteFallbackAndMetaspace) {
  auto tokenizer = load(R"({
    "normalizer": {"type": "Sequence", "normalizers": [
      {"type": "Prepend", "prepend": "▁"},
      {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
    "decoder": {"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"},
      {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
              "vocab": {"<unk>": 0, "▁": 1, "a": 2, "▁a": 3, "<0xC3>": 4,
                        "<0xA9>": 5},
              "merges": [["▁", "a"]]}})");
  ASSERT_TRUE(tokenizer);
  Expected<std::vector<int32_t>> ids = tokenizer->encode("a é");
  ASSERT_TRUE(ids);
  EXPECT_THAT(*ids, ElementsAre(3, 1, 4, 5));
  EXPECT_EQ(tokenizer->decode(*ids), "a é");
}

TEST(TokenizerTest, MalformedFilesNameTheProblem) {
  EXPECT_THAT(loadError("{"), HasSubstr("test.json: not a valid "
                                        "tokenizer.json"));
  EXPECT_THAT(loadError("{}"), HasSubstr("test.json: model: missing"));
  EXPECT_THAT(loadError(R"({"model": {"type": "Unigram", "vocab": {}}})"),
              HasSubstr("model: unsupported type 'Unigram' (Loom reads BPE, "
                        "WordPiece and WordLevel)"));
  EXPECT_THAT(loadError(R"({"model": {"type": "BPE", "vocab": {"a": 0},
                            "merges": ["a b"]}})"),
              HasSubstr("model.merges: merge 1 ('a b') names a token that "
                        "is not in the vocabulary"));
  EXPECT_THAT(loadError(R"({"model": {"type": "BPE", "vocab": {"a": 0},
                            "merges": [7]}})"),
              HasSubstr("model.merges[0]: expected \"a b\""));
  EXPECT_THAT(loadError(R"({"model": {"type": "BPE", "vocab": {"a": "x"},
                            "merges": []}})"),
              HasSubstr("model.vocab: token 'a' has no valid id"));
  EXPECT_THAT(loadError(R"({"model": {"type": "WordPiece",
                            "vocab": {"a": 0}}})"),
              HasSubstr("unknown token '[UNK]' is not in its vocabulary"));
  EXPECT_THAT(loadError(byteLevelJson(R"(, "normalizer":
                            {"type": "Precompiled"})")),
              HasSubstr("normalizer: unsupported type 'Precompiled'"));
  EXPECT_THAT(loadError(byteLevelJson(R"(, "decoder":
                            {"type": "Sequence", "decoders": [{"type": 3}]})")),
              HasSubstr("decoder.decoders[0].type: expected a string"));
  EXPECT_THAT(
      loadError(byteLevelJson(R"(, "pre_tokenizer": {"type": "Split",
                  "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"})")),
      HasSubstr("pre_tokenizer.pattern: the pattern '(unclosed' is not a "
                "valid regular expression"));
  EXPECT_THAT(
      loadError(byteLevelJson(R"(, "pre_tokenizer": {"type": "Split",
                  "pattern": {"String": " "}, "behavior": "Sideways"})")),
      HasSubstr("pre_tokenizer.behavior: unknown split behavior 'Sideways'"));
  EXPECT_THAT(loadError(byteLevelJson(R"(, "added_tokens": [{"id": 3}])")),
              HasSubstr("added_tokens[0]: needs a non-empty \"content\""));
}

TEST(TokenizerTest, MissingFilesAreErrors) {
  Expected<std::unique_ptr<Tokenizer>> missing =
      loadTokenizer("/nonexistent/tokenizer.json");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.getError(), HasSubstr("/nonexistent/tokenizer.json: "
                                            "cannot open"));
  Expected<std::unique_ptr<Tokenizer>> none =
      findTokenizer({"/nonexistent/model.safetensors"});
  ASSERT_FALSE(none);
  EXPECT_THAT(none.getError(), HasSubstr("no tokenizer found (looked for "
                                         "/nonexistent/tokenizer.json"));
}

} // namespace
