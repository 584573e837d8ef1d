//===- TokenizerApiTest.cpp - The tokenizer in the C API ------------------===//

#include "loom/loom_model.h"

#include <gmock/gmock.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

class TokenizerApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    directory = std::filesystem::temp_directory_path() /
                ("loom-tokenizer-api-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    std::ofstream(directory + "/tokenizer.json") << R"({
      "added_tokens": [{"id": 5, "content": "<s>", "special": true}],
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                   {"Sequence": {"id": "A", "type_id": 0}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [5],
                                   "tokens": ["<s>"]}}},
      "decoder": {"type": "ByteLevel"},
      "model": {"type": "BPE", "vocab": {"h": 0, "i": 1, "Ġ": 2, "hi": 3,
                                         "Ġhi": 4},
                "merges": ["h i", "Ġ hi"]}})";
  }
  void TearDown() override { std::filesystem::remove_all(directory); }
  std::string directory;
};

TEST_F(TokenizerApiTest, EncodesAndDecodes) {
  loom_tokenizer *tokenizer = loom_tokenizer_open(directory.c_str());
  ASSERT_NE(tokenizer, nullptr) << loom_last_error();
  EXPECT_EQ(loom_tokenizer_vocab_size(tokenizer), 6);
  const char *text = "hi hi";
  int32_t ids[8];
  EXPECT_EQ(
      loom_tokenizer_encode(tokenizer, text, int64_t(strlen(text)), 1, ids, 8),
      3);
  EXPECT_THAT(std::vector<int32_t>(ids, ids + 3), ElementsAre(5, 3, 4));
  // Too small a buffer: the count, and as many ids as fit.
  int32_t one[1];
  EXPECT_EQ(loom_tokenizer_encode(tokenizer, text, 5, 0, one, 1), 2);
  EXPECT_EQ(one[0], 3);
  char out[16];
  EXPECT_EQ(loom_tokenizer_decode(tokenizer, ids, 3, 1, out, sizeof out), 5);
  EXPECT_STREQ(out, "hi hi");
  EXPECT_EQ(loom_tokenizer_decode(tokenizer, ids, 3, 0, out, sizeof out), 8);
  EXPECT_STREQ(out, "<s>hi hi");
  char small[4];
  EXPECT_EQ(loom_tokenizer_decode(tokenizer, ids, 3, 1, small, 4), 5);
  EXPECT_EQ(std::string(small, 4), "hi h");
  loom_tokenizer_close(tokenizer);
}

TEST_F(TokenizerApiTest, ErrorsAndNulls) {
  EXPECT_EQ(loom_tokenizer_open(nullptr), nullptr);
  EXPECT_THAT(loom_last_error(), HasSubstr("null path"));
  EXPECT_EQ(loom_tokenizer_open("/nonexistent/dir"), nullptr);
  EXPECT_THAT(loom_last_error(), HasSubstr("/nonexistent/dir"));
  loom_tokenizer_close(nullptr);
  EXPECT_EQ(loom_tokenizer_vocab_size(nullptr), 0);
  int32_t ids[4];
  EXPECT_EQ(loom_tokenizer_encode(nullptr, "hi", 2, 1, ids, 4), -1);
  EXPECT_THAT(loom_last_error(), HasSubstr("loom_tokenizer_encode"));
  loom_tokenizer *tokenizer = loom_tokenizer_open(directory.c_str());
  ASSERT_NE(tokenizer, nullptr) << loom_last_error();
  EXPECT_EQ(loom_tokenizer_encode(tokenizer, nullptr, 2, 1, ids, 4), -1);
  EXPECT_EQ(loom_tokenizer_encode(tokenizer, "hx", 2, 1, ids, 4), -1);
  EXPECT_THAT(loom_last_error(), HasSubstr("cannot encode 'x'"));
  EXPECT_EQ(loom_tokenizer_decode(tokenizer, nullptr, 1, 1, nullptr, 0), -1);
  // Counting only: no buffers.
  EXPECT_EQ(loom_tokenizer_encode(tokenizer, "hi", 2, 0, nullptr, 0), 1);
  int32_t hi = 3;
  EXPECT_EQ(loom_tokenizer_decode(tokenizer, &hi, 1, 1, nullptr, 0), 2);
  loom_tokenizer_close(tokenizer);
}

} // namespace
