//===- LoomOps.h - loom operations ------------------------------*- C++ -*-===//
//
// Declares the operations of the `loom` dialect (see LoomOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_IR_LOOMOPS_H
#define LOOM_DIALECT_LOOM_IR_LOOMOPS_H

#include "dialects/Loom/IR/LoomDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace loom {
namespace detail {
/// True when `lhs` and `rhs` pair up as types with equal element types and
/// compatible shapes (equal rank; each dimension equal or dynamic on one
/// side). Lets a declared result type be less precise than the inferred one.
bool areCompatibleReturnTypes(mlir::TypeRange lhs, mlir::TypeRange rhs);
} // namespace detail
} // namespace loom

#define GET_OP_CLASSES
#include "dialects/Loom/IR/LoomOps.h.inc"

#endif // LOOM_DIALECT_LOOM_IR_LOOMOPS_H
