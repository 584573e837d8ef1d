//===- DSLTestUtils.h - Helpers of the front-end unit tests -----*- C++ -*-===//

#ifndef LOOM_TEST_UNIT_DSL_DSLTESTUTILS_H
#define LOOM_TEST_UNIT_DSL_DSLTESTUTILS_H

#include "dsl/Diagnostics.h"
#include "dsl/Elab.h"
#include "dsl/Parser.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace loom::dsl::test {

/// The root of the source tree, derived from this file's path.
inline std::string sourceRoot() {
  llvm::SmallString<256> path(__FILE__);
  for (int i = 0; i < 4; ++i)
    llvm::sys::path::remove_filename(path);
  return std::string(path);
}

/// A path under examples/.
inline std::string examplePath(llvm::StringRef name) {
  llvm::SmallString<256> path(sourceRoot());
  llvm::sys::path::append(path, "examples", name);
  return std::string(path);
}

/// Source manager, diagnostics recorded as "line:col: kind: message".
struct Harness {
  llvm::SourceMgr srcMgr;
  DiagnosticEngine diags{srcMgr};
  std::vector<std::string> messages;

  Harness() {
    diags.setHandler([this](const Diagnostic &d) {
      std::string text;
      llvm::raw_string_ostream os(text);
      if (d.loc.isValid()) {
        auto [line, col] = srcMgr.getLineAndColumn(d.loc);
        os << line << ":" << col << ": ";
      }
      os << (d.severity == Diagnostic::Severity::Error     ? "error: "
             : d.severity == Diagnostic::Severity::Warning ? "warning: "
                                                           : "note: ")
         << d.message;
      messages.push_back(text);
    });
  }

  /// Adds `source` as a buffer named `name`; returns its id.
  unsigned add(llvm::StringRef source, llvm::StringRef name = "test.loom") {
    return srcMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(source, name), llvm::SMLoc());
  }
  /// Adds the file at `path`; returns its id (0 if unreadable).
  unsigned addFile(llvm::StringRef path) {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer)
      return 0;
    return srcMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  }
  std::unique_ptr<File> parse(llvm::StringRef source) {
    return parseFile(srcMgr, add(source), diags);
  }
  std::unique_ptr<Model> elab(llvm::StringRef source,
                              const ElabOptions &options = {}) {
    return elaborate(srcMgr, add(source), options, diags);
  }
  /// All messages, one per line.
  std::string all() const {
    std::string text;
    for (const std::string &m : messages)
      text += m + "\n";
    return text;
  }
  /// True if some message contains `needle`.
  bool has(llvm::StringRef needle) const {
    for (const std::string &m : messages)
      if (llvm::StringRef(m).contains(needle))
        return true;
    return false;
  }
};

} // namespace loom::dsl::test

#endif // LOOM_TEST_UNIT_DSL_DSLTESTUTILS_H
