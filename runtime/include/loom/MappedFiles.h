//===- MappedFiles.h - Faults in mapped checkpoint files --------*- C++ -*-===//
//
// Checkpoints are mapped, not read: a file that shrinks while it is mapped
// (rewritten or truncated by another process) turns reads of its lost pages
// into SIGBUS. A program reports that as what it is, naming the file, and
// exits with status 1 rather than crashing; a library leaves its host's
// signals alone.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_MAPPEDFILES_H
#define LOOM_MAPPEDFILES_H

#include <cstddef>
#include <string>

namespace loom {

/// Records that [address, address + size) maps the file `path`, for the
/// fault handler's message (up to 256 mappings at a time; later ones are
/// not named).
void registerMapping(const void *address, size_t size, const std::string &path);

/// Forgets the mapping at `address`.
void unregisterMapping(const void *address);

/// Makes a bus error inside a registered mapping print
/// "error: FILE changed while it was mapped ..." and exit with status 1.
/// Other bus errors keep their default action.
void installMappedFileFaultHandler();

} // namespace loom

#endif // LOOM_MAPPEDFILES_H
