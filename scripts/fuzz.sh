#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, with AddressSanitizer and
# UndefinedBehaviorSanitizer) of the readers of untrusted input: the .loom
# front end, safetensors files, GGUF files with their vocabularies,
# tokenizer.json files with the text they encode, the JSON files of a
# checkpoint directory (shard index, configs), and loom IR through the
# dialect's passes. Each fuzzer runs for a
# bounded time from the seed corpora (test/Fuzz/corpus/, plus the examples
# and the front end's tests); a crash, leak or timeout fails the script and
# leaves the input in $build-fuzz/crashes/.
#
#   scripts/fuzz.sh            (test.sh runs it; $LOOM_FUZZ_SECONDS per
#                               fuzzer, default 30)
#   LOOM_FUZZ_SECONDS=3600 scripts/fuzz.sh FuzzTokenizerJson   (one, longer)
#
# The corpora the runs grow are kept in $build-fuzz/corpus/ between runs.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${LOOM_BUILD_DIR:-$src/build}-fuzz"
seconds="${LOOM_FUZZ_SECONDS:-30}"
fuzzers=("$@")
if [ ${#fuzzers[@]} -eq 0 ]; then
  fuzzers=(FuzzFrontend FuzzSafetensors FuzzGguf FuzzTokenizerJson
    FuzzCheckpointDir FuzzLoomIR)
fi

if [ ! -f "$build/build.ninja" ]; then
  "$src/scripts/configure.sh" "$build" -DLOOM_FUZZ=ON \
    -DLOOM_SANITIZE=fuzzer-no-link,address,undefined >/dev/null
fi
ninja -C "$build" "${fuzzers[@]}" >/dev/null

seeds() { # FUZZER -> seed directories
  case "$1" in
  FuzzFrontend) echo "$src/examples $src/test/DSL $src/test/DSL/Inputs" ;;
  FuzzSafetensors) echo "$src/test/Fuzz/corpus/safetensors" ;;
  FuzzGguf) echo "$src/test/Fuzz/corpus/gguf" ;;
  FuzzTokenizerJson) echo "$src/test/Fuzz/corpus/tokenizer-json" ;;
  FuzzCheckpointDir) echo "$src/test/Fuzz/corpus/checkpoint-dir" ;;
  FuzzLoomIR) echo "$src/test/Fuzz/corpus/loom-ir" ;;
  esac
}

# libMLIR and libLLVM are not instrumented, but LLVM's allocator headers
# compiled into the instrumented harnesses are: an inlined BumpPtrAllocator
# poisons the unused rest of a slab it allocates (e.g. for a loom attribute),
# then libMLIR's own copy of the allocator hands that memory out without
# unpoisoning it, which ASan reports as use-after-poison. User poisoning is
# turned off; ASan's own checks (heap, stack, globals) stay.
export ASAN_OPTIONS="allow_user_poisoning=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
mkdir -p "$build/crashes"
status=0
for fuzzer in "${fuzzers[@]}"; do
  corpus="$build/corpus/$fuzzer"
  mkdir -p "$corpus"
  # An empty working directory: the front end resolves imports from it.
  work="$(mktemp -d)"
  log="$build/$fuzzer.log"
  # shellcheck disable=SC2046
  if (cd "$work" && "$build/bin/$fuzzer" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$build/crashes/$fuzzer-" "$corpus" \
        $(seeds "$fuzzer")) >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "$fuzzer: ${seconds} s, $runs runs ($speed/s), coverage $cov edges, $(ls "$corpus" | wc -l) inputs in the corpus"
  else
    status=1
    echo "$fuzzer: FAILED; the input is in $build/crashes/, the log in $log:"
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
  fi
  rm -rf "$work"
done
exit $status
