#!/bin/bash
# The CUDA target's check on a machine with an NVIDIA GPU, on what
# scripts/gpu-check-prepare.sh built (needs no compiler and no Python):
#
#   scripts/gpu-check.sh DIR
#
# For each small model: the same program on the CPU (--device=cpu) and on
# the GPU, the prompt's logits compared (max |difference|, KL divergence,
# same top-1) and the greedy tokens; again for a 24-token prompt, whose
# products run on the tensor cores (TF32); again for builds whose host does
# not wait for the GPU between blocks (--gpu-elide-host-waits), and for a
# build whose device keeps its products' weights in bf16; then tokens/s of
# the `bench` model (both builds) and of `big` (1.1B parameters, random
# weights, f32 and bf16) on both devices, with the GPU's copy
# bandwidth and the share of it decode reaches. Prints a report (also to
# $OUT/gpu-check.txt when $OUT is set) and exits 1 if a check fails.
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: gpu-check.sh DIR" >&2
  exit 2
fi
dir="$(cd "$1" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
report="$work/report.txt"
tar -C "$work" -xJf "$dir/libs.tar.xz"
tar -C "$work" -xJf "$dir/programs.tar.xz"
programs="$work/programs"
export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# An emulated build (gpu-check-prepare.sh --emulate) runs on the stand-in.
if [ -f "$dir/fake-driver.so" ]; then
  export LOOM_CUDA_DRIVER="$dir/fake-driver.so"
