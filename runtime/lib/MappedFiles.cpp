//===- MappedFiles.cpp - Faults in mapped checkpoint files ----------------===//
//
// The registry is a fixed table of atomics so that the signal handler reads
// it without locks or allocation (async-signal-safe).
//
//===----------------------------------------------------------------------===//

#include "loom/MappedFiles.h"

#include <atomic>
#include <csignal>
#include <cstring>

#include <unistd.h>

using namespace loom;

namespace {

constexpr size_t kSlots = 256;
constexpr size_t kPathBytes = 512;

struct Slot {
  /// Null while the slot is free or being filled.
  std::atomic<const char *> base{nullptr};
  size_t size = 0;
  char path[kPathBytes] = {};
};

Slot slots[kSlots];

/// Writes `text` to standard error (async-signal-safe).
void say(const char *text) {
  size_t length = std::strlen(text);
  while (length > 0) {
    ssize_t written = ::write(STDERR_FILENO, text, length);
    if (written <= 0)
      return;
    text += written;
    length -= size_t(written);
  }
}

void onBusError(int signal, siginfo_t *info, void *) {
  const char *address = static_cast<const char *>(info->si_addr);
  for (Slot &slot : slots) {
    const char *base = slot.base.load(std::memory_order_acquire);
    if (!base || address < base || address >= base + slot.size)
      continue;
    say("error: ");
    say(slot.path);
    say(" changed while it was mapped: it is shorter than when it was "
        "opened (rewritten or truncated by another process?); run again "
        "with the file left as it is\n");
    ::_exit(1);
  }
  // Not a checkpoint's page: the default action.
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

} // namespace

void loom::registerMapping(const void *address, size_t size,
                           const std::string &path) {
  for (Slot &slot : slots) {
    const char *expected = nullptr;
    // Claim a free slot with a sentinel, fill it, then publish the base.
    static const char claimed = 0;
    if (!slot.base.compare_exchange_strong(expected, &claimed))
      continue;
    slot.size = 0;
    std::strncpy(slot.path, path.c_str(), kPathBytes - 1);
    slot.path[kPathBytes - 1] = '\0';
    slot.size = size;
    slot.base.store(static_cast<const char *>(address),
                    std::memory_order_release);
    return;
  }
}

void loom::unregisterMapping(const void *address) {
  for (Slot &slot : slots) {
    const char *base = static_cast<const char *>(address);
    if (slot.base.compare_exchange_strong(base, nullptr))
      return;
  }
}

void loom::installMappedFileFaultHandler() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_sigaction = onBusError;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, nullptr);
}
