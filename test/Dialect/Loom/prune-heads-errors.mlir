// RUN: not loom-opt %S/prune-heads.mlir --loom-prune-heads="ratio=1" 2>&1 | FileCheck %s --check-prefix=ONE
// RUN: not loom-opt %S/prune-heads.mlir --loom-prune-heads="ratio=-1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not loomc %examples/llama.loom -D layers=1 -D dim=32 -D heads=2 -D kv_heads=1 -D ffn=64 -D vocab=50 --prune-heads=2 2>&1 | FileCheck %s --check-prefix=LOOMC
// RUN: loom-opt %s --split-input-file --verify-diagnostics

// ONE: error: --loom-prune-heads: ratio must be in [0, 1), got 1.00
// NEGATIVE: error: --loom-prune-heads: ratio must be in [0, 1), got -1.00
// LOOMC: llama.loom:5:1: error: --loom-prune-heads: ratio must be in [0, 1), got 2.00

// What the pass writes, `loom.prune_heads`, checks its shapes.
func.func @part(%q: tensor<32x32xf32>, %k: tensor<16x32xf32>, %o: tensor<32x32xf32>) -> tensor<16x32xf32> {
  // expected-error @below {{'loom.prune_heads' op part must be "q", "kv" or "o", got "k"}}
  %0 = loom.prune_heads %q part "k" keep 1 heads = 4 kv_heads = 2 head_dim = 8 scores(%q, %k, %k, %o) : (tensor<32x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

func.func @groups(%q: tensor<24x32xf32>, %k: tensor<16x32xf32>, %o: tensor<32x24xf32>) -> tensor<8x32xf32> {
  // expected-error @below {{'loom.prune_heads' op 3 heads do not form groups of 2 key/value heads}}
  %0 = loom.prune_heads %q part "q" keep 1 heads = 3 kv_heads = 2 head_dim = 8 scores(%q, %k, %k, %o) : (tensor<24x32xf32>, tensor<24x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x24xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

func.func @keep(%q: tensor<32x32xf32>, %k: tensor<16x32xf32>, %o: tensor<32x32xf32>) -> tensor<48x32xf32> {
  // expected-error @below {{'loom.prune_heads' op keeps 3 of 2 head groups}}
  %0 = loom.prune_heads %q part "q" keep 3 heads = 4 kv_heads = 2 head_dim = 8 scores(%q, %k, %k, %o) : (tensor<32x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<48x32xf32>
  return %0 : tensor<48x32xf32>
}

// -----

func.func @weights(%q: tensor<32x32xf32>, %k: tensor<8x32xf32>, %o: tensor<32x32xf32>) -> tensor<16x32xf32> {
  // expected-error @below {{'loom.prune_heads' op wk 'tensor<8x32xf32>' should have 16 rows for 4 heads of 8}}
  %0 = loom.prune_heads %q part "q" keep 1 heads = 4 kv_heads = 2 head_dim = 8 scores(%q, %k, %k, %o) : (tensor<32x32xf32>, tensor<32x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>, tensor<32x32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

func.func @target(%q: tensor<32x32xf32>, %k: tensor<16x32xf32>, %o: tensor<32x32xf32>) -> tensor<8x32xf32> {
  // expected-error @below {{'loom.prune_heads' op the kv part of 'tensor<32x32xf32>' should span 16 rows}}
  %0 = loom.prune_heads %q part "kv" keep 1 heads = 4 kv_heads = 2 head_dim = 8 scores(%q, %k, %k, %o) : (tensor<32x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

func.func @result(%q: tensor<32x32xf32>, %k: tensor<16x32xf32>, %o: tensor<32x32xf32>) -> tensor<32x16xf32> {
  // expected-error @below {{'loom.prune_heads' op result type 'tensor<32x16xf32>' should be 'tensor<32x32xf32>'}}
  %0 = loom.prune_heads %o part "o" keep 2 heads = 4 kv_heads = 2 head_dim = 8 scores(%q, %k, %k, %o) : (tensor<32x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>) -> tensor<32x16xf32>
  return %0 : tensor<32x16xf32>
}
