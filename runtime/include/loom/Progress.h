//===- Progress.h - Progress of long work on a terminal ---------*- C++ -*-===//
//
// Loading and packing a large checkpoint, a calibration run or writing
// weights report how far they are on one line of stderr, redrawn in place:
//
//   loading weights: 45% (123 of 272 tensors)
//
// Only on a terminal: when stderr is a file or a pipe (tests, logs) nothing
// is written. `LOOM_PROGRESS=0` turns it off, `LOOM_PROGRESS=1` on. Work that
// ends within a third of a second draws nothing.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_PROGRESS_H
#define LOOM_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace loom {

/// One line of progress for `total` units of work.
class Progress {
public:
  Progress(std::string label, int64_t total, std::string unit);
  ~Progress();
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  /// `done` units of the total are finished.
  void update(int64_t done);
  /// Clears the line (also done by the destructor).
  void finish();

  /// Whether progress is shown at all (a terminal, or LOOM_PROGRESS=1).
  static bool enabled();

private:
  std::string label, unit;
  int64_t total;
  bool active;
  bool drawn = false;
  std::chrono::steady_clock::time_point start, lastDraw;
};

} // namespace loom

#endif // LOOM_PROGRESS_H
