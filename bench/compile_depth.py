#!/usr/bin/python3
"""Compile time and program size against depth, with and without
--roll-layers.

  /usr/bin/python3 bench/compile_depth.py [--depths 12,48,96] [--repeats 3]
                                          [--model examples/llama.loom]

Builds the model (its default config but for `layers`) into an executable
with loomc, each depth and setting `--repeats` times, alternating, and
prints a markdown table of the median wall time of loomc (parse to linked
program) and the program's size in bytes, with the ratio of the time at
each depth to the time at the first depth.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(loomc, model, depth, roll, out):
    start = time.perf_counter()
    subprocess.run([str(loomc), str(model), "-D", "layers=%d" % depth,
                    "--roll-layers=%s" % ("true" if roll else "false"),
                    "-o", str(out)], check=True)
    return time.perf_counter() - start


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depths", default="12,48,96")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default=str(ROOT / "examples" /
                                               "llama.loom"))
    args = parser.parse_args(argv)
    depths = [int(d) for d in args.depths.split(",")]
    loomc = ROOT / "build" / "bin" / "loomc"
    subprocess.run([str(ROOT / "scripts" / "build.sh"), "loomc",
                    "LoomRuntime", "LoomRuntimeModel", "LoomRuntimeMain"],
                   check=True)
    times = {}
    sizes = {}
    with tempfile.TemporaryDirectory() as work:
        for _ in range(args.repeats):
            for depth in depths:
                for roll in (True, False):
                    out = Path(work) / ("m-%d-%d" % (depth, roll))
                    seconds = build(loomc, args.model, depth, roll, out)
                    times.setdefault((depth, roll), []).append(seconds)
                    sizes[(depth, roll)] = os.path.getsize(out)
    print("| layers | --roll-layers | loomc s | vs %d layers | program bytes |"
          % depths[0])
    print("|---|---|---|---|---|")
    for roll in (True, False):
        base = statistics.median(times[(depths[0], roll)])
        for depth in depths:
            median = statistics.median(times[(depth, roll)])
            print("| %d | %s | %.2f | %.2f× | %d |" %
                  (depth, "on" if roll else "off", median, median / base,
                   sizes[(depth, roll)]))


if __name__ == "__main__":
    main(sys.argv[1:])
