// RUN: loom-opt %s --loom-lower-parallel-calls --split-input-file --verify-diagnostics

// A body outlined from a parallel loop takes its range (begin, end) and
// the model context first; anything else is refused, not miscompiled.

// expected-error @+1 {{parallel loop body without a range and a model context}}
llvm.func @body(%begin: i64, %end: i64) attributes {loom.parallel_grain = 4 : i64} {
  llvm.return
}

// -----

// expected-error @+1 {{parallel loop body without a range and a model context}}
llvm.func @body(%begin: i64, %end: i64, %context: i64) attributes {loom.parallel_grain = 4 : i64} {
  llvm.return
}

// -----

// expected-error @+1 {{'loom.parallel_grain' must be a positive integer}}
llvm.func @body(%begin: i64, %end: i64, %context: !llvm.ptr) attributes {loom.parallel_grain = "many"} {
  llvm.return
}

// -----

// expected-error @+1 {{'loom.parallel_grain' must be a positive integer}}
llvm.func @body(%begin: i64, %end: i64, %context: !llvm.ptr) attributes {loom.parallel_grain = 0 : i64} {
  llvm.return
}
