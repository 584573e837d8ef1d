#!/usr/bin/env bash
# Loom under sanitizers: the runtime's unit tests with AddressSanitizer and
# UndefinedBehaviorSanitizer, then the compiler and the lit suite (all but
# the real-model tests) built with them, then the runtime's unit tests with
# ThreadSanitizer and, under ThreadSanitizer, two compiled models (three
# instances) run at once from three threads through the C API. Any report
# fails the script.
#
#   scripts/sanitize.sh            (after scripts/build.sh; test.sh runs it)
#
# Build directories: build-asan/ and build-tsan/ (or $LOOM_BUILD_DIR-asan,
# -tsan). The ThreadSanitizer build holds only the runtime and its tests; its
# models come from the main build's loomc.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${LOOM_BUILD_DIR:-$src/build}"
loomc="$build/bin/loomc"

sanitized() { # DIR SANITIZERS
  if [ ! -f "$1/build.ninja" ]; then
    "$src/scripts/configure.sh" "$1" -DLOOM_SANITIZE="$2" >/dev/null
  fi
  ninja -C "$1" LoomRuntimeTests LoomRuntimeModel >/dev/null
}

# The lit suites' outputs (programs, checkpoints) are only read by the test
# that wrote them; a stage removes those of the stage before it, so that the
# sanitized builds fit beside the main one on a small disk.
dropOutputs() { # BUILD
  if [ -d "$1/test" ]; then
    find "$1/test" -type d -name Output -prune -exec rm -rf {} +
  fi
}
dropOutputs "$build"

echo "== runtime unit tests, AddressSanitizer + UndefinedBehaviorSanitizer"
sanitized "$build-asan" "address,undefined"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$build-asan/bin/LoomRuntimeTests" --gtest_brief=1

echo "== the compiler and the lit suite (without the real models), AddressSanitizer + UndefinedBehaviorSanitizer"
# loomc, loom-opt and the front end instrumented; the programs the tests
# compile link the instrumented runtime, so the end-to-end tests on tiny
# models run under the sanitizers too.
ninja -C "$build-asan" loomc loom-opt loom-tokenize loom-runtime-check \
  LoomDSLTests LoomRuntimeTests LoomRuntimeMain >/dev/null
# The shared library tests link their C programs without the sanitizers'
# runtime (the ThreadSanitizer stage below runs two models from a C
# program), and the real models are too slow under the sanitizers.
# allow_user_poisoning=0: see scripts/fuzz.sh (LLVM's allocators, inlined
# into instrumented code, poison slabs that uninstrumented libMLIR uses).
# The CUDA examples' compilation, their PTX register budget and the
# prepared GPU check repeat, on more models, what cuda-target.test and
# cuda-emulated.test run instrumented; libraries are left out as above.
ASAN_OPTIONS=detect_leaks=1:allow_user_poisoning=0 \
  UBSAN_OPTIONS=print_stacktrace=1 \
  /usr/lib/llvm-22/bin/lit -sv \
  --filter-out 'real-|Integration/library.test|Integration/two-models.test|Integration/feature-input-library.test|Integration/running-state-library.test|Integration/cuda-examples.test|Integration/cuda-ptxas.test|Integration/cuda-library.test|Integration/gpu-check.test' \
  "$build-asan/test"

dropOutputs "$build-asan"

echo "== runtime unit tests, ThreadSanitizer"
sanitized "$build-tsan" "thread"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
# OpenBLAS (GPTQ's and the factorizations' BLAS) is not instrumented: its
# own threads, woken by synchronization TSan cannot see, read what the
# calling thread wrote just before the call, which TSan reports as races on
# some CPUs' kernels (those that copy with memcpy). One OpenBLAS thread
# keeps the check on Loom's own threads.
export OPENBLAS_NUM_THREADS=1
"$build-tsan/bin/LoomRuntimeTests" --gtest_brief=1

echo "== two models, three instances, three threads, ThreadSanitizer"
work="$build-tsan/two-models"
rm -rf "$work" && mkdir -p "$work"
llama=(-D layers=2 -D dim=32 -D heads=4 -D kv_heads=2 -D ffn=64 -D vocab=50)
gpt2=(-D layers=2 -D dim=32 -D heads=4 -D vocab=60 -D positions=16)
"$loomc" "$src/examples/llama.loom" "${llama[@]}" --emit=params -o "$work/llama.json"
"$loomc" "$src/examples/gpt2.loom" "${gpt2[@]}" --emit=params -o "$work/gpt2.json"
for seed in 5 6; do
  /usr/bin/python3 "$src/scripts/make_checkpoint.py" "$work/llama.json" \
    -o "$work/llama-$seed.safetensors" --seed "$seed" --std 0.2 >/dev/null
done
/usr/bin/python3 "$src/scripts/make_checkpoint.py" "$work/gpt2.json" \
  -o "$work/gpt2.safetensors" --seed 7 --std 0.2 >/dev/null
"$loomc" "$src/examples/llama.loom" "${llama[@]}" --emit=obj -o "$work/llama.o"
"$loomc" "$src/examples/gpt2.loom" "${gpt2[@]}" --emit=obj -o "$work/gpt2.o"
# The headers --emit=lib would write next to the libraries.
cp "$src/runtime/include/loom/loom_model.h" "$work/"
printf '#include "loom_model.h"\nextern const struct loom_model_def loom_model_Llama;\n' > "$work/libllama.h"
printf '#include "loom_model.h"\nextern const struct loom_model_def loom_model_GPT2;\n' > "$work/libgpt2.h"
clang-22 -g -fsanitize=thread -I "$work" \
  "$src/test/Integration/Inputs/two_models.c" -c -o "$work/two_models.o"
clang++-22 -fsanitize=thread "$work/two_models.o" "$work/llama.o" "$work/gpt2.o" \
  "$build-tsan/lib/libLoomRuntimeModel.a" "$build-tsan/lib/libLoomRuntime.a" \
  -lpcre2-8 -licuuc -lsentencepiece -lsleef -llapacke -lblas -lpthread -lm -o "$work/two_models"
"$work/two_models" "$work/llama-5.safetensors" "$work/llama-6.safetensors" \
  "$work/gpt2.safetensors" > "$work/together.txt"
# Each instance gets what its model's program gets alone.
"$loomc" "$src/examples/llama.loom" "${llama[@]}" -o "$work/llama"
"$loomc" "$src/examples/gpt2.loom" "${gpt2[@]}" -o "$work/gpt2"
{
  "$work/llama" --weights "$work/llama-5.safetensors" --prompt-ids "1 2 3" -n 6
  "$work/llama" --weights "$work/llama-6.safetensors" --prompt-ids "1 2 3" -n 6
  "$work/gpt2" --weights "$work/gpt2.safetensors" --prompt-ids "1 2 3" -n 6
} > "$work/alone.txt"
diff "$work/alone.txt" "$work/together.txt"
echo "sanitizers: no reports"
