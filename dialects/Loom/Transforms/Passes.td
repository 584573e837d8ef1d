//===- Passes.td - loom architecture passes ----------------*- tablegen -*-===//

#ifndef LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_TD
#define LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomInferShapes : Pass<"loom-infer-shapes", "::mlir::ModuleOp"> {
  let summary = "Recompute result types from operand types";
  let description = [{
    Brings the IR's types back in line with its operands after a pass changed
    a weight or when the producer declared less precise types:

    * `loom.weight` results take the type of their `loom.param`;
    * ops implementing `InferTypeOpInterface` get their inferred result types
      (a declared type that is compatible and more precise is kept);
    * `loom.loop` body arguments and results follow the loop's inits;
    * `func.call` results follow the callee's signature, private functions'
      argument types follow their (agreeing) call sites, and every function's
      result types follow its `func.return`.

    Runs to a fixed point over the module. Call sites of a private function
    that disagree on an argument type are an error (specialize first).
  }];
}

def LoomUnrollLoops : Pass<"loom-unroll-loops"> {
  let summary = "Replace each loom.loop by trip_count copies of its body";
  let description = [{
    Every `loom.loop` becomes `trip_count` consecutive copies of its body, the
    iteration index replaced by an `arith.constant` and the loop-carried values
    threaded from one copy to the next. Numerics are unchanged. Nested loops
    are unrolled inside out.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // LOOM_DIALECT_LOOM_TRANSFORMS_PASSES_TD
