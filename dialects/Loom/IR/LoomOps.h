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
/// NumPy's broadcast of two shapes (trailing dimensions aligned; a missing
/// or unit dimension stretches; a dynamic one agrees with anything), or
/// failure if they do not broadcast.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);
} // namespace detail

namespace OpTrait {
/// Marks ops that compute each row of their result from the same row of
/// their sequence operands (`Loom_RowWise` in LoomOps.td).
template <typename ConcreteType>
class RowWise : public mlir::OpTrait::TraitBase<ConcreteType, RowWise> {};
} // namespace OpTrait
} // namespace loom

#define GET_OP_CLASSES
#include "dialects/Loom/IR/LoomOps.h.inc"

#endif // LOOM_DIALECT_LOOM_IR_LOOMOPS_H
