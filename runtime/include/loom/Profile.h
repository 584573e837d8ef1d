//===- Profile.h - Where a model's time goes, by kernel ---------*- C++ -*-===//
//
// With the environment variable LOOM_PROFILE set (to anything but 0), the
// runtime adds up the wall time of every forward call and of every kernel
// generated code calls (by shape), and the program prints the totals for
// the prompt and for decoding: the forward time not spent in a kernel is
// the generated code's own (norms, RoPE, residuals, activations). It also
// counts the buffers generated code takes from the system in the phase's
// first forward call and in the later ones (decoding should take none after
// its first token). Off, a scope costs one branch.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_PROFILE_H
#define LOOM_PROFILE_H

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace loom {

/// What a timed scope counts as.
enum class ProfileEntry {
  Forward,   ///< a whole forward call
  Gemm,      ///< a linear layer over more than a few rows (compute bound)
  Gemv,      ///< a linear layer over a few rows (bandwidth bound)
  Attention, ///< attention over the KV cache
  Count
};

/// A kernel call's problem size, for the per-shape lines: M, N, K of a
/// linear layer; tokens, heads and head size of attention.
using ProfileShape = std::array<int64_t, 3>;

/// Buffers of generated code taken from the system so far, not reused from
/// the runtime's cache of freed buffers (Allocator.cpp).
int64_t getSystemAllocationCount();

/// True when LOOM_PROFILE asks for a profile.
bool isProfiling();

/// Adds one call of `seconds` doing `work` units (FLOPs or bytes) to `entry`
/// and to its `shape` line.
void addProfileSample(ProfileEntry entry, double seconds, double work,
                      ProfileShape shape);

/// Prints the totals under `title` to `stream` (nothing if no forward call
/// was timed).
void printProfile(std::FILE *stream, const char *title);

/// Forgets the totals.
void resetProfile();

/// Times its own lifetime into `entry` when profiling.
class ProfileScope {
public:
  explicit ProfileScope(ProfileEntry entry, double work = 0.0,
                        ProfileShape shape = {0, 0, 0})
      : entry(entry), work(work), shape(shape), enabled(isProfiling()) {
    if (enabled)
      start = std::chrono::steady_clock::now();
  }
  ~ProfileScope() {
    if (!enabled)
      return;
    std::chrono::duration<double> elapsed =
        std::chrono::steady_clock::now() - start;
    addProfileSample(entry, elapsed.count(), work, shape);
  }
  ProfileScope(const ProfileScope &) = delete;
  ProfileScope &operator=(const ProfileScope &) = delete;

private:
  ProfileEntry entry;
  double work;
  ProfileShape shape;
  bool enabled;
  std::chrono::steady_clock::time_point start;
};

} // namespace loom

#endif // LOOM_PROFILE_H
