#!/usr/bin/python3
"""Mixture of experts: decode reads only the chosen experts' weights.

  /usr/bin/python3 bench/moe.py [--work DIR] [--steps 128]

examples/mixtral.loom at dim 512, 4 layers, 8 heads (2 KV heads), 8 experts
of FFN 1408, vocab 8192 (80M parameters, 321 MB in f32), on random weights
(scripts/make_checkpoint.py, seed 0, std 0.02), built with top_k 1, 2 (as
Mixtral) and 8 (every expert: the dense equivalent, the same weights read
for every token). For each: the weight bytes a decode step reads (the
attention, the routers and top_k experts of every layer, and the LM head),
decode tokens/s (STEPS - 1 steps after a 32-token prompt, 2 threads,
median of 3), and both as ratios to top_k 8. Prints a markdown table;
docs/language.md keeps the latest figures.
"""

import argparse
import sys
from pathlib import Path

from smollm2 import LOOMC, ROOT, decode_rate, run

SIZES = {"dim": 512, "layers": 4, "heads": 8, "kv_heads": 2, "ffn": 1408,
         "experts": 8, "vocab": 8192}


def defines(top_k):
    flags = []
    for name, value in dict(SIZES, top_k=top_k).items():
        flags += ["-D", "%s=%d" % (name, value)]
    return flags


def step_bytes(top_k):
    """f32 weight bytes one decode step reads."""
    s = SIZES
    hd = s["dim"] // s["heads"]
    attention = s["dim"] * (2 * s["heads"] * hd + 2 * s["kv_heads"] * hd)
    router = s["experts"] * s["dim"]
    expert = 3 * s["dim"] * s["ffn"]
    per_layer = attention + router + top_k * expert
    return 4 * (s["layers"] * per_layer + s["vocab"] * s["dim"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-moe"))
    ap.add_argument("--steps", type=int, default=128)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    example = ROOT / "examples" / "mixtral.loom"
    manifest = work / "mixtral.json"
    manifest.write_text(run([LOOMC, example, "--emit=params"] +
                            defines(2)).stdout)
    weights = work / "mixtral.safetensors"
    run([sys.executable, ROOT / "scripts" / "make_checkpoint.py", manifest,
         "-o", weights, "--seed", "0", "--std", "0.02", "--norm-ones"])
    prompt = " ".join(str(7 + i) for i in range(32))
    rows = []
    for top_k in (1, 2, 8):
        exe = work / ("mixtral-top%d" % top_k)
        run([LOOMC, example, "-o", exe] + defines(top_k))
        speeds = []
        for _ in range(3):
            err = run([exe, "--weights", weights, "--prompt-ids", prompt,
                       "-n", str(args.steps), "--bench", "--threads",
                       "2"]).stderr
            speeds.append(decode_rate(err))
        rows.append((top_k, step_bytes(top_k), sorted(speeds)[1]))
    dense_bytes, dense_speed = rows[-1][1], rows[-1][2]
    print("| top_k | weight MB read per decode step | vs all 8 experts "
          "| decode tok/s | speed vs all 8 experts |")
    print("|---|---|---|---|---|")
    for top_k, size, speed in rows:
        print("| %d | %.1f | %.2f | %.1f | %.2f |"
              % (top_k, size / 1e6, size / dense_bytes, speed,
                 speed / dense_speed))


if __name__ == "__main__":
    main()
