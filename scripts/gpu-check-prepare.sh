#!/bin/bash
# Prepares what scripts/gpu-check.sh runs on a machine with an NVIDIA GPU
# (which may have no compiler, no Python and none of Debian's libraries):
# programs built with `loomc --target=cuda`, small random checkpoints, and
# the shared libraries the programs need, packed.
#
#   scripts/gpu-check-prepare.sh [--emulate] [--chip sm_90a] DIR
#
# DIR (e.g. build/gpu-check) then holds everything; carry it to the GPU
# machine and run `scripts/gpu-check.sh DIR` there. With --emulate the
# programs' kernels are host loops (`loomc --gpu-emulate`) and the tests'
# stand-in driver comes along, so that the whole check runs here, without a
# GPU (test/Integration/gpu-check.test does so). $LOOMC, $PYTHON and
# $FAKE_CUDA_DRIVER override the build's loomc, /usr/bin/python3 and the
# build's stand-in driver.
set -euo pipefail

emulate=0
chip=sm_90a
while [ $# -gt 1 ]; do
  case "$1" in
    --emulate) emulate=1; shift ;;
    --chip) chip="$2"; shift 2 ;;
    *) echo "gpu-check-prepare.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
if [ $# -ne 1 ]; then
  echo "usage: gpu-check-prepare.sh [--emulate] [--chip sm_NN] DIR" >&2
  exit 2
fi
out="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
loomc="${LOOMC:-$here/build/bin/loomc}"
python="${PYTHON:-/usr/bin/python3}"
mkdir -p "$out"

flags=(--target=cuda "--gpu-chip=$chip")
if [ $emulate = 1 ]; then
  flags=(--target=cuda --gpu-emulate)
  cp "${FAKE_CUDA_DRIVER:-$here/build/test/Unit/libLoomFakeCudaDriver.so}" \
    "$out/fake-driver.so"
fi

# name example defines...: small models of each kind the check compares on
# both devices (`llama128`: heads of 128 values), and `bench`, a Llama whose decode streams 19 MB of weights a
# token (the copy to the GPU machine holds at most 64 MiB).
models=(
  "llama llama.loom -D layers=2 -D dim=64 -D heads=4 -D kv_heads=2 -D ffn=128 -D vocab=97"
  "llama128 llama.loom -D layers=1 -D dim=256 -D heads=2 -D kv_heads=1 -D ffn=64 -D vocab=97"
  "gpt2 gpt2.loom -D layers=2 -D dim=64 -D heads=4 -D vocab=97 -D positions=64"
  "flowformer flowformer.loom -D dim=32 -D heads=4 -D ffn=64 -D vocab=97 -D layers=2"
  "bert bert.loom -D layers=2 -D dim=64 -D heads=4 -D ffn=128 -D vocab=97 -D positions=16"
  "bench llama.loom -D layers=2 -D dim=384 -D heads=6 -D kv_heads=2 -D ffn=1024 -D vocab=2048"
)
declare -A built
for spec in "${models[@]}"; do
  read -r name example defines <<<"$spec"
  built[$name]="$example $defines"
  # shellcheck disable=SC2086
  "$loomc" "$here/examples/$example" $defines --emit=params -o "$out/$name.json"
  "$python" "$here/scripts/make_checkpoint.py" "$out/$name.json" \
    -o "$out/$name.safetensors" --seed 1 --std 0.05 --norm-ones
  # shellcheck disable=SC2086
  "$loomc" "$here/examples/$example" $defines "${flags[@]}" -o "$out/$name"
  echo "built $out/$name"
done

# `llama` and `bench` again with --gpu-elide-host-waits (the host queues a
# whole step, waiting for the GPU only before it returns), on the same
# checkpoints: the check compares their numbers and their speed.
for name in llama bench; do
  read -r example defines <<<"${built[$name]}"
  # shellcheck disable=SC2086
  "$loomc" "$here/examples/$example" $defines "${flags[@]}" \
    --gpu-elide-host-waits -o "$out/$name-async"
  echo "built $out/$name-async"
done

# `llama` with its products' weights in bf16 on the device
# (--weight-type=bf16), on a BF16 checkpoint: the conversion at load is then
# exact, and both devices compute on the same weights.
read -r example defines <<<"${built[llama]}"
"$python" "$here/scripts/make_checkpoint.py" "$out/llama.json" \
  -o "$out/llama-bf16.safetensors" --seed 1 --std 0.05 --norm-ones --dtype BF16
# shellcheck disable=SC2086
"$loomc" "$here/examples/$example" $defines "${flags[@]}" --weight-type=bf16 \
  -o "$out/llama-bf16"
echo "built $out/llama-bf16"

# `big`, TinyLlama-1.1B's shape (4.4 GB of f32 weights a decode step reads),
# runs on random weights it makes itself (--random-weights): no file to
# carry. Not emulated (too slow on the host).
if [ $emulate = 0 ]; then
  "$loomc" "$here/examples/llama.loom" -D layers=22 -D dim=2048 -D heads=32 \
    -D kv_heads=4 -D ffn=5632 -D vocab=32000 "${flags[@]}" -o "$out/big"
  echo "built $out/big"
  # The same in bf16 (2.2 GB a decode step).
  "$loomc" "$here/examples/llama.loom" -D layers=22 -D dim=2048 -D heads=32 \
    -D kv_heads=4 -D ffn=5632 -D vocab=32000 "${flags[@]}" --weight-type=bf16 \
    -o "$out/big-bf16"
  echo "built $out/big-bf16"
fi

# The libraries the programs load (not the C library's own), packed: the
# GPU machine need not run Debian.
libs=$(ldd "$out/llama" | awk '/=> \// {print $3}' |
       grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' || true)
rm -rf "$out/lib"
mkdir -p "$out/lib"
for lib in $libs; do
  cp -L "$lib" "$out/lib/"
done
tar -C "$out" -cJf "$out/libs.tar.xz" lib
rm -rf "$out/lib"
# The programs, packed too (xz keeps about a quarter of each): the copy to
# the GPU machine holds at most 64 MiB.
rm -rf "$out/programs"
mkdir -p "$out/programs"
find "$out" -maxdepth 1 -type f -perm -u+x ! -name '*.so' \
  ! -name '*.safetensors' ! -name '*.json' ! -name '*.tar.xz' \
  -exec mv {} "$out/programs/" \;
tar -C "$out" -cJf "$out/programs.tar.xz" programs
rm -rf "$out/programs"
du -sh "$out"
