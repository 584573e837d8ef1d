//===- FuzzInput.h - Fuzz inputs as files -----------------------*- C++ -*-===//
//
// The checkpoint readers map files: a fuzz input is written to an anonymous
// in-memory file (memfd) and opened by its /proc path, so the code under test
// runs exactly as on a file on disk.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TEST_FUZZ_FUZZINPUT_H
#define LOOM_TEST_FUZZ_FUZZINPUT_H

#include <cstdint>
#include <cstdlib>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace loom::fuzz {

/// An in-memory file holding the input; closed when destroyed.
class MemoryFile {
public:
  MemoryFile(const uint8_t *data, size_t size) {
    fd = ::memfd_create("loom-fuzz", MFD_CLOEXEC);
    if (fd < 0)
      std::abort();
    for (size_t written = 0; written < size;) {
      ssize_t n = ::write(fd, data + written, size - written);
      if (n <= 0)
        std::abort();
      written += size_t(n);
    }
  }
  ~MemoryFile() { ::close(fd); }
  MemoryFile(const MemoryFile &) = delete;
  MemoryFile &operator=(const MemoryFile &) = delete;

  /// A path that opens the file.
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }

private:
  int fd = -1;
};

} // namespace loom::fuzz

#endif // LOOM_TEST_FUZZ_FUZZINPUT_H
