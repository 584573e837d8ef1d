#!/usr/bin/env python3
"""Makes a few input channels of every norm loud, as trained models have.

  loud_channels.py IN.safetensors OUT.safetensors [--factor 25]

Multiplies channels 3, 17 and 40 of every `*layernorm.weight` by FACTOR:
the products that read those norms then see outlier channels, which
rounding activations to 8 bits per block of 32 handles poorly.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))
import reference as ref  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--factor", type=float, default=25.0)
    args = ap.parse_args()
    tensors = ref.load_safetensors(args.input)
    for name, value in tensors.items():
        if name.endswith("layernorm.weight"):
            value[[3, 17, 40]] *= args.factor
    ref.save_safetensors(args.output, tensors)


if __name__ == "__main__":
    main()
