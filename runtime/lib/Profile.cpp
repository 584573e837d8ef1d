//===- Profile.cpp - Where a model's time goes, by kernel -----------------===//

#include "loom/Profile.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace loom {

namespace {

struct Totals {
  double seconds = 0.0;
  double work = 0.0;
  int64_t calls = 0;

  void add(double callSeconds, double callWork) {
    seconds += callSeconds;
    work += callWork;
    ++calls;
  }
};

struct Profile {
  std::mutex mutex;
  Totals entries[size_t(ProfileEntry::Count)];
  std::map<std::pair<ProfileEntry, ProfileShape>, Totals> shapes;
  /// System allocations at the end of the last forward call (or reset), in
  /// the first forward call, and in the later ones.
  int64_t allocationsSeen = 0, firstCallAllocations = 0,
          laterCallAllocations = 0;
};

Profile &getProfile() {
  static Profile *profile = new Profile; // outlives static destructors
  return *profile;
}

/// How an entry is named and what its rate measures.
struct EntryStyle {
  ProfileEntry entry;
  const char *name, *rate;
};
constexpr EntryStyle kStyles[] = {
    {ProfileEntry::Gemm, "linear (GEMM)", "GFLOP/s"},
    {ProfileEntry::Gemv, "linear (GEMV)", "GB/s of weights"},
    {ProfileEntry::Attention, "attention", "GFLOP/s"},
};

} // namespace

bool isProfiling() {
  static const bool enabled = [] {
    const char *value = std::getenv("LOOM_PROFILE");
    return value && *value && std::strcmp(value, "0") != 0;
  }();
  return enabled;
}

void addProfileSample(ProfileEntry entry, double seconds, double work,
                      ProfileShape shape) {
  Profile &profile = getProfile();
  std::lock_guard<std::mutex> lock(profile.mutex);
  Totals &totals = profile.entries[size_t(entry)];
  totals.add(seconds, work);
  if (entry != ProfileEntry::Forward) {
    profile.shapes[{entry, shape}].add(seconds, work);
    return;
  }
  int64_t allocations = getSystemAllocationCount();
  (totals.calls == 1 ? profile.firstCallAllocations
                     : profile.laterCallAllocations) +=
      allocations - profile.allocationsSeen;
  profile.allocationsSeen = allocations;
}

void resetProfile() {
  Profile &profile = getProfile();
  std::lock_guard<std::mutex> lock(profile.mutex);
  for (Totals &totals : profile.entries)
    totals = Totals();
  profile.shapes.clear();
  profile.allocationsSeen = getSystemAllocationCount();
  profile.firstCallAllocations = profile.laterCallAllocations = 0;
}

void printProfile(std::FILE *stream, const char *title) {
  Profile &profile = getProfile();
  std::lock_guard<std::mutex> lock(profile.mutex);
  const Totals &forward = profile.entries[size_t(ProfileEntry::Forward)];
  if (!forward.calls)
    return;
  auto share = [&](double seconds) {
    return forward.seconds > 0 ? 100.0 * seconds / forward.seconds : 0.0;
  };
  auto rate = [](const Totals &totals) {
    return totals.seconds > 0 ? totals.work / totals.seconds * 1e-9 : 0.0;
  };
  std::fprintf(stream, "profile of %s: %lld forward calls, %.3f s\n", title,
               (long long)forward.calls, forward.seconds);
  double kernels = 0.0;
  for (const EntryStyle &style : kStyles) {
    const Totals &totals = profile.entries[size_t(style.entry)];
    kernels += totals.seconds;
    if (!totals.calls)
      continue;
    std::fprintf(stream, "  %-22s %8.3f s %5.1f%% %7lld calls %7.1f %s\n",
                 style.name, totals.seconds, share(totals.seconds),
                 (long long)totals.calls, rate(totals), style.rate);
    // Its shapes, slowest first.
    std::vector<std::pair<ProfileShape, Totals>> lines;
    for (const auto &[key, shapeTotals] : profile.shapes)
      if (key.first == style.entry)
        lines.push_back({key.second, shapeTotals});
    std::sort(lines.begin(), lines.end(), [](const auto &a, const auto &b) {
      return a.second.seconds > b.second.seconds;
    });
    for (const auto &[shape, shapeTotals] : lines) {
      char name[64];
      std::snprintf(name, sizeof(name), "%lldx%lldx%lld", (long long)shape[0],
                    (long long)shape[1], (long long)shape[2]);
      std::fprintf(stream, "    %-20s %8.3f s %5.1f%% %7lld calls %7.1f\n",
                   name, shapeTotals.seconds, share(shapeTotals.seconds),
                   (long long)shapeTotals.calls, rate(shapeTotals));
    }
  }
  double rest = std::max(0.0, forward.seconds - kernels);
  std::fprintf(stream, "  %-22s %8.3f s %5.1f%%\n", "generated code", rest,
               share(rest));
  if (forward.calls == 1) {
    std::fprintf(stream, "  buffers from the system: %lld\n",
                 (long long)profile.firstCallAllocations);
    return;
  }
  std::fprintf(stream,
               "  buffers from the system: %lld in the first call, %lld in "
               "the %lld after it\n",
               (long long)profile.firstCallAllocations,
               (long long)profile.laterCallAllocations,
               (long long)(forward.calls - 1));
}

} // namespace loom
