//===- loom-opt.cpp - The loom optimizer driver ---------------------------===//
//
// MlirOptMain with the loom dialect and passes, the upstream dialects a Loom
// pipeline produces (func, arith, tensor, linalg, scf) and MLIR's core
// transforms (canonicalize, cse, inline, symbol-dce, ...).
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomDialect.h"
#include "dialects/Loom/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<loom::LoomDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
  // Interface implementations promised by upstream dialects (the func
  // inliner interface among them).
  mlir::registerAllExtensions(registry);

  mlir::registerTransformsPasses();
  loom::registerLoomPasses();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Loom optimizer driver\n", registry));
}
