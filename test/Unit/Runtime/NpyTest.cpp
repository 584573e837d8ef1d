//===- NpyTest.cpp - Writing .npy files -----------------------------------===//

#include "loom/Npy.h"

#include "TestUtil.h"

#include <gmock/gmock.h>

#include <fstream>
#include <iterator>

using namespace loom;
using namespace loom::test;
using ::testing::HasSubstr;

namespace {

class NpyTest : public TempDirTest {};

std::string readAll(const std::string &file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

TEST_F(NpyTest, HeaderFormat) {
  std::string header = npyHeader({2, 3});
  EXPECT_EQ(header.size() % 64, 0u);
  EXPECT_EQ(header.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(header[6], '\x01');
  EXPECT_EQ(header[7], '\x00');
  size_t length = static_cast<unsigned char>(header[8]) |
                  (static_cast<unsigned char>(header[9]) << 8);
  EXPECT_EQ(length + 10, header.size());
  EXPECT_EQ(header.back(), '\n');
  EXPECT_THAT(header, HasSubstr("{'descr': '<f4', 'fortran_order': False, "
                                "'shape': (2, 3), }"));
  EXPECT_THAT(npyHeader({5}), HasSubstr("'shape': (5,), }"));
  EXPECT_THAT(npyHeader({}), HasSubstr("'shape': (), }"));
}

TEST_F(NpyTest, WritesData) {
  std::string file = path("out.npy");
  std::vector<float> values = {1.5f, -2.0f, 3.25f, 0.0f, 5.0f, 6.0f};
  ASSERT_TRUE(writeNpy(file, values.data(), {1, 2, 3}));
  std::string bytes = readAll(file);
  std::string header = npyHeader({1, 2, 3});
  ASSERT_EQ(bytes.size(), header.size() + 24);
  EXPECT_EQ(bytes.substr(0, header.size()), header);
  float last;
  std::memcpy(&last, bytes.data() + header.size() + 20, 4);
  EXPECT_EQ(last, 6.0f);
}

TEST_F(NpyTest, Errors) {
  float value = 0;
  Status status = writeNpy(path("no/such/dir/out.npy"), &value, {1});
  ASSERT_FALSE(status);
  EXPECT_THAT(status.getError(), HasSubstr("out.npy: cannot open for writing"));
  status = writeNpy(path("bad.npy"), &value, {-1});
  ASSERT_FALSE(status);
  EXPECT_THAT(status.getError(),
              HasSubstr("cannot write an array of shape [-1]"));
}

TEST_F(NpyTest, ReadsWhatItWrites) {
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(writeNpy(path("a.npy"), values.data(), {2, 3}));
  Expected<NpyArray> read = readNpy(path("a.npy"));
  ASSERT_TRUE(read) << read.getError();
  EXPECT_EQ(read->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(read->data, values);
  ASSERT_TRUE(writeNpy(path("v.npy"), values.data(), {6}));
  read = readNpy(path("v.npy"));
  ASSERT_TRUE(read) << read.getError();
  EXPECT_EQ(read->shape, (std::vector<int64_t>{6}));
}

TEST_F(NpyTest, ReadErrorsNameTheFile) {
  auto write = [&](const std::string &name, const std::string &bytes) {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  };
  auto error = [](const std::string &file) {
    Expected<NpyArray> read = readNpy(file);
    return read ? std::string("no error") : read.getError();
  };
  EXPECT_THAT(error(path("missing.npy")),
              HasSubstr("missing.npy: cannot open"));
  EXPECT_THAT(error(write("text.npy", "hello world")),
              HasSubstr("text.npy: not a float32 .npy array: no .npy magic"));
  std::string header = npyHeader({2, 3});
  EXPECT_THAT(error(write("short.npy", header + std::string(20, '\0'))),
              HasSubstr("short.npy: not a float32 .npy array: shape [2, 3] "
                        "needs 24 bytes of data, the file has 20"));
  EXPECT_THAT(error(write("cut.npy", header.substr(0, 30))),
              HasSubstr("truncated header"));
  std::string doubles = header;
  doubles.replace(doubles.find("<f4"), 3, "<f8");
  EXPECT_THAT(error(write("f8.npy", doubles + std::string(48, '\0'))),
              HasSubstr("its elements are not little-endian float32"));
  std::string fortran = header;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_THAT(error(write("f.npy", fortran + std::string(24, '\0'))),
              HasSubstr("it is in Fortran order"));
}

} // namespace
