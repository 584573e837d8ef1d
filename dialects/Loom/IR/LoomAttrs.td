//===- LoomAttrs.td - loom attributes ----------------------*- tablegen -*-===//

#ifndef LOOM_DIALECT_LOOM_IR_LOOMATTRS_TD
#define LOOM_DIALECT_LOOM_IR_LOOMATTRS_TD

include "dialects/Loom/IR/LoomDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Loom_ActivationKind : I32Enum<"ActivationKind",
    "pointwise activation function", [
  I32EnumCase<"Relu", 0, "relu">,
  I32EnumCase<"Gelu", 1, "gelu">,
  I32EnumCase<"GeluTanh", 2, "gelu_tanh">,
  I32EnumCase<"Silu", 3, "silu">
]> {
  let cppNamespace = "::loom";
}

/// `#loom.activation<silu>`. Inside ops the bare keyword is written
/// (`loom.activation silu %x`).
def Loom_ActivationAttr : EnumAttr<Loom_Dialect, Loom_ActivationKind,
                                   "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // LOOM_DIALECT_LOOM_IR_LOOMATTRS_TD
