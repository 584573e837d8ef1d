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

def Loom_QuantFormat : I32Enum<"QuantFormat",
    "block-quantized weight format (byte layouts in loom_abi.h)", [
  I32EnumCase<"Q8_0", 0, "q8_0">,
  I32EnumCase<"Q4_0", 1, "q4_0">,
  I32EnumCase<"Q4_1", 2, "q4_1">,
  I32EnumCase<"Q4_K", 3, "q4_k">,
  I32EnumCase<"INT8", 4, "int8">
]> {
  let cppNamespace = "::loom";
}

/// `#loom.quant<q8_0>`: how a quantized weight's bytes encode it. A [n, k]
/// matrix in format F is a `tensor<n x R x i8>`, R the bytes of a row of k
/// weights (`getQuantRowBytes`); the ids are LOOM_QUANT_* of loom_abi.h.
/// Inside ops the bare keyword is written (`format q8_0`).
def Loom_QuantFormatAttr : EnumAttr<Loom_Dialect, Loom_QuantFormat, "quant"> {
  let assemblyFormat = "`<` $value `>`";
}

def Loom_QuantInputs : I32Enum<"QuantInputs",
    "how a quantized product rounds its f32 inputs", [
  I32EnumCase<"Int8", 0, "int8">,
  I32EnumCase<"Int8x2", 1, "int8x2">,
  I32EnumCase<"BF16", 2, "bf16">
]> {
  let cppNamespace = "::loom";
}

/// `#loom.inputs<bf16>`: what a product with a quantized weight does with
/// its inputs: `int8` rounds them to 8 bits per block of 32 (llama.cpp's
/// Q8 activations, the default), `int8x2` to 8 bits and their rounding
/// error to 8 more (about 15 bits, two integer products), `bf16` to
/// bfloat16 (8 significant bits per value; the weights' integers are exact
/// in bfloat16, so the product is exact but for the inputs' rounding). The
/// ids are LOOM_QUANT_INPUTS_* of loom_abi.h. Inside ops the bare keyword
/// is written (`inputs bf16`).
def Loom_QuantInputsAttr : EnumAttr<Loom_Dialect, Loom_QuantInputs,
                                    "inputs"> {
  let assemblyFormat = "`<` $value `>`";
}

def Loom_ExitRule : I32Enum<"ExitRule",
    "when a token leaves an adaptive loop early", [
  I32EnumCase<"Gate", 0, "gate">,
  I32EnumCase<"Converge", 1, "converge">
]> {
  let cppNamespace = "::loom";
}

/// `#loom.exit<gate>`: the rule of an adaptive `loom.loop`. Inside the op
/// the bare keyword is written (`exit gate threshold = 0.5`).
def Loom_ExitRuleAttr : EnumAttr<Loom_Dialect, Loom_ExitRule, "exit"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // LOOM_DIALECT_LOOM_IR_LOOMATTRS_TD
