#!/bin/bash
# The CUDA target's check on a machine with an NVIDIA GPU, on what
# scripts/gpu-check-prepare.sh built (needs no compiler and no Python):
#
#   scripts/gpu-check.sh DIR
#
# For each small model: the same program on the CPU (--device=cpu) and on
# the GPU, the prompt's logits compared (max |difference|, KL divergence,
# same top-1) and the greedy tokens; then tokens/s of the `bench` model and
# of `big` (1.1B parameters, random weights) on both, with the GPU's copy
# bandwidth and the share of it decode reaches. Prints a report (also to $OUT/gpu-check.txt when $OUT is set) and
# exits 1 if a check fails.
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
export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# An emulated build (gpu-check-prepare.sh --emulate) runs on the stand-in.
if [ -f "$dir/fake-driver.so" ]; then
  export LOOM_CUDA_DRIVER="$dir/fake-driver.so"
fi
# Logits of the GPU build within this of the CPU's (f32 on both; the
# reductions run in another order).
tolerance=1e-3
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

say "gpu-check: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
if command -v nvidia-smi >/dev/null; then
  say "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
fi
prompt="3 14 15 92 65 35 89 11 42 7"
for name in llama gpt2 flowformer bert; do
  program="$dir/$name"
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
  if ! "$program" --device=cpu --weights "$weights" --prompt-ids "$prompt" \
       -n 16 --logits "$work/$name-cpu.npy" >"$work/cpu" 2>"$work/err"; then
    say "FAIL $name on the CPU: $(tail -3 "$work/err")"
    failed=1
    continue
  fi
  # The comparison's report, then the tokens (the last line).
  if ! "$program" --device=cuda --weights "$weights" --prompt-ids "$prompt" \
       -n 16 --compare-logits "$work/$name-cpu.npy" >"$work/compare" \
       2>"$work/err"; then
    say "FAIL $name on the GPU: $(tail -3 "$work/err")"
    failed=1
    continue
  fi
  cpu_tokens=$(tail -1 "$work/cpu")
  gpu_tokens=$(tail -1 "$work/compare")
  diff=$(awk '/max .logit diff./ {print $NF}' "$work/compare")
  kl=$(awk '/KL divergence/ {sub(/,/, "", $4); print $4}' "$work/compare")
  top1=$(awk '/same top-1/ {print $NF}' "$work/compare")
  if [ -z "$diff" ] || ! awk -v d="$diff" -v t="$tolerance" \
       'BEGIN { exit !(d <= t) }'; then
    say "FAIL $name: max |logit diff| ${diff:-?} > $tolerance"
    failed=1
  elif [ "$cpu_tokens" != "$gpu_tokens" ]; then
    say "FAIL $name: tokens differ: cpu $cpu_tokens / gpu $gpu_tokens"
    failed=1
  else
    say "PASS $name: max |logit diff| $diff, mean KL $kl, same top-1 $top1, 16 tokens identical"
  fi
done

# name, then the arguments of its weights: the bench model's checkpoint,
# and `big`'s random weights (built only for a real GPU).
benches=("bench --weights $dir/bench.safetensors")
if [ -x "$dir/big" ]; then
  benches+=("big --random-weights 1 --prompt-ids $(seq -s, 1 32)")
fi
for spec in "${benches[@]}"; do
  read -r name weights <<<"$spec"
  for device in cpu cuda; do
    # shellcheck disable=SC2086
    if "$dir/$name" --device=$device $weights --bench -n 16 \
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
