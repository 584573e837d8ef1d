//===- ThreadPoolTest.cpp - Parallel loops --------------------------------===//

#include "loom/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>

using namespace loom;

namespace {

/// Runs a loop over [begin, end) and checks every index is visited once and
/// every chunk respects the grain.
void checkCoverage(ThreadPool &pool, int64_t begin, int64_t end,
                   int64_t grain) {
  size_t count = end > begin ? static_cast<size_t>(end - begin) : 0;
  std::unique_ptr<std::atomic<int>[]> visits(new std::atomic<int>[count + 1]);
  for (size_t i = 0; i <= count; ++i)
    visits[i] = 0;
  std::atomic<int> shortChunks{0};
  pool.parallelFor(begin, end, grain,
                   [&](int64_t chunkBegin, int64_t chunkEnd) {
                     ASSERT_LE(begin, chunkBegin);
                     ASSERT_LT(chunkBegin, chunkEnd);
                     ASSERT_LE(chunkEnd, end);
                     if (chunkEnd - chunkBegin < grain)
                       ++shortChunks;
                     for (int64_t i = chunkBegin; i < chunkEnd; ++i)
                       ++visits[static_cast<size_t>(i - begin)];
                   });
  for (size_t i = 0; i < count; ++i)
    ASSERT_EQ(visits[i].load(), 1)
        << "index " << begin + int64_t(i) << " of [" << begin << ", " << end
        << ") grain " << grain;
  EXPECT_LE(shortChunks.load(), 1); // Only the last chunk may be short.
}

TEST(ThreadPoolTest, CoversEveryIndexOnce) {
  for (int64_t threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.getNumThreads(), unsigned(threads));
    for (int64_t size : {0, 1, 2, 3, 7, 16, 63, 64, 65, 100, 1000, 4097})
      for (int64_t grain : {0, 1, 3, 16, 1000})
        checkCoverage(pool, 0, size, grain);
    checkCoverage(pool, -50, 50, 7);
    checkCoverage(pool, 1000, 1001, 1);
    checkCoverage(pool, 10, 5, 1); // Empty range: no calls.
  }
}

TEST(ThreadPoolTest, ManyLoopsInARow) {
  ThreadPool pool(4);
  std::atomic<int64_t> sum{0};
  for (int round = 0; round < 2000; ++round)
    pool.parallelFor(0, 100, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        sum += i;
    });
  EXPECT_EQ(sum.load(), 2000 * 4950);
}

TEST(ThreadPoolTest, UsesSeveralThreads) {
  ThreadPool pool(4);
  std::atomic<int> inside{0}, maxInside{0};
  pool.parallelFor(0, 64, 1, [&](int64_t, int64_t) {
    int now = ++inside;
    int seen = maxInside.load();
    while (now > seen && !maxInside.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --inside;
  });
  EXPECT_GT(maxInside.load(), 1);
}

TEST(ThreadPoolTest, NestedLoopsRunInline) {
  ThreadPool pool(3);
  std::atomic<int> total{0};
  pool.parallelFor(0, 10, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      pool.parallelFor(0, 10, 1, [&](int64_t ib, int64_t ie) {
        total += static_cast<int>(ie - ib);
      });
  });
  EXPECT_EQ(total.load(), 100);
}

TEST(ThreadPoolTest, LoopsFromSeveralCallers) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round)
        pool.parallelFor(0, 50, 2,
                         [&](int64_t b, int64_t e) { total += e - b; });
    });
  for (std::thread &caller : callers)
    caller.join();
  EXPECT_EQ(total.load(), 3 * 200 * 50);
}

TEST(ThreadPoolTest, ThreadCountResolution) {
  EXPECT_EQ(resolveThreadCount(3), 3u);
  EXPECT_EQ(resolveThreadCount(100000), 1024u);
  const char *saved = std::getenv("LOOM_NUM_THREADS");
  std::string savedValue = saved ? saved : "";
  ::setenv("LOOM_NUM_THREADS", "5", 1);
  EXPECT_EQ(resolveThreadCount(0), 5u);
  EXPECT_EQ(resolveThreadCount(2), 2u); // Explicit wins.
  {
    ThreadPool pool;
    EXPECT_EQ(pool.getNumThreads(), 5u);
  }
  unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  for (const char *bad : {"0", "-2", "many", ""}) {
    ::setenv("LOOM_NUM_THREADS", bad, 1);
    EXPECT_EQ(resolveThreadCount(0), hardware) << bad;
  }
  if (saved)
    ::setenv("LOOM_NUM_THREADS", savedValue.c_str(), 1);
  else
    ::unsetenv("LOOM_NUM_THREADS");
}

} // namespace