fi
# Logits of the GPU build within this of the CPU's (f32 on both; the
# reductions run in another order).
tolerance=1e-3
# The same for prompts on the tensor cores: TF32 keeps 10 bits of each
# input's mantissa (a relative error of about 5e-4 a product).
long_tolerance=2e-2
failed=0
say() { echo "$@" | tee -a "$report"; }
# The floats of a float32 .npy file, one a line (its header is 10 bytes and
# the length that bytes 8-9 hold).
npy_floats() {
  local length
  length=$(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')
  od -An -tf4 -v -j$((10 + length)) "$1" | tr -s ' ' '\n' | grep -v '^$'
}
# The largest |difference| of two float32 .npy files of one shape.
max_difference() {
  paste <(npy_floats "$1") <(npy_floats "$2") |
    awk 'NF != 2 { bad = 1 } { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d }
         END { if (bad || NR == 0) print 1e30; else printf "%.3g\n", m }'
}

# Runs decoder program `name` on both devices over `prompt` and `steps`
# tokens and compares the logits (max |difference| within `limit`) and,
# when `tokens` is yes, the greedy tokens; reports under `label`. The
# checkpoint is `weights`.safetensors (default: `name`'s).
compare_decoder() {
  local label=$1 name=$2 prompt=$3 steps=$4 limit=$5 tokens=$6
  local program="$programs/$name" weights="$dir/${7:-$name}.safetensors"
  if ! "$program" --device=cpu --weights "$weights" --prompt-ids "$prompt" \
       -n "$steps" --logits "$work/$label-cpu.npy" >"$work/cpu" 2>"$work/err"; then
    say "FAIL $label on the CPU: $(tail -3 "$work/err")"
    failed=1
    return
  fi
  # The comparison's report, then the tokens (the last line).
  if ! "$program" --device=cuda --weights "$weights" --prompt-ids "$prompt" \
       -n "$steps" --compare-logits "$work/$label-cpu.npy" >"$work/compare" \
       2>"$work/err"; then
    say "FAIL $label on the GPU: $(tail -3 "$work/err")"
    failed=1
    return
  fi
  local cpu_tokens gpu_tokens diff kl top1 same
  cpu_tokens=$(tail -1 "$work/cpu")
  gpu_tokens=$(tail -1 "$work/compare")
  diff=$(awk '/max .logit diff./ {print $NF}' "$work/compare")
  kl=$(awk '/KL divergence/ {sub(/,/, "", $4); print $4}' "$work/compare")
  top1=$(awk '/same top-1/ {print $NF}' "$work/compare")
  same="$steps tokens identical"
  [ "$cpu_tokens" = "$gpu_tokens" ] || same="tokens differ"
  if [ -z "$diff" ] || ! awk -v d="$diff" -v t="$limit" \
       'BEGIN { exit !(d <= t) }'; then
    say "FAIL $label: max |logit diff| ${diff:-?} > $limit"
    failed=1
  elif [ "$tokens" = yes ] && [ "$cpu_tokens" != "$gpu_tokens" ]; then
    say "FAIL $label: tokens differ: cpu $cpu_tokens / gpu $gpu_tokens"
    failed=1
  else
    say "PASS $label: max |logit diff| $diff, mean KL $kl, same top-1 $top1, $same"
  fi
}

say "gpu-check: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
if command -v nvidia-smi >/dev/null; then
  say "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
fi
prompt="3 14 15 92 65 35 89 11 42 7"
for name in llama llama128 gpt2 flowformer bert; do
  program="$programs/$name"
  weights="$dir/$name.safetensors"
  if [ "$name" = bert ]; then
    "$program" --device=cpu --weights "$weights" --prompt-ids "$prompt" \
      --output "$work/$name-cpu.npy" >/dev/null 2>"$work/err" &&
    "$program" --device=cuda --weights "$weights" --prompt-ids "$prompt" \
      --output "$work/$name-gpu.npy" >/dev/null 2>>"$work/err"
    status=$?
    if [ $status -ne 0 ]; then
      say "FAIL $name: $(tail -3 "$work/err")"
      failed=1
    else
      diff=$(max_difference "$work/$name-cpu.npy" "$work/$name-gpu.npy")
      if awk -v d="$diff" -v t="$tolerance" 'BEGIN { exit !(d <= t) }'; then
        say "PASS $name: max |hidden diff| $diff"
      else
        say "FAIL $name: max |hidden diff| $diff > $tolerance"
        failed=1
      fi
    fi
    continue
  fi
  compare_decoder "$name" "$name" "$prompt" 16 "$tolerance" yes
done

# Prompts of more than 16 tokens: their products run on the tensor cores
# (TF32 inputs, f32 sums) in a default build, and in f32 in an emulated
# one, and their attention in one pass; 16 decode steps then reach a cache
# of 40 positions, whose attention runs in two runs of 32 keys, merged.
# Tokens are reported, not required: TF32 may turn a near tie.
long_prompt="3 14 15 92 65 35 89 79 32 38 46 26 43 38 32 79 50 28 84 19 71 69 39 93"
for name in llama llama128 gpt2 flowformer; do
  compare_decoder "$name-long" "$name" "$long_prompt" 16 "$long_tolerance" no
done
# The host ahead of the GPU (--gpu-elide-host-waits): the same numbers.
compare_decoder llama-async llama-async "$prompt" 16 "$tolerance" yes llama
compare_decoder llama-async-long llama-async "$long_prompt" 16 \
  "$long_tolerance" no llama

# Products' weights in bf16 on the device, on a BF16 checkpoint.
compare_decoder llama-bf16 llama-bf16 "$prompt" 16 "$tolerance" yes
compare_decoder llama-bf16-long llama-bf16 "$long_prompt" 16 \
  "$long_tolerance" no

# name, then the arguments of its weights: the bench model's checkpoint,
# and `big`'s random weights (built only for a real GPU).
benches=("bench --weights $dir/bench.safetensors"
         "bench-async --weights $dir/bench.safetensors")
if [ -x "$programs/big" ]; then
  benches+=("big --random-weights 1 --prompt-ids $(seq -s, 1 32)")
fi
if [ -x "$programs/big-bf16" ]; then
  benches+=("big-bf16 --random-weights 1 --prompt-ids $(seq -s, 1 32)")
fi
for spec in "${benches[@]}"; do
  read -r name weights <<<"$spec"
  for device in cpu cuda; do
    # shellcheck disable=SC2086
    if "$programs/$name" --device=$device $weights --bench -n 16 \
         >"$work/bench" 2>&1; then
      say "$name $device: $(grep -E '^(load|prefill|decode|gpu)' "$work/bench" | tr '\n' ';' | sed 's/;/; /g')"
    else
      say "FAIL $name on $device: $(tail -3 "$work/bench")"
      failed=1
    fi
  done
done

if [ -n "${OUT:-}" ]; then
  cp "$report" "$OUT/gpu-check.txt"
fi
exit $failed
