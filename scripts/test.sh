#!/usr/bin/env bash
# Builds Loom and runs the whole test suite (lit: check-loom, which also runs
# the GoogleTest unit tests), then the runtime under sanitizers
# (scripts/sanitize.sh: ASan + UBSan, and TSan with two models on three
# threads), then each fuzzer for $LOOM_FUZZ_SECONDS (scripts/fuzz.sh).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${LOOM_BUILD_DIR:-$src/build}"
"$src/scripts/build.sh"
ninja -C "$build" check-loom
"$src/scripts/sanitize.sh"
"$src/scripts/fuzz.sh"
