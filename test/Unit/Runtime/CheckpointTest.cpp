//===- CheckpointTest.cpp - Single-file and sharded checkpoints -----------===//

#include "loom/Checkpoint.h"

#include "TestUtil.h"

#include <gmock/gmock.h>

using namespace loom;
using namespace loom::test;
using ::testing::HasSubstr;

namespace {

class CheckpointTest : public TempDirTest {
protected:
  /// Writes two shards and an index mapping `a`, `b` to the first and `c` to
  /// the second.
  void
  writeSharded(const std::string &indexName = "model.safetensors.index.json") {
    writeSafetensors(path("model-00001-of-00002.safetensors"),
                     {iotaTensor("a", {2}), iotaTensor("b", {3})});
    writeSafetensors(path("model-00002-of-00002.safetensors"),
                     {iotaTensor("c", {4})});
    std::ofstream(path(indexName)) << R"({
      "metadata": {"total_size": 36},
      "weight_map": {"a": "model-00001-of-00002.safetensors",
                     "b": "model-00001-of-00002.safetensors",
                     "c": "model-00002-of-00002.safetensors"}})";
  }
  std::string openError(const std::string &file) {
    auto result = Checkpoint::open(file);
    EXPECT_FALSE(result);
    return result ? std::string() : result.getError();
  }
};

TEST_F(CheckpointTest, SingleFile) {
  writeSafetensors(path("model.safetensors"), {iotaTensor("w", {2})});
  auto result = Checkpoint::open(path("model.safetensors"));
  ASSERT_TRUE(result) << result.getError();
  EXPECT_NE((*result)->find("w"), nullptr);
  EXPECT_EQ((*result)->getFiles().size(), 1u);
  EXPECT_EQ((*result)->describe(), path("model.safetensors"));
  EXPECT_EQ((*result)->getTensorNames(), std::vector<std::string>{"w"});
}

TEST_F(CheckpointTest, SeveralFilesAsOne) {
  writeSafetensors(path("model.safetensors"), {iotaTensor("w", {2})});
  writeSafetensors(path("stats.safetensors"),
                   {iotaTensor("w.importance", {2})});
  auto checkpoint = Checkpoint::open(std::vector<std::string>{
      path("model.safetensors"), path("stats.safetensors")});
  ASSERT_TRUE(checkpoint) << checkpoint.getError();
  EXPECT_NE((*checkpoint)->find("w"), nullptr);
  EXPECT_NE((*checkpoint)->find("w.importance"), nullptr);
  EXPECT_EQ((*checkpoint)->getFiles().size(), 2u);
  EXPECT_THAT((*checkpoint)->describe(), HasSubstr("model.safetensors + "));
  // The same name twice is refused, naming both files.
  auto twice = Checkpoint::open(std::vector<std::string>{
      path("model.safetensors"), path("model.safetensors")});
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.getError(), HasSubstr("tensor 'w' is in both"));
}

TEST_F(CheckpointTest, DirectoryWithSingleFile) {
  writeSafetensors(path("model.safetensors"), {iotaTensor("w", {2})});
  auto result = Checkpoint::open(dir);
  ASSERT_TRUE(result) << result.getError();
  EXPECT_NE((*result)->find("w"), nullptr);
}

TEST_F(CheckpointTest, DirectoryWithOneOtherlyNamedFile) {
  writeSafetensors(path("weights.safetensors"), {iotaTensor("w", {2})});
  auto result = Checkpoint::open(dir);
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ((*result)->getPath(), path("weights.safetensors"));
}

TEST_F(CheckpointTest, ShardedByIndexAndByDirectory) {
  writeSharded();
  for (const std::string &where :
       {path("model.safetensors.index.json"), dir, dir + "/"}) {
    auto result = Checkpoint::open(where);
    ASSERT_TRUE(result) << result.getError();
    const Checkpoint &checkpoint = **result;
    EXPECT_EQ(checkpoint.getFiles().size(), 2u);
    EXPECT_EQ(checkpoint.getTensorNames(),
              (std::vector<std::string>{"a", "b", "c"}));
    const TensorInfo *c = checkpoint.find("c");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->shape, std::vector<int64_t>{4});
    EXPECT_THAT(c->file->getPath(),
                HasSubstr("model-00002-of-00002.safetensors"));
    EXPECT_THAT(checkpoint.describe(),
                HasSubstr("model.safetensors.index.json (2 shards)"));
  }
}

TEST_F(CheckpointTest, OtherIndexNameInDirectory) {
  writeSharded("pytorch_model.safetensors.index.json");
  auto result = Checkpoint::open(dir);
  ASSERT_TRUE(result) << result.getError();
  EXPECT_EQ((*result)->getFiles().size(), 2u);
}

TEST_F(CheckpointTest, EmptyDirectory) {
  EXPECT_THAT(openError(dir),
              HasSubstr(": directory has no model.safetensors or "
                        "model.safetensors.index.json"));
}

TEST_F(CheckpointTest, AmbiguousDirectory) {
  writeSafetensors(path("a.safetensors"), {iotaTensor("w", {2})});
  writeSafetensors(path("b.safetensors"), {iotaTensor("w", {2})});
  EXPECT_THAT(openError(dir), HasSubstr("several candidates"));
}

TEST_F(CheckpointTest, MissingShard) {
  writeSharded();
  std::filesystem::remove(path("model-00002-of-00002.safetensors"));
  EXPECT_THAT(openError(path("model.safetensors.index.json")),
              HasSubstr("model-00002-of-00002.safetensors: cannot open: No "
                        "such file or directory (shard listed in"));
}

TEST_F(CheckpointTest, CorruptShardNamesTheShard) {
  writeSharded();
  writeRawFile(path("model-00002-of-00002.safetensors"), "{", {});
  EXPECT_THAT(openError(path("model.safetensors.index.json")),
              HasSubstr("model-00002-of-00002.safetensors: header is not "
                        "valid JSON"));
}

TEST_F(CheckpointTest, IndexNamesTensorAbsentFromShard) {
  writeSharded();
  std::ofstream(path("model.safetensors.index.json"), std::ios::trunc)
      << R"({"weight_map": {"zz": "model-00002-of-00002.safetensors"}})";
  EXPECT_THAT(openError(path("model.safetensors.index.json")),
              HasSubstr("weight_map maps tensor 'zz' to "
                        "model-00002-of-00002.safetensors, but that file has "
                        "no such tensor"));
}

TEST_F(CheckpointTest, MalformedIndex) {
  std::string index = path("model.safetensors.index.json");
  std::ofstream(index) << "{oops";
  EXPECT_THAT(openError(index), HasSubstr("index is not a valid JSON object"));
  std::ofstream(index, std::ios::trunc) << R"({"metadata": {}})";
  EXPECT_THAT(openError(index), HasSubstr("index has no 'weight_map' object"));
  std::ofstream(index, std::ios::trunc) << R"({"weight_map": {"a": 1}})";
  EXPECT_THAT(openError(index),
              HasSubstr("weight_map entry for tensor 'a' is not a file name"));
  std::ofstream(index, std::ios::trunc)
      << R"({"weight_map": {"a": "../x.safetensors"}})";
  EXPECT_THAT(openError(index), HasSubstr("not a file name relative to the"));
  EXPECT_THAT(openError(path("absent.index.json")), HasSubstr("cannot open"));
}

} // namespace
