#!/usr/bin/python3
"""Attention written out in tensor primitives against the built-in layer.

  /usr/bin/python3 bench/attention_written_out.py [--work DIR]

examples/attention.loom's `Llama` (attention as split_heads, rope, scores,
causal, softmax, matmul, merge_heads) and examples/llama.loom (the built-in
Attention), both at the `small` config (12 layers, dim 768, 12 heads, 4 KV
heads, FFN 2048, vocab 32000) on the same random weights
(scripts/make_checkpoint.py, seed 0, std 0.02): the two checkpoints have the
same tensor names. For each: prefill tokens/s of a 512-token prompt, and
decode tokens/s (127 steps after a 128-token prompt), 2 threads, median of
3; then the written-out speeds as ratios to the built-in's. Prints a
markdown table; docs/language.md keeps the latest figures.
"""

import argparse
import re
import sys
from pathlib import Path

from smollm2 import LOOMC, ROOT, decode_rate, run


def prefill_rate(stderr):
    """Prefill tokens/s from a program's --bench report."""
    return float(re.search(r"prefill \d+ tokens: ([0-9.]+)", stderr).group(1))


def median(exe, weights, prompt, steps, rate):
    speeds = []
    for _ in range(3):
        err = run([exe, "--weights", weights, "--prompt-ids", prompt, "-n",
                   str(steps), "--bench", "--threads", "2"]).stderr
        speeds.append(rate(err))
    return sorted(speeds)[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work",
                    default=str(ROOT / "build" / "bench-attention-written"))
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    builtin = ROOT / "examples" / "llama.loom"
    written = ROOT / "examples" / "attention.loom"
    manifest = work / "llama.json"
    manifest.write_text(run([LOOMC, builtin, "--emit=params"]).stdout)
    weights = work / "llama.safetensors"
    run([sys.executable, ROOT / "scripts" / "make_checkpoint.py", manifest,
         "-o", weights, "--seed", "0", "--std", "0.02", "--norm-ones"])
    long_prompt = " ".join(str(7 + i % 1000) for i in range(512))
    short_prompt = " ".join(str(7 + i) for i in range(128))
    rows = []
    for name, example, flags in (("built-in Attention", builtin, []),
                                 ("written out", written,
                                  ["--model", "Llama"])):
        exe = work / ("llama-" + name.split()[0])
        run([LOOMC, example, "-o", exe] + flags)
        prefill = median(exe, weights, long_prompt, 1, prefill_rate)
        decode = median(exe, weights, short_prompt, 128, decode_rate)
        rows.append((name, prefill, decode))
    base = rows[0]
    print("| attention | prefill 512 tok/s | vs built-in | decode tok/s "
          "| vs built-in |")
    print("|---|---|---|---|---|")
    for name, prefill, decode in rows:
        print("| %s | %.1f | %.3f | %.1f | %.3f |"
              % (name, prefill, prefill / base[1], decode, decode / base[2]))


if __name__ == "__main__":
    main()
