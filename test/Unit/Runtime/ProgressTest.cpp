//===- ProgressTest.cpp - Progress lines on a terminal only ---------------===//

#include "loom/Progress.h"

#include <gmock/gmock.h>

#include <chrono>
#include <cstdlib>
#include <thread>

using namespace loom;
using ::testing::HasSubstr;

namespace {

TEST(ProgressTest, SilentUnlessEnabled) {
  ::setenv("LOOM_PROGRESS", "0", 1);
  EXPECT_FALSE(Progress::enabled());
  testing::internal::CaptureStderr();
  {
    Progress progress("loading weights", 10, "tensors");
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    progress.update(5);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ::unsetenv("LOOM_PROGRESS");
}

TEST(ProgressTest, DrawsAfterAThirdOfASecondAndClears) {
  ::setenv("LOOM_PROGRESS", "1", 1);
  EXPECT_TRUE(Progress::enabled());
  testing::internal::CaptureStderr();
  {
    Progress progress("loading weights", 272, "tensors");
    progress.update(1); // Too soon: nothing.
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    progress.update(123);
  }
  std::string written = testing::internal::GetCapturedStderr();
  EXPECT_THAT(written, HasSubstr("\r\033[Kloading weights: 45% (123 of 272 "
                                 "tensors)"));
  EXPECT_EQ(written.substr(written.size() - 4), "\r\033[K");
  EXPECT_EQ(written.find("(1 of 272"), std::string::npos);
  ::unsetenv("LOOM_PROGRESS");
}

} // namespace
