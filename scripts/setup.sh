#!/usr/bin/env bash
# Installs every Debian package Loom's build, tests and examples need.
# Safe to run more than once. Needs root (or sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # Compiler toolchain and MLIR/LLVM 22 (mlir-22-tools is needed to configure).
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  # Sanitizer runtimes for clang 22 (scripts/sanitize.sh).
  libclang-rt-22-dev
  cmake ninja-build ccache
  # Libraries.
  libfmt-dev libgtest-dev nlohmann-json3-dev
  # Tokenizers: split patterns (PCRE2), Unicode tables (ICU), SentencePiece.
  libpcre2-dev libicu-dev libsentencepiece-dev
  # Vectorized exp and erfc for the products' activation epilogue (SLEEF).
  libsleef-dev
  # Singular value decompositions for low-rank factorization, and GPTQ's
  # factorizations and products (LAPACK's and BLAS's C interfaces; OpenBLAS
  # below provides a fast LAPACK and BLAS).
  liblapacke-dev
  # Architecture pictures (loomc --emit=svg).
  graphviz
  # Reference tests and checkpoint generation.
  python3 python3-numpy python3-torch python3-venv
  # OpenBLAS: the runtime's BLAS (above), and a benchmark peer (bench/)
  # with PyTorch.
  libopenblas-dev
  # The GPU check packs the libraries its programs load
  # (scripts/gpu-check-prepare.sh).
  xz-utils
)

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

# PyPI packages of the real-model tests (a virtual environment in .venv).
"$(dirname "$0")/setup-python.sh"
