#!/usr/bin/python3
"""SmolLM2-135M-Instruct from its GGUF file: decode against the memory's
ceiling, in one run.

  .venv/bin/python bench/smollm2_decode.py [--work DIR] [--repeats 3]

Compiles examples/smollm2.loom in the file's own formats (Q4_1 products,
the tied embedding and LM head in Q8_0: the program multiplies the stored
bytes as they are) and decodes 127 tokens after a 128-token prompt on 2
threads, a short STREAM run around each decode run. A decode step's
ceiling is the triad bandwidth over the bytes it reads:

  bytes per token = every product's stored bytes (the LM head's too)
                  + one f32 embedding row + the norms (f32)
                  + the KV cache at the mean context (f32, every layer)

Prints the medians as a markdown row; docs/quantization.md keeps the latest.
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
import smollm2  # noqa: E402

PROMPT, STEPS = 128, 128


def bytes_per_token(path, cfg):
    """Bytes a decode step reads, from the file's own tensor sizes."""
    import gguf
    total = 0.0
    for t in gguf.GGUFReader(path).tensors:
        shape = [int(d) for d in t.shape]
        if t.name == "token_embd.weight":
            total += int(t.n_bytes) + 4 * shape[0]   # the head, one row
        elif len(shape) == 2:
            total += int(t.n_bytes)                  # a product's weight
        else:
            total += 4 * int(t.n_elements)           # norms, decoded
    kv_width = cfg["kv_heads"] * (cfg["dim"] // cfg["heads"])
    context = PROMPT + STEPS / 2
    return total + cfg["layers"] * 2 * context * kv_width * 4


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default=str(ROOT / "build" / "smollm2-bench"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    model = smollm2.gguf()
    cfg = json.loads(smollm2.run([smollm2.LOOMC, smollm2.EXAMPLE,
                                  "--emit=params"]).stdout)["config"]
    exe = work / "smollm2-stored"
    smollm2.run([smollm2.LOOMC, smollm2.EXAMPLE, "-o", exe] +
                smollm2.QUANTIZED)
    stream = bench.build_helper("stream.c", work / "stream", work, [])
    size = bytes_per_token(model, cfg)
    rates, triads, fractions = [], [], []
    for _ in range(args.repeats):
        before = max(bench.measure_stream(stream, work, 2, bench.FULL, 5)
                     ["triad_gbs"])
        err = smollm2.run([exe, "--weights", model, "--prompt-ids",
                           " ".join(["1"] * PROMPT), "-n", str(STEPS),
                           "--bench", "--threads", "2"]).stderr
        after = max(bench.measure_stream(stream, work, 2, bench.FULL, 5)
                    ["triad_gbs"])
        rate = smollm2.decode_rate(err)
        triad = (before + after) / 2
        rates.append(rate)
        triads.append(triad)
        fractions.append(rate * size / (triad * 1e9))
    print("| model | bytes/token | decode tok/s | streamed GB/s | "
          "triad GB/s | decode / ceiling |")
    print("|---|---|---|---|---|---|")
    rate = statistics.median(rates)
    print("| SmolLM2-135M, stored Q4_1 + Q8_0 | %.1f MB | %.1f | %.1f | "
          "%.1f | %.0f%% |" % (size / 1e6, rate, rate * size / 1e9,
                              statistics.median(triads),
                              100 * statistics.median(fractions)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
