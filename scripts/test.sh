#!/usr/bin/env bash
# Builds Loom and runs the whole test suite (lit: check-loom, which also runs
# the GoogleTest unit tests), then the runtime under sanitizers
# (scripts/sanitize.sh: ASan + UBSan, and TSan with two models on three
# threads), then each fuzzer for $LOOM_FUZZ_SECONDS (scripts/fuzz.sh).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${LOOM_BUILD_DIR:-$src/build}"
# Free disk space before each stage: a run on a nearly full disk fails in the
# middle of a stage with errors that name no cause.
space() { echo "== free disk space before $1: $(df -h --output=avail "$src" | tail -1)"; }
space "the build"
"$src/scripts/build.sh"
ninja -C "$build" check-loom
space "the sanitizers"
"$src/scripts/sanitize.sh"
space "the fuzzers"
"$src/scripts/fuzz.sh"
