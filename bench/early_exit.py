#!/usr/bin/python3
"""Adaptive depth: what leaving a loop early saves in decode speed.

  /usr/bin/python3 bench/early_exit.py [--work DIR] [--steps 128]

examples/ouro.loom at a size that decodes in a few seconds (dim 1024, 4
layers, 16 heads, FFN 2816, vocab 8192, 4 steps; 70M parameters, 280 MB in
f32) on random weights (scripts/make_checkpoint.py, seed 0, std 0.02; the
exit gate gets its own scale so that its probabilities spread), run with
--full-depth and with lower --exit-threshold values: the average
iterations per decoded token (from the program's report, less
a prompt-only run's), decode tokens/s (STEPS - 1 steps after a 32-token
prompt, 2 threads, median of 3) and its ratio to the full-depth run, next
to the ratio of iterations (what a decode whose time is all in the loop
would gain); and the same model with a plain loop (the `exit` clause
removed), which shows what the adaptive machinery itself costs.
Random weights say nothing about quality: that needs a trained gate (an
Ouro checkpoint). Prints a markdown table; docs/looping.md keeps the
latest figures.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

from smollm2 import LOOMC, ROOT, decode_rate, run

SIZES = ["-D", "dim=1024", "-D", "layers=4", "-D", "heads=16", "-D",
         "kv_heads=16", "-D", "ffn=2816", "-D", "vocab=8192"]
SETTINGS = [("full depth", ["--full-depth"]),
            ("threshold 0.9", ["--exit-threshold=0.9"]),
            ("threshold 0.7", ["--exit-threshold=0.7"]),
            ("threshold 0.5", ["--exit-threshold=0.5"]),
            ("threshold 0.3", ["--exit-threshold=0.3"])]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-exit"))
    ap.add_argument("--steps", type=int, default=128)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    exe, weights = work / "ouro", work / "ouro.safetensors"
    run([LOOMC, ROOT / "examples" / "ouro.loom", "-o", exe] + SIZES)
    manifest = work / "ouro.json"
    manifest.write_text(run([LOOMC, ROOT / "examples" / "ouro.loom",
                             "--emit=params"] + SIZES).stdout)
    run([sys.executable, ROOT / "scripts" / "make_checkpoint.py", manifest,
         "-o", weights, "--seed", "0", "--std", "0.02", "--norm-ones"])
    # The gate's logits spread over about +-2 (std 0.02 gives +-0.6).
    spread_gate(weights, manifest, scale=3.0)

    prompt = " ".join(str(7 + i) for i in range(32))
    command = [exe, "--weights", weights, "--prompt-ids", prompt, "--bench",
               "--threads", "2"]
    # The same model with a plain loop: what the adaptive machinery costs.
    plain_source = work / "ouro-plain.loom"
    source = (ROOT / "examples" / "ouro.loom").read_text()
    plain_source.write_text(re.sub(r"\s*exit\(gate = gate, threshold = "
                                   r"exit_threshold\)", "", source))
    plain = work / "ouro-plain"
    run([LOOMC, plain_source, "-o", plain] + SIZES)
    plain_command = [plain, "--weights", weights, "--prompt-ids", prompt,
                     "--bench", "--threads", "2", "-n", str(args.steps)]
    plain_speed = sorted(decode_rate(run(plain_command).stderr)
                         for _ in range(3))[1]
    rows = []
    for name, flags in SETTINGS:
        # The decoded tokens' iterations: the whole run's less the prompt's.
        prompt_iterations = iterations(run(command + ["-n", "1"] +
                                           flags).stderr)
        speeds = []
        for _ in range(3):
            err = run(command + ["-n", str(args.steps)] + flags).stderr
            speeds.append(decode_rate(err))
            total = iterations(err)
        depth = (total - prompt_iterations) / (args.steps - 1)
        rows.append((name, depth, sorted(speeds)[1]))
    full_depth, full_speed = rows[0][1], rows[0][2]
    print("| run | iterations per token | decode tok/s | speed vs full depth "
          "| iterations saved (full / average) |")
    print("|---|---|---|---|---|")
    print("| plain loop (no exit) | 4 | %.1f | %.2f | 1.00 |"
          % (plain_speed, plain_speed / full_speed))
    for name, depth, speed in rows:
        print("| %s | %.2f | %.1f | %.2f | %.2f |"
              % (name, depth, speed, speed / full_speed, full_depth / depth))


def iterations(stderr):
    """The iterations all tokens ran, from the program's report."""
    return int(re.search(r"adaptive depth: [0-9.]+ iterations per token on "
                         r"average, (\d+) of", stderr).group(1))


def spread_gate(path, manifest, scale):
    """Multiplies model.early_exit_gate.weight in the safetensors file at
    `path` by `scale`, in place."""
    data = bytearray(path.read_bytes())
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    entry = header["model.early_exit_gate.weight"]
    begin, end = (8 + length + offset for offset in entry["data_offsets"])
    gate = np.frombuffer(bytes(data[begin:end]), dtype=np.float32) * scale
    data[begin:end] = gate.astype(np.float32).tobytes()
    path.write_bytes(bytes(data))


if __name__ == "__main__":
    main()
