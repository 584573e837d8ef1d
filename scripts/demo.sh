#!/usr/bin/env bash
# The main job: build Loom, make a random-weight checkpoint with Hugging Face
# Llama tensor names, compile examples/llama.loom at a small config into a
# native program, and run it: it prints the generated token ids, then the
# prefill and decode speed.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${LOOM_BUILD_DIR:-$src/build}"
work="${LOOM_DEMO_DIR:-$build/demo}"
mkdir -p "$work"

"$src/scripts/build.sh" loomc LoomRuntime LoomRuntimeMain >&2

config=(-D layers=4 -D dim=256 -D heads=8 -D kv_heads=4 -D ffn=688 -D vocab=4096)
loomc="$build/bin/loomc"
echo "== compiling examples/llama.loom (${config[*]})" >&2
"$loomc" "$src/examples/llama.loom" "${config[@]}" --emit=params -o "$work/llama.json"
/usr/bin/python3 "$src/scripts/make_checkpoint.py" "$work/llama.json" \
  -o "$work/llama.safetensors" --seed 1 --std 0.05 --norm-ones >&2
"$loomc" "$src/examples/llama.loom" "${config[@]}" -o "$work/llama"

echo "== running: llama --weights llama.safetensors --prompt-ids '1 2 3 4 5 6 7 8' -n 32 --bench" >&2
"$work/llama" --weights "$work/llama.safetensors" \
  --prompt-ids "1 2 3 4 5 6 7 8" -n 32 --bench
