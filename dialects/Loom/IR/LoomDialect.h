//===- LoomDialect.h - The loom dialect -------------------------*- C++ -*-===//
//
// Declares the `loom` dialect, its enums and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_IR_LOOMDIALECT_H
#define LOOM_DIALECT_LOOM_IR_LOOMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Loom/IR/LoomDialect.h.inc"
#include "dialects/Loom/IR/LoomEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Loom/IR/LoomAttrs.h.inc"

#endif // LOOM_DIALECT_LOOM_IR_LOOMDIALECT_H
