//===- DiagnosticBridge.h - Front-end diagnostics into MLIR -----*- C++ -*-===//
//
// Forwards the diagnostics of the (MLIR-free) front end into MLIR's
// diagnostic engine, so that one set of handlers prints them with
// file:line:col and a caret, or checks them under `--verify-diagnostics`.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_DRIVER_DIAGNOSTICBRIDGE_H
#define LOOM_COMPILER_DRIVER_DIAGNOSTICBRIDGE_H

#include "mlir/IR/Diagnostics.h"

#include <optional>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace loom {
namespace dsl {
class DiagnosticEngine;
struct Diagnostic;
} // namespace dsl

/// Installs itself as the handler of a front-end `DiagnosticEngine` and
/// re-emits each diagnostic in `ctx`. Notes attach to the diagnostic before
/// them. Pending diagnostics are reported on `flush()` or destruction.
class DiagnosticBridge {
public:
  DiagnosticBridge(mlir::MLIRContext *ctx, dsl::DiagnosticEngine &diags);
  ~DiagnosticBridge();

  /// Reports the diagnostic still waiting for notes, if any.
  void flush();

private:
  void handle(const dsl::Diagnostic &diag);

  mlir::MLIRContext *ctx;
  dsl::DiagnosticEngine &diags;
  /// The last error or warning, kept open so that notes can attach to it.
  std::optional<mlir::InFlightDiagnostic> pending;
};

} // namespace loom

#endif // LOOM_COMPILER_DRIVER_DIAGNOSTICBRIDGE_H
