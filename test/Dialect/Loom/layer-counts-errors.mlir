// Errors of per-layer counts (LayerCounts.h), through --loom-prune-ffn's
// `keep`: malformed, below 1, given twice, naming no network's down weight,
// keeping more than there is.

// RUN: not loom-opt %s --split-input-file --loom-prune-ffn="keep=l.0.down" 2>&1 | FileCheck %s --check-prefix=MALFORMED
// RUN: not loom-opt %s --split-input-file --loom-prune-ffn="keep=l.0.down=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not loom-opt %s --split-input-file --loom-prune-ffn="keep=l.0.down=4,l.0.down=6" 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not loom-opt %s --split-input-file --loom-prune-ffn="keep=l.0.up=4" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not loom-opt %s --split-input-file --loom-prune-ffn="keep=l.0.down=9" 2>&1 | FileCheck %s --check-prefix=MORE
// MALFORMED: error: --loom-prune-ffn: bad count 'l.0.down' (expected NAME=N, N at least 1)
// ZERO: error: --loom-prune-ffn: bad count 'l.0.down=0' (expected NAME=N, N at least 1)
// TWICE: error: --loom-prune-ffn: 'l.0.down' has two counts
// UNKNOWN: error: --loom-prune-ffn: no feed-forward network has the down weight 'l.0.up'
// MORE: error: --loom-prune-ffn: a count keeps 9 neurons of a network of 8
loom.param @l.0.up : tensor<8x4xf32>
loom.param @l.0.down : tensor<4x8xf32>
func.func @counted(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %u = loom.weight @l.0.up : tensor<8x4xf32>
  %d = loom.weight @l.0.down : tensor<4x8xf32>
  %y = loom.mlp gelu %x, %u, %d : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
