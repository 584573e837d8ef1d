//===- Progress.cpp - Progress of long work on a terminal -----------------===//

#include "loom/Progress.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace loom {

bool Progress::enabled() {
  if (const char *setting = std::getenv("LOOM_PROGRESS"))
    return std::strcmp(setting, "0") != 0;
  return isatty(STDERR_FILENO) == 1;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label(std::move(label)), unit(std::move(unit)), total(total),
      active(enabled() && total > 0), start(std::chrono::steady_clock::now()),
      lastDraw(start) {}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done) {
  if (!active)
    return;
  auto now = std::chrono::steady_clock::now();
  // Nothing for short work, then at most ten redraws a second.
  if (now - start < std::chrono::milliseconds(330) ||
      (drawn && now - lastDraw < std::chrono::milliseconds(100) &&
       done < total))
    return;
  lastDraw = now;
  drawn = true;
  int percent = int(100 * std::min(done, total) / total);
  fmt::print(stderr, "\r\033[K{}: {}% ({} of {} {})", label, percent, done,
             total, unit);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!drawn)
    return;
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn = false;
}

} // namespace loom
