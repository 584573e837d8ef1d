#!/usr/bin/python3
"""What each compiler option is worth: the same model built with and without
it, run alternately in one session, as ratios to the baseline build.

  /usr/bin/python3 bench/variants.py [--work DIR] [--repeats 3] [--quick]
                                     [--groups fusion,weight]

Variants (each a loomc build of examples/llama.loom or examples/gpt2.loom at
its default ~125M-parameter config, on a random checkpoint):

  llama  plain        --fuse-qkv=false --fuse-gate-up=false
                      --fuse-residual=false                   (baseline)
  llama  fuse-qkv     --fuse-gate-up=false --fuse-residual=false
  llama  fuse-gate-up --fuse-qkv=false --fuse-residual=false
  llama  fuse-residual --fuse-qkv=false --fuse-gate-up=false
  llama  fused        (the default)
  llama  fused + fold-norm --fold-norm
  gpt2   plain        --fuse-qkv=false --fuse-residual=false
                      --fuse-activation=false                 (baseline)
  gpt2   fuse-residual --fuse-qkv=false --fuse-activation=false
  gpt2   fuse-activation --fuse-qkv=false --fuse-residual=false
  gpt2   fused        (the default)
  llama  bf16/f32     BF16 checkpoint, --weight-type=f32      (baseline)
  llama  bf16/keep    BF16 checkpoint, kept in BF16 (the default)
  gpt2   bf16/f32, bf16/keep   the same for GPT-2 (its tied LM head too)

For each: prefill of 128 and 512 tokens and 127 decode steps after a
128-token prompt (tokens/s from the program's --bench report, 2 threads),
and the peak RSS of the decode run. Runs of one group alternate, so the
machine's drift hits every variant alike; the table gives medians and each
variant's ratio to its group's baseline. Results go to stdout (markdown) and
WORK/variants.json.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GROUPS = [
    ("fusion (Llama)", "llama", "F32", [
        ("plain", ["--fuse-qkv=false", "--fuse-gate-up=false",
                   "--fuse-residual=false"]),
        ("fuse-qkv", ["--fuse-gate-up=false", "--fuse-residual=false"]),
        ("fuse-gate-up", ["--fuse-qkv=false", "--fuse-residual=false"]),
        ("fuse-residual", ["--fuse-qkv=false", "--fuse-gate-up=false"]),
        ("fused", []),
        ("fused + fold-norm", ["--fold-norm"]),
    ]),
    ("fusion (GPT-2)", "gpt2", "F32", [
        ("plain", ["--fuse-qkv=false", "--fuse-residual=false",
                   "--fuse-activation=false"]),
        ("fuse-residual", ["--fuse-qkv=false", "--fuse-activation=false"]),
        ("fuse-activation", ["--fuse-qkv=false", "--fuse-residual=false"]),
        ("fused", []),
    ]),
    ("weight type (Llama, BF16 checkpoint)", "llama", "BF16", [
        ("f32", ["--weight-type=f32"]),
        ("keep (bf16)", []),
    ]),
    ("weight type (GPT-2, BF16 checkpoint; tied head)", "gpt2", "BF16", [
        ("f32", ["--weight-type=f32"]),
        ("keep (bf16)", []),
    ]),
]
QUICK_CONFIG = {
    "llama": ["layers=2", "dim=128", "heads=4", "kv_heads=2", "ffn=256",
              "vocab=1000"],
    "gpt2": ["layers=2", "dim=128", "heads=4", "vocab=1000", "positions=600"],
}


def log(message):
    sys.stderr.write("[variants] %s\n" % message)
    sys.stderr.flush()


def run(cmd):
    """Runs `cmd` from the repository root; returns its stdout and stderr."""
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit("command failed (%s): %s\n%s" %
                 (proc.returncode, " ".join(map(str, cmd)),
                  proc.stdout.decode()))
    return proc.stdout.decode()


def timed(cmd):
    """Runs `cmd` under /usr/bin/time; returns (output, peak RSS KiB)."""
    output = run(["/usr/bin/time", "-f", "maxrss %M"] + list(cmd))
    rss = int(re.search(r"maxrss (\d+)", output).group(1))
    return output, rss


def rate(output, phase):
    match = re.search(r"%s \d+ tokens: ([0-9.]+) tokens/s" % phase, output)
    if not match:
        sys.exit("no %s rate in:\n%s" % (phase, output))
    return float(match.group(1))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default=str(ROOT / "build" / "variants"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true",
                        help="tiny models, one repeat (checks the harness)")
    parser.add_argument("--groups", default="",
                        help="comma-separated words; only the groups whose "
                        "title contains one of them (default: all)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 1
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    loomc = ROOT / "build" / "bin" / "loomc"
    run([ROOT / "scripts" / "build.sh", "loomc", "LoomRuntime",
         "LoomRuntimeModel", "LoomRuntimeMain"])

    results = {}
    lines = ["| group | variant | prefill128 tok/s | prefill512 tok/s | "
             "decode tok/s | peak RSS MiB | prefill512 ratio | decode ratio |",
             "|---|---|---|---|---|---|---|---|"]
    words = [w for w in args.groups.split(",") if w]
    for title, model, dtype, variants in GROUPS:
        if words and not any(w in title for w in words):
            continue
        defines = []
        if args.quick:
            for define in QUICK_CONFIG[model]:
                defines += ["-D", define]
        source = ROOT / "examples" / ("%s.loom" % model)
        checkpoint = work / ("%s-%s%s.safetensors" % (
            model, dtype.lower(), "-quick" if args.quick else ""))
        if not checkpoint.exists():
            manifest = work / ("%s%s.json" % (model,
                                               "-quick" if args.quick else ""))
            run([loomc, source, "--emit=params", "-o", manifest] + defines)
            log("writing %s" % checkpoint.name)
            run(["/usr/bin/python3", ROOT / "scripts" / "make_checkpoint.py",
                 manifest, "-o", checkpoint, "--seed", "1", "--std", "0.02",
                 "--norm-ones", "--dtype", dtype])
        programs = []
        for name, flags in variants:
            program = work / ("%s-%s" % (model, re.sub(r"\W+", "-", name)))
            run([loomc, source, "-o", program] + defines + flags)
            programs.append((name, program))
        samples = {name: {"prefill128": [], "prefill512": [], "decode": [],
                          "rss": []} for name, _ in programs}
        short = " ".join(str(i % 1000 + 1) for i in range(128))
        long = " ".join(str(i % 1000 + 1) for i in range(512))
        for repeat in range(args.repeats):
            log("%s: round %d" % (title, repeat + 1))
            for name, program in programs:
                common = ["--weights", checkpoint, "--threads",
                          str(args.threads), "--bench"]
                output, rss = timed([program, "--prompt-ids", short, "-n",
                                     "128"] + common)
                samples[name]["prefill128"].append(rate(output, "prefill"))
                samples[name]["decode"].append(rate(output, "decode"))
                samples[name]["rss"].append(rss / 1024.0)
                output, _ = timed([program, "--prompt-ids", long, "-n", "1"] +
                                  common)
                samples[name]["prefill512"].append(rate(output, "prefill"))
        base = statistics.median(samples[variants[0][0]]["prefill512"]), \
            statistics.median(samples[variants[0][0]]["decode"])
        for name, _ in programs:
            s = samples[name]
            med = {key: statistics.median(values) for key, values in s.items()}
            lines.append("| %s | %s | %.0f | %.0f | %.1f | %.0f | %.2f× | "
                         "%.2f× |" % (title, name, med["prefill128"],
                                      med["prefill512"], med["decode"],
                                      med["rss"], med["prefill512"] / base[0],
                                      med["decode"] / base[1]))
            results.setdefault(title, {})[name] = s
    table = "\n".join(lines)
    print(table)
    with open(work / "variants.json", "w") as f:
        json.dump({"repeats": args.repeats, "threads": args.threads,
                   "quick": args.quick, "samples": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
