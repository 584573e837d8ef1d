//===- ThreadPool.cpp - A fixed pool for parallel loops -------------------===//

#include "loom/ThreadPool.h"

#include "loom/Support.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace loom {

static constexpr unsigned maxThreads = 1024;

/// True on a thread that is running a chunk (a worker, or a caller inside
/// its own loop): nested loops then run inline instead of deadlocking.
static thread_local bool insideChunk = false;

unsigned resolveThreadCount(int64_t requested) {
  if (requested > 0)
    return static_cast<unsigned>(std::min<int64_t>(requested, maxThreads));
  if (const char *env = std::getenv("LOOM_NUM_THREADS")) {
    std::optional<int64_t> value = parseInt(env);
    if (value && *value > 0)
      return static_cast<unsigned>(std::min<int64_t>(*value, maxThreads));
  }
  unsigned hardware = std::thread::hardware_concurrency();
  return std::clamp(hardware, 1u, maxThreads);
}

ThreadPool::ThreadPool(int64_t numThreads) {
  unsigned count = resolveThreadCount(numThreads);
  workers.reserve(count - 1);
  for (unsigned i = 1; i < count; ++i)
    workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wakeWorkers.notify_all();
  for (std::thread &worker : workers)
    worker.join();
}

void ThreadPool::drainChunks() {
  bool wasInside = insideChunk;
  insideChunk = true;
  int64_t finished = 0;
  for (;;) {
    int64_t chunk = nextChunk.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= jobChunks)
      break;
    int64_t chunkBegin = jobBegin + chunk * jobChunk;
    int64_t chunkEnd = std::min(jobEnd, chunkBegin + jobChunk);
    jobFn(jobContext, chunkBegin, chunkEnd);
    ++finished;
  }
  insideChunk = wasInside;
  if (finished &&
      doneChunks.fetch_add(finished, std::memory_order_acq_rel) + finished ==
          jobChunks) {
    std::lock_guard<std::mutex> lock(mutex);
    jobDone.notify_all();
  }
}

/// How long a thread polls before it blocks: long enough to bridge the gap
/// between consecutive jobs of one model step (a prompt's serial stretches
/// between kernels take up to a few hundred microseconds; polling 300 us
/// instead of 50 gained about 2.5% on a 512-token prompt), short enough not
/// to hold a core another process could use.
static constexpr std::chrono::microseconds kSpin(300);

/// Polls `done` for at most kSpin.
template <typename Predicate> static bool spinUntil(Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + kSpin;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
  return true;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    if (!stopping && generation == seen) {
      lock.unlock();
      spinUntil([&] {
        return publishedGeneration.load(std::memory_order_acquire) != seen;
      });
      lock.lock();
    }
    wakeWorkers.wait(lock, [&] { return stopping || generation != seen; });
    if (stopping)
      return;
    seen = generation;
    ++activeWorkers;
    lock.unlock();
    drainChunks();
    lock.lock();
    if (--activeWorkers == 0)
      jobDone.notify_all();
  }
}

void ThreadPool::run(int64_t begin, int64_t end, int64_t grain, ChunkFn fn,
                     void *context) {
  if (end <= begin)
    return;
  int64_t total = end - begin;
  grain = std::max<int64_t>(grain, 1);
  if (workers.empty() || insideChunk || total <= grain) {
    bool wasInside = insideChunk;
    insideChunk = true;
    fn(context, begin, end);
    insideChunk = wasInside;
    return;
  }
  // Several chunks per thread balance uneven chunks; never below `grain`.
  int64_t threads = static_cast<int64_t>(getNumThreads());
  int64_t chunk = std::max(grain, (total + 4 * threads - 1) / (4 * threads));

  std::lock_guard<std::mutex> submitLock(submitMutex);
  {
    std::unique_lock<std::mutex> lock(mutex);
    // Workers from the previous job may still be leaving `drainChunks`.
    jobDone.wait(lock, [&] { return activeWorkers == 0; });
    jobFn = fn;
    jobContext = context;
    jobBegin = begin;
    jobEnd = end;
    jobChunk = chunk;
    jobChunks = (total + chunk - 1) / chunk;
    nextChunk.store(0, std::memory_order_relaxed);
    doneChunks.store(0, std::memory_order_relaxed);
    ++generation;
    publishedGeneration.store(generation, std::memory_order_release);
  }
  wakeWorkers.notify_all();
  drainChunks();
  spinUntil(
      [&] { return doneChunks.load(std::memory_order_acquire) == jobChunks; });
  std::unique_lock<std::mutex> lock(mutex);
  // Workers still on their way out of `drainChunks` touch only the chunk
  // counters; the next `run` waits for them before changing the job.
  jobDone.wait(lock, [&] {
    return doneChunks.load(std::memory_order_acquire) == jobChunks;
  });
}

} // namespace loom
