//===- LoomDialect.cpp - The loom dialect ---------------------------------===//
//
// Registers the loom ops and attributes, and lets the inliner move loom ops
// (blocks are private functions that get inlined into loops and stacks).
//
//===----------------------------------------------------------------------===//

#include "dialects/Loom/IR/LoomDialect.h"
#include "dialects/Loom/IR/LoomOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace loom;

#include "dialects/Loom/IR/LoomDialect.cpp.inc"
#include "dialects/Loom/IR/LoomEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Loom/IR/LoomAttrs.cpp.inc"

namespace {
/// Every loom op is pure or structured; all of them may be inlined, and calls
/// may be inlined into `loom.loop` bodies.
struct LoomInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;

  bool isLegalToInline(Operation *, Operation *, bool) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void LoomDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Loom/IR/LoomOps.cpp.inc"
      >();
  registerAttributes();
  addInterfaces<LoomInlinerInterface>();
}

void LoomDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Loom/IR/LoomAttrs.cpp.inc"
      >();
}
