//===- Diagnostics.h - Diagnostics of the Loom front end --------*- C++ -*-===//
//
// Every error, warning and note of the front end goes through a
// DiagnosticEngine. By default diagnostics are printed with
// llvm::SourceMgr::PrintMessage (file:line:col, the source line and a caret);
// the driver may install its own handler, e.g. to forward them to MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DSL_DIAGNOSTICS_H
#define LOOM_DSL_DIAGNOSTICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <functional>
#include <string>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace loom::dsl {

/// One reported diagnostic.
struct Diagnostic {
  enum class Severity { Error, Warning, Note };
  Severity severity;
  /// Where the diagnostic points; may be invalid (e.g. command-line errors).
  llvm::SMLoc loc;
  /// Source ranges to underline.
  llvm::SmallVector<llvm::SMRange, 1> ranges;
  std::string message;
};

/// Collects and dispatches the diagnostics of the front end.
class DiagnosticEngine {
public:
  using Handler = std::function<void(const Diagnostic &)>;

  /// Creates an engine whose default handler prints through `srcMgr`.
  explicit DiagnosticEngine(llvm::SourceMgr &srcMgr);

  /// Replaces the handler that receives every diagnostic.
  void setHandler(Handler handler);

  /// Reports an error at `loc`.
  void error(llvm::SMLoc loc, const llvm::Twine &msg,
             llvm::ArrayRef<llvm::SMRange> ranges = {});
  /// Reports a warning at `loc`.
  void warning(llvm::SMLoc loc, const llvm::Twine &msg,
               llvm::ArrayRef<llvm::SMRange> ranges = {});
  /// Reports a note at `loc`, attached to the preceding error or warning.
  void note(llvm::SMLoc loc, const llvm::Twine &msg,
            llvm::ArrayRef<llvm::SMRange> ranges = {});

  /// Number of errors reported so far.
  unsigned getNumErrors() const { return numErrors; }
  /// True if any error was reported.
  bool hadError() const { return numErrors != 0; }

  llvm::SourceMgr &getSourceMgr() { return srcMgr; }

private:
  void report(Diagnostic::Severity severity, llvm::SMLoc loc,
              const llvm::Twine &msg, llvm::ArrayRef<llvm::SMRange> ranges);

  llvm::SourceMgr &srcMgr;
  Handler handler;
  unsigned numErrors = 0;
};

} // namespace loom::dsl

#endif // LOOM_DSL_DIAGNOSTICS_H
