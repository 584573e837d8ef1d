//===- Diagnostics.cpp - Diagnostics of the Loom front end ----------------===//

#include "dsl/Diagnostics.h"

#include "llvm/Support/SourceMgr.h"

using namespace loom::dsl;

DiagnosticEngine::DiagnosticEngine(llvm::SourceMgr &srcMgr) : srcMgr(srcMgr) {
  handler = [this](const Diagnostic &diag) {
    llvm::SourceMgr::DiagKind kind = llvm::SourceMgr::DK_Error;
    if (diag.severity == Diagnostic::Severity::Warning)
      kind = llvm::SourceMgr::DK_Warning;
    else if (diag.severity == Diagnostic::Severity::Note)
      kind = llvm::SourceMgr::DK_Note;
    this->srcMgr.PrintMessage(diag.loc, kind, diag.message, diag.ranges);
  };
}

void DiagnosticEngine::setHandler(Handler newHandler) {
  handler = std::move(newHandler);
}

void DiagnosticEngine::report(Diagnostic::Severity severity, llvm::SMLoc loc,
                              const llvm::Twine &msg,
                              llvm::ArrayRef<llvm::SMRange> ranges) {
  if (severity == Diagnostic::Severity::Error)
    ++numErrors;
  Diagnostic diag{severity, loc, {}, msg.str()};
  for (llvm::SMRange range : ranges)
    if (range.isValid())
      diag.ranges.push_back(range);
  if (handler)
    handler(diag);
}

void DiagnosticEngine::error(llvm::SMLoc loc, const llvm::Twine &msg,
                             llvm::ArrayRef<llvm::SMRange> ranges) {
  report(Diagnostic::Severity::Error, loc, msg, ranges);
}

void DiagnosticEngine::warning(llvm::SMLoc loc, const llvm::Twine &msg,
                               llvm::ArrayRef<llvm::SMRange> ranges) {
  report(Diagnostic::Severity::Warning, loc, msg, ranges);
}

void DiagnosticEngine::note(llvm::SMLoc loc, const llvm::Twine &msg,
                            llvm::ArrayRef<llvm::SMRange> ranges) {
  report(Diagnostic::Severity::Note, loc, msg, ranges);
}
