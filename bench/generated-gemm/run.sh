#!/bin/bash
# Lowers gemm.mlir's product with its transform-dialect schedule, the
# outline/lower-parallel passes and the LLVM lowering, links it with the
# runtime (for loom_parallel_loop) and times it next to the runtime's own
# kernel on the same shape (bench/kernels.cpp).
#
#   bench/generated-gemm/run.sh [BUILD_DIR]   (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
llvm=/usr/lib/llvm-22/bin
"$llvm/mlir-opt" "$here/gemm.mlir" --transform-interpreter -o "$work/tiled.mlir"
# Drop the schedule module, keep the payload.
python3 -c '
import sys
text = open(sys.argv[1]).read()
cut = text.index("  module attributes {transform.with_named_sequence}")
open(sys.argv[2], "w").write(text[:cut] + "}\n")' "$work/tiled.mlir" "$work/payload.mlir"
"$build/bin/loom-opt" "$work/payload.mlir" --scf-forall-to-parallel \
  --loom-outline-parallel-loops --convert-vector-to-scf --lower-affine \
  --convert-scf-to-cf --canonicalize --cse --convert-vector-to-llvm \
  --expand-strided-metadata --lower-affine --finalize-memref-to-llvm \
  --convert-arith-to-llvm --convert-index-to-llvm --convert-ub-to-llvm \
  --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts \
  --loom-lower-parallel-calls -o "$work/llvm.mlir"
"$llvm/mlir-translate" --mlir-to-llvmir "$work/llvm.mlir" -o "$work/gemm.ll"
"$llvm/clang" -O3 -march=native -Wno-override-module -c "$work/gemm.ll" -o "$work/gemm.o"
"$llvm/clang" -O2 -c "$here/driver.c" -o "$work/driver.o"
"$llvm/clang++" "$work/driver.o" "$work/gemm.o" "$build/lib/libLoomRuntime.a" \
  -lpthread -o "$work/gemm"
"$llvm/clang++" -O3 -march=native -std=c++17 -I "$here/../../runtime/include" \
  "$here/../kernels.cpp" "$build/lib/libLoomRuntime.a" -lopenblas -lpthread \
  -o "$work/kernels"
threads=${LOOM_NUM_THREADS:-2}
LOOM_NUM_THREADS=$threads "$work/gemm"
OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=$threads \
  "$work/kernels" --threads "$threads" --gemm-only --shapes 2048:768 --rounds 2
