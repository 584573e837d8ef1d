// RUN: not loom-opt %s --loom-stream-attention="rows=-1" 2>&1 | FileCheck %s

// A bad option: a message, no crash.
// CHECK: error: rows must be at least 0, got -1

func.func @f() {
  return
}
