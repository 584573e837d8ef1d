#!/usr/bin/python3
"""Quantized weights against the memory's ceiling and against fp32, in one run.

  /usr/bin/python3 bench/quant.py [--work DIR] [--repeats 3] [--quick]
                                  [--formats q8_0,q4_0,q4_1,q4_k,int8]

A format written FORMAT:INPUTS (INPUTS int8x2 or bf16) is built with
`--quantize-inputs=INPUTS` (int8x2: each product's input rounded to 8 bits
and its error to 8 more, two integer products; bf16: each input rounded to
bfloat16, bfloat16 dot products); FORMAT:INPUTSh likewise except the LM
head, whose input keeps int8 (`--quantize-override=lm_head=FORMAT:int8`).
Both mixes meet SmolLM2's 8-bit quality goal (docs/quantization.md).

Compiles examples/llama.loom at its default (`small`, ~125M parameters)
config as fp32 and with `loomc --quantize=FORMAT` for each format, on one
random checkpoint, and runs each alternately (so the machine's drift hits
every build alike): 512-token prefill, and 127 decode steps after a
128-token prompt, on 2 threads. Around every decode run, a short STREAM
run measures the bandwidth; a decode step's ceiling is the triad bandwidth
(as in bench.py) over the bytes it reads:

  bytes per token = sum over products of weights x bits per weight / 8
                    (fp32: 32; q8_0: 8.5; q4_0: 4.5; q4_1: 5; q4_k: 4.5;
                     int8: 8, and a 4-byte scale a row)
                  + one f32 row of the token embedding
                  + the KV cache read at the mean context (keys and values,
                    f32, every layer)

The table gives medians: decode and prefill tokens/s, bytes per token, the
bytes per second a decode step streams (bytes per token x tokens/s), the
fraction of the ceiling each decode run reached (median of runs), and each
format's ratio to fp32. A decode step only reads, and on this VM it streams
faster than STREAM's triad (and its read kernel) run: fractions over 100%
say that the kernels are at the memory's limit. Results go to stdout (markdown) and
WORK/quant.json. docs/performance.md keeps the latest figures.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.dont_write_bytecode = True
import bench  # noqa: E402

BITS = {"fp32": 32.0, "q8_0": 8.5, "q4_0": 4.5, "q4_1": 5.0, "q4_k": 4.5,
        "int8": 8.0}
# Bytes a row of a product's weight takes besides its weights (int8's scale).
ROW_BYTES = {"int8": 4}
QUICK = ["layers=2", "dim=128", "heads=4", "kv_heads=2", "ffn=256",
         "vocab=1000"]


def bytes_per_token(manifest, fmt, context):
    """Bytes a decode step reads at a mean context of `context` tokens."""
    cfg = manifest["config"]
    total = 0.0
    for t in manifest["tensors"]:
        count = 1
        for d in t["shape"]:
            count *= d
        if t["name"] == "model.embed_tokens.weight":
            total += 4 * t["shape"][1]       # one f32 row
        elif len(t["shape"]) == 2:
            base = fmt.split(":")[0]
            total += (count * BITS[base] / 8  # a product's weight, whole
                      + ROW_BYTES.get(base, 0) * t["shape"][0])
        else:
            total += 4 * count               # norms
    kv_width = cfg["kv_heads"] * (cfg["dim"] // cfg["heads"])
    return total + cfg["layers"] * 2 * context * kv_width * 4


def render(runs, manifest, formats, context, prefill, args):
    """The markdown table of `runs` (per format: lists of samples)."""
    med = {fmt: {k: statistics.median(v) for k, v in r.items()}
           for fmt, r in runs.items()}
    lines = ["| weights | bits/weight | bytes/token | decode tok/s | "
             "streamed GB/s | decode / ceiling | decode vs fp32 | "
             "prefill%d tok/s | prefill vs fp32 |" % prefill,
             "|---|---|---|---|---|---|---|---|---|"]
    for fmt in formats:
        m = med[fmt]
        size = bytes_per_token(manifest, fmt, context)
        lines.append("| %s | %.1f | %.1f MB | %.1f | %.1f | %.0f%% | %.2fx | "
                     "%.1f | %.2fx |" % (
                         fmt, BITS[fmt.split(":")[0]], size / 1e6, m["decode"],
                         m["decode"] * size / 1e9, 100 * m["fraction"],
                         m["decode"] / med["fp32"]["decode"], m["prefill"],
                         m["prefill"] / med["fp32"]["prefill"]))
    reads = sum((r["read"] for r in runs.values()), [])
    triads = sum((r["triad"] for r in runs.values()), [])
    lines.append("")
    lines.append("STREAM around the decode runs: triad median %.1f GB/s "
                 "(%s), read median %.1f GB/s; %d repeats, %d threads." % (
                     statistics.median(triads),
                     ", ".join("%.1f" % t for t in triads),
                     statistics.median(reads), args.repeats, args.threads))
    return "\n".join(lines)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default=str(ROOT / "build" / "quant-bench"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--formats", default="q8_0,q4_0,q4_1,q4_k,int8")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny model, one repeat (checks the harness)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 1
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    defines = QUICK if args.quick else []
    mode = bench.QUICK if args.quick else bench.FULL
    prefill = 64 if args.quick else 512
    prompt, steps = (32, 16) if args.quick else (128, 128)

    bench.run([ROOT / "scripts" / "build.sh"] + bench.BUILD_TARGETS, work)
    loomc = ROOT / "build" / "bin" / "loomc"
    stream = bench.build_helper("stream.c", work / "stream", work, [])
    source = "examples/llama.loom"
    manifest_path = work / "llama.json"
    bench.run(bench.loomc_cmd(loomc, source, defines) +
              ["--emit=params", "-o", manifest_path], work)
    manifest = json.loads(manifest_path.read_text())
    ckpt = work / "llama.safetensors"
    bench.make_checkpoint(manifest_path, ckpt, work)

    formats = ["fp32"] + [f for f in args.formats.split(",") if f]
    exes = {}
    for fmt in formats:
        exes[fmt] = work / ("llama_" + fmt)
        base, _, variant = fmt.partition(":")
        inputs = variant[:-1] if variant.endswith("h") else variant
        if inputs not in ("", "int8x2", "bf16"):
            sys.exit("unknown variant '%s' of %s (int8x2, bf16, int8x2h and "
                     "bf16h are)" % (variant, base))
        flags = [] if fmt == "fp32" else ["--quantize=" + base]
        if inputs:
            flags.append("--quantize-inputs=" + inputs)
        if variant.endswith("h"):
            flags.append("--quantize-override=lm_head=%s:int8" % base)
        bench.log("compiling %s" % fmt)
        bench.run(bench.loomc_cmd(loomc, source, defines) + flags +
                  ["-o", exes[fmt]], work)

    def bandwidth():
        """Best read and triad GB/s of a short STREAM run."""
        data = bench.measure_stream(stream, work, args.threads, mode,
                                    mode["stream_pair_iterations"])
        return max(data["read_gbs"]), max(data["triad_gbs"])

    runs = {fmt: {"decode": [], "prefill": [], "fraction": [], "read": [],
                  "triad": []}
            for fmt in formats}
    context = prompt + steps / 2
    for repeat in range(args.repeats):
        for fmt in formats:
            bench.log("repeat %d: %s" % (repeat + 1, fmt))
            read0, triad0 = bandwidth()
            decode = bench.run_loom(exes[fmt], ckpt, work, args.threads,
                                    prompt, steps)["rates"]["decode"]
            read1, triad1 = bandwidth()
            ceiling = (triad0 + triad1) / 2 * 1e9 / bytes_per_token(
                manifest, fmt, context)
            fill = bench.run_loom(exes[fmt], ckpt, work, args.threads,
                                  prefill, 1)["rates"]["prefill"]
            r = runs[fmt]
            r["decode"].append(decode)
            r["prefill"].append(fill)
            r["read"].append((read0 + read1) / 2)
            r["triad"].append((triad0 + triad1) / 2)
            r["fraction"].append(decode / ceiling)

    text = render(runs, manifest, formats, context, prefill, args)
    print(text)
    (work / "quant.json").write_text(json.dumps(
        {"runs": runs, "table": text}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
