// RUN: not loom-opt %s --loom-split-reductions="ways=24" 2>&1 | FileCheck %s --check-prefix=WAYS
// RUN: not loom-opt %s --loom-split-reductions="ways=2048" 2>&1 | FileCheck %s --check-prefix=BIG
// RUN: not loom-opt %s --loom-split-reductions="rows=0" 2>&1 | FileCheck %s --check-prefix=ROWS

// Bad options: a message, no crash.
// WAYS: error: ways must be a power of two in [2, 1024], got 24
// BIG: error: ways must be a power of two in [2, 1024], got 2048
// ROWS: error: rows must be at least 1, got 0

func.func @f() {
  return
}
