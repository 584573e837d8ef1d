//===- DiagnosticBridge.cpp - Front-end diagnostics into MLIR -------------===//

#include "compiler/Driver/DiagnosticBridge.h"

#include "compiler/MLIRGen/Locations.h"
#include "dsl/Diagnostics.h"

#include "mlir/IR/MLIRContext.h"

using namespace mlir;
using namespace loom;

DiagnosticBridge::DiagnosticBridge(MLIRContext *ctx,
                                   dsl::DiagnosticEngine &diags)
    : ctx(ctx), diags(diags) {
  diags.setHandler([this](const dsl::Diagnostic &diag) { handle(diag); });
}

DiagnosticBridge::~DiagnosticBridge() { flush(); }

void DiagnosticBridge::flush() {
  if (!pending)
    return;
  pending->report();
  pending.reset();
}

void DiagnosticBridge::handle(const dsl::Diagnostic &diag) {
  Location loc = toLocation(ctx, diags.getSourceMgr(), diag.loc);
  using Severity = dsl::Diagnostic::Severity;
  if (diag.severity == Severity::Note) {
    if (pending) {
      pending->attachNote(loc) << diag.message;
      return;
    }
    // A note with nothing to attach to stands on its own as a remark.
    ctx->getDiagEngine().emit(loc, DiagnosticSeverity::Remark) << diag.message;
    return;
  }
  flush();
  DiagnosticSeverity severity = diag.severity == Severity::Error
                                    ? DiagnosticSeverity::Error
                                    : DiagnosticSeverity::Warning;
  pending.emplace(ctx->getDiagEngine().emit(loc, severity));
  *pending << diag.message;
}
