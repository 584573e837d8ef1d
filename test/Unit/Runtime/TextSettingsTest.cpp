//===- TextSettingsTest.cpp - A checkpoint directory's text settings ------===//

#include "loom/TextSettings.h"

#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace loom;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

class TextSettingsTest : public ::testing::Test {
protected:
  void SetUp() override {
    directory = std::filesystem::temp_directory_path() /
                ("loom-text-settings-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory + "/1_Pooling");
    write("tokenizer.json", R"({"added_tokens": [], "pre_tokenizer":
      {"type": "Whitespace"}, "model": {"type": "WordLevel", "vocab":
      {"a": 0, "</s>": 1, "<unk>": 2}, "unk_token": "<unk>"}})");
  }
  void TearDown() override { std::filesystem::remove_all(directory); }

  void write(const std::string &name, const std::string &text) {
    std::ofstream(directory + "/" + name) << text;
  }

  std::string directory;
};

TEST_F(TextSettingsTest, ReadsTheDirectorysFiles) {
  write("config.json", R"({"eos_token_id": [1, 0]})");
  write("tokenizer_config.json",
        R"({"chat_template": [{"name": "tool", "template": "T"},
                              {"name": "default", "template": "D"}]})");
  write("1_Pooling/config.json", R"({"pooling_mode_cls_token": true})");
  write("modules.json", R"([{"type": "sentence_transformers.Normalize"}])");
  Expected<TextSettings> settings = loadTextSettings({directory}, "");
  ASSERT_TRUE(bool(settings)) << settings.getError();
  EXPECT_THAT(settings->eosIds, ElementsAre(1, 0));
  EXPECT_EQ(settings->chatTemplate, "D");
  EXPECT_EQ(settings->pooling, Pooling::Cls);
  EXPECT_TRUE(settings->normalize);
}

// Fields of the wrong JSON type are ignored or rejected, never thrown out
// of the library (a fuzzer found the throws).
TEST_F(TextSettingsTest, FieldsOfTheWrongTypeAreNotThrown) {
  write("tokenizer_config.json",
        R"({"chat_template": [{"name": 3, "template": "T"}],
            "eos_token": {"content": 7}})");
  write("modules.json", R"([{"type": 3}, {"type": null}])");
  write("1_Pooling/config.json", R"({"pooling_mode_mean_tokens": "yes"})");
  Expected<TextSettings> settings = loadTextSettings({directory}, "");
  ASSERT_FALSE(bool(settings));
  EXPECT_THAT(settings.getError(),
              HasSubstr("pools by mean or by the CLS token"));

  write("1_Pooling/config.json", R"({"pooling_mode_mean_tokens": 1,
                                     "pooling_mode_cls_token": true})");
  settings = loadTextSettings({directory}, "");
  ASSERT_TRUE(bool(settings)) << settings.getError();
  EXPECT_EQ(settings->pooling, Pooling::Cls);
  EXPECT_TRUE(settings->chatTemplate.empty());
  EXPECT_TRUE(settings->eosIds.empty());
  EXPECT_FALSE(settings->normalize);
}

} // namespace
