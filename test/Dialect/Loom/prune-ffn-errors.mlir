// RUN: not loom-opt %s --split-input-file --loom-prune-ffn="ratio=1" 2>&1 | FileCheck %s --check-prefix=ONE
// RUN: not loom-opt %s --split-input-file --loom-prune-ffn="ratio=-0.1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not loom-opt %s --split-input-file --loom-prune-ffn="ratio=0.5 importance=true" 2>&1 | FileCheck %s --check-prefix=NAMELESS
// RUN: loom-opt %s --split-input-file --verify-diagnostics --mlir-disable-threading --loom-prune-ffn="ratio=0.5" -o /dev/null 2>&1 | FileCheck %s --allow-empty --check-prefix=NONE
// RUN: not loomc %examples/llama.loom -D layers=1 -D dim=32 -D heads=2 -D kv_heads=1 -D ffn=64 -D vocab=50 --prune-ffn=0.5 --kernels=generated 2>&1 | FileCheck %s --check-prefix=GENERATED

// RUN: not loomc %examples/llama.loom -D layers=1 -D dim=32 -D heads=2 -D kv_heads=1 -D ffn=64 -D vocab=50 --prune-ffn=1.5 2>&1 | FileCheck %s --check-prefix=LOOMC
// LOOMC: llama.loom:5:1: error: --loom-prune-ffn: ratio must be in [0, 1), got 1.50
// RUN: not loomc %examples/llama.loom -D layers=1 -D dim=32 -D heads=2 -D kv_heads=1 -D ffn=64 -D vocab=50 --prune-importance 2>&1 | FileCheck %s --check-prefix=ALONE
// ALONE: loomc: error: --prune-importance scores what --prune-ffn or --prune-heads removes: give one of them
// ONE: error: --loom-prune-ffn: ratio must be in [0, 1), got 1.00
// NEGATIVE: error: --loom-prune-ffn: ratio must be in [0, 1), got -0.10
// NAMELESS: error: importance is read by the name of the weight, but this weight does not come from the model's params
// NONE-NOT: error
// GENERATED: error: what a pruned weight keeps is selected by the target's kernels: compile with the runtime's kernels (loomc --kernels=runtime)

// Weights that are arguments of a public function have no name to read
// their importance by.
func.func @nameless(%x: tensor<?x4xf32>, %u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %y = loom.mlp gelu %x, %u, %d : (tensor<?x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// What the pass writes, `loom.prune_neurons`, checks its shapes.
func.func @keeps_too_many(%u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<9x4xf32> {
  // expected-error @below {{'loom.prune_neurons' op keeps 9 of 8 neurons}}
  %0 = loom.prune_neurons %u axis 0 keep 9 scores(%u, %d) : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<9x4xf32>
  return %0 : tensor<9x4xf32>
}

// -----

func.func @wrong_axis(%u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<8x2xf32> {
  // expected-error @below {{'loom.prune_neurons' op axis 1 of 'tensor<8x4xf32>' is not the 8 neurons}}
  %0 = loom.prune_neurons %u axis 1 keep 2 scores(%u, %d) : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @down_mismatch(%u: tensor<8x4xf32>, %d: tensor<4x6xf32>) -> tensor<4x4xf32> {
  // expected-error @below {{'loom.prune_neurons' op the down weight 'tensor<4x6xf32>' does not read the 8 neurons of the up weight}}
  %0 = loom.prune_neurons %u axis 0 keep 4 scores(%u, %d) : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x6xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @gate_mismatch(%u: tensor<8x4xf32>, %d: tensor<4x8xf32>, %g: tensor<8x5xf32>) -> tensor<4x4xf32> {
  // expected-error @below {{'loom.prune_neurons' op the gate weight 'tensor<8x5xf32>' does not match the up weight 'tensor<8x4xf32>'}}
  %0 = loom.prune_neurons %u axis 0 keep 4 scores(%u, %d, %g) : (tensor<8x4xf32>, tensor<8x5xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @importance_mismatch(%u: tensor<8x4xf32>, %d: tensor<4x8xf32>, %i: tensor<4xf32>) -> tensor<4x4xf32> {
  // expected-error @below {{'loom.prune_neurons' op importance has 4 entries for 8 neurons}}
  %0 = loom.prune_neurons %u axis 0 keep 4 scores(%u, %d) importance %i : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @result_shape(%u: tensor<8x4xf32>, %d: tensor<4x8xf32>) -> tensor<4x3xf32> {
  // expected-error @below {{'loom.prune_neurons' op result type 'tensor<4x3xf32>' should be 'tensor<4x4xf32>'}}
  %0 = loom.prune_neurons %u axis 0 keep 4 scores(%u, %d) : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

