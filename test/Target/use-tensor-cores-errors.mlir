// RUN: not loom-opt %s --loom-use-tensor-cores="warps-m=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not loom-opt %s --loom-use-tensor-cores="warps-m=8 warps-n=8" 2>&1 | FileCheck %s --check-prefix=MANY
// RUN: not loom-opt %s --loom-use-tensor-cores="tile-m=24" 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not loom-opt %s --loom-use-tensor-cores="tile-m=80" 2>&1 | FileCheck %s --check-prefix=ROWS80
// RUN: not loom-opt %s --loom-use-tensor-cores="tile-n=12" 2>&1 | FileCheck %s --check-prefix=COLUMNS
// RUN: not loom-opt %s --loom-use-tensor-cores="tile-n=0" 2>&1 | FileCheck %s --check-prefix=COLUMNS0
// RUN: not loom-opt %s --loom-use-tensor-cores="warps-m=4 warps-n=4 tile-m=64 tile-n=64" 2>&1 | FileCheck %s --check-prefix=REGISTERS

// Bad options: a message, no crash.
// ZERO: error: warps-m and warps-n must be at least 1, with warps-m x warps-n at most 32 (1024 threads), got 0 x 2
// MANY: error: warps-m and warps-n must be at least 1, with warps-m x warps-n at most 32 (1024 threads), got 8 x 8
// ROWS: error: tile-m must be 16, 32, 48 or 64 (rows a warp computes), got 24
// ROWS80: error: tile-m must be 16, 32, 48 or 64 (rows a warp computes), got 80
// COLUMNS: error: tile-n must be a multiple of 8 in [8, 64] (columns a warp computes), got 12
// COLUMNS0: error: tile-n must be a multiple of 8 in [8, 64] (columns a warp computes), got 0
// REGISTERS: error: a block's outputs (warps-m x tile-m x warps-n x tile-n = 65536) must be at most 32768, half of a multiprocessor's registers

func.func @f() {
  return
}
