// RUN: loom-opt %s --loom-observe-layers --split-input-file --verify-diagnostics

// The op the pass places, written by hand: the side is a keyword, the
// observed value a [seq, width] activation.

func.func private @Block(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {loom.block} {
  // expected-error @+1 {{expected input or output, got 'middle'}}
  loom.observe middle %x : tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}

// -----

func.func private @Block(%x: tensor<8xf32>) -> tensor<8xf32> attributes {loom.block} {
  // expected-error @+1 {{operand #0 must be 2D tensor of floating-point values}}
  loom.observe input %x : tensor<8xf32>
  return %x : tensor<8xf32>
}
