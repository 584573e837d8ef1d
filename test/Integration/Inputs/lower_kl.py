#!/usr/bin/env python3
"""Checks that one --compare-logits report's mean KL is below another's.

  lower_kl.py BETTER.txt WORSE.txt [--factor F]

Passes when BETTER's mean KL divergence is below F times WORSE's.
"""

import argparse
import sys


def mean_kl(path):
    with open(path) as f:
        for line in f:
            if "KL divergence" in line:
                return float(line.split("mean")[1].split(",")[0])
    sys.exit("FAIL %s has no KL divergence line" % path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("better")
    ap.add_argument("worse")
    ap.add_argument("--factor", type=float, default=1.0)
    args = ap.parse_args()
    better, worse = mean_kl(args.better), mean_kl(args.worse)
    ok = better < args.factor * worse
    print("%s mean KL %.6f vs %.6f (%.2fx)" % ("PASS" if ok else "FAIL",
                                              better, worse,
                                              better / worse if worse else 0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
