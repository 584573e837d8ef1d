//===- LoomDialect.td - The loom dialect -------------------*- tablegen -*-===//
//
// The `loom` dialect describes transformer architectures at the level a paper
// draws them: embeddings, norms, attention, MLPs, residual adds, stacks and
// weight-shared loops. Model parameters are module-level symbols, so passes
// that rewrite weights (fuse, prune, quantize, loop) say so in the IR.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECT_LOOM_IR_LOOMDIALECT_TD
#define LOOM_DIALECT_LOOM_IR_LOOMDIALECT_TD

include "mlir/IR/OpBase.td"

def Loom_Dialect : Dialect {
  let name = "loom";
  let cppNamespace = "::loom";
  let summary = "Architecture-level IR for transformer models";
  let description = [{
    Activations are `tensor<?xDxf32>` (dynamic sequence, batch 1), token ids
    are `tensor<?xi32>`, weights are ranked static tensors. A model parameter
    is a `loom.param` symbol bound to a checkpoint tensor and read with
    `loom.weight`; blocks are private functions taking their weights as
    arguments.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
  private:
    void registerAttributes();
  public:
  }];
}

/// Base class of every loom op.
class Loom_Op<string mnemonic, list<Trait> traits = []>
    : Op<Loom_Dialect, mnemonic, traits>;

#endif // LOOM_DIALECT_LOOM_IR_LOOMDIALECT_TD
