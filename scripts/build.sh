#!/usr/bin/env bash
# Configures (once) and builds Loom in build/ (or $LOOM_BUILD_DIR).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${LOOM_BUILD_DIR:-$src/build}"
if [ ! -f "$build/build.ninja" ]; then
  "$src/scripts/configure.sh" "$build"
fi
ninja -C "$build" "$@"
