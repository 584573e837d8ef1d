//===- MappedFilesTest.cpp - A checkpoint that shrinks while mapped -------===//

#include "loom/MappedFiles.h"
#include "loom/Safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

using namespace loom;

namespace {

/// Writes a safetensors file with one F32 tensor `w` of `count` elements;
/// returns the header's size in bytes (with its length prefix).
size_t writeCheckpoint(const std::string &path, size_t count) {
  std::string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[" +
                       std::to_string(count) + "],\"data_offsets\":[0," +
                       std::to_string(count * 4) + "]}}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  uint64_t length = header.size();
  out.write(reinterpret_cast<const char *>(&length), 8);
  out << header;
  std::string data(count * 4, '\1');
  out << data;
  return 8 + header.size();
}

/// Reads every byte of tensor `w` of the checkpoint at `path` after cutting
/// the file back to `keep` bytes.
void readAfterTruncating(const std::string &path, size_t keep) {
  installMappedFileFaultHandler();
  Expected<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  if (!file)
    std::_Exit(2);
  if (::truncate(path.c_str(), off_t(keep)) != 0)
    std::_Exit(3);
  const TensorInfo *tensor = (*file)->find("w");
  volatile unsigned char sum = 0;
  for (uint64_t i = 0; i < tensor->byteSize; ++i)
    sum = sum + static_cast<const unsigned char *>(tensor->data)[i];
  std::_Exit(0);
}

TEST(MappedFilesTest, ShrunkCheckpointIsAnErrorNamingTheFile) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::string path = ::testing::TempDir() + "loom-shrunk.safetensors";
  size_t header = writeCheckpoint(path, 1 << 16);
  EXPECT_EXIT(readAfterTruncating(path, header), ::testing::ExitedWithCode(1),
              "error: .*loom-shrunk.safetensors changed while it was "
              "mapped: it is shorter than when it was opened");
  std::remove(path.c_str());
}

TEST(MappedFilesTest, OtherBusErrorsKeepTheirDefault) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // A bus error outside any checkpoint: the process dies of SIGBUS.
  EXPECT_EXIT(
      {
        installMappedFileFaultHandler();
        std::raise(SIGBUS);
      },
      ::testing::KilledBySignal(SIGBUS), "");
}

TEST(MappedFilesTest, UnregisteredMappingsAreForgotten) {
  // Slots are reused: more mappings over time than the table holds.
  for (int i = 0; i < 1000; ++i) {
    int token = i;
    registerMapping(&token, sizeof(token), "x");
    unregisterMapping(&token);
  }
  SUCCEED();
}

} // namespace
