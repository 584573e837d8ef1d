//===- ThreadPool.h - A fixed pool for parallel loops -----------*- C++ -*-===//
//
// `parallelFor` splits [begin, end) into chunks of at least `grain` indices
// and runs them on the pool's workers and on the calling thread, returning
// when all are done. Idle workers sleep on a condition variable (they never
// spin), so an idle pool costs nothing to other processes on the machine.
// A `parallelFor` called from inside a chunk runs serially on that thread.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_THREADPOOL_H
#define LOOM_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace loom {

/// The number of threads to use: `requested` if it is positive, else the
/// `LOOM_NUM_THREADS` environment variable if it is a positive integer, else
/// the number of hardware threads (at least 1). Capped at 1024.
unsigned resolveThreadCount(int64_t requested = 0);

/// A fixed set of worker threads running parallel loops.
class ThreadPool {
public:
  /// A pool of `resolveThreadCount(numThreads)` threads, the caller included
  /// (so 1 means no workers: loops run inline).
  explicit ThreadPool(int64_t numThreads = 0);
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;
  /// Wakes and joins the workers.
  ~ThreadPool();

  /// The number of threads that run a loop, the caller included.
  unsigned getNumThreads() const {
    return static_cast<unsigned>(workers.size()) + 1;
  }

  /// Calls `fn(chunkBegin, chunkEnd)` on disjoint chunks covering
  /// [begin, end), each of at least `grain` indices (but the last), and
  /// returns when all calls have returned. `fn` must not throw.
  template <typename Fn>
  void parallelFor(int64_t begin, int64_t end, int64_t grain, Fn &&fn) {
    run(
        begin, end, grain,
        [](void *context, int64_t chunkBegin, int64_t chunkEnd) {
          (*static_cast<std::remove_reference_t<Fn> *>(context))(chunkBegin,
                                                                 chunkEnd);
        },
        &fn);
  }

  /// A chunk of a loop: `fn(context, chunkBegin, chunkEnd)`.
  using ChunkFn = void (*)(void *context, int64_t begin, int64_t end);

  /// `parallelFor` with the chunk function as a plain function pointer (for
  /// callers that are not C++, such as generated code).
  void run(int64_t begin, int64_t end, int64_t grain, ChunkFn fn,
           void *context);

private:
  void workerLoop();
  /// Runs chunks of the current job until none are left.
  void drainChunks();

  std::vector<std::thread> workers;
  /// Serializes `parallelFor` calls from different threads.
  std::mutex submitMutex;
  /// Guards the job fields and `generation`/`stopping`.
  std::mutex mutex;
  std::condition_variable wakeWorkers;
  std::condition_variable jobDone;
  uint64_t generation = 0;
  bool stopping = false;
  /// `generation` for lock-free polling: idle workers watch it for a few
  /// microseconds before sleeping, so that back-to-back jobs (one per layer
  /// in a decode step) do not each pay a futex wake-up.
  std::atomic<uint64_t> publishedGeneration{0};

  // The current job.
  ChunkFn jobFn = nullptr;
  void *jobContext = nullptr;
  int64_t jobBegin = 0;
  int64_t jobEnd = 0;
  int64_t jobChunk = 1;
  int64_t jobChunks = 0;
  /// The next chunk to hand out.
  std::atomic<int64_t> nextChunk{0};
  /// Chunks finished; guarded by `mutex` for the final wake-up.
  std::atomic<int64_t> doneChunks{0};
  /// Workers currently inside the job (the job's fields must outlive them).
  int activeWorkers = 0;
};

} // namespace loom

#endif // LOOM_THREADPOOL_H
