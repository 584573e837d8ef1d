#!/usr/bin/env python3
"""Checks that the runtime's AVX2 kernels use no AVX-512 instruction.

  isa_check.py LLVM_OBJDUMP LIBRARY

The row-major quantized kernels are chosen on CPUs with AVX2 and no
AVX-512. Compiled with an AVX-512 target, they once used ymm16-31, mask
registers and vpternlog, which such a CPU does not run (SIGILL). This
disassembles LIBRARY and fails if any of those kernels (and their inline
helpers) holds such an instruction, or if none is found at all.
"""

import re
import subprocess
import sys

KERNELS = re.compile(r"dotRows\w*Simd|dotUnsignedSigned|unpackNibbles|hsum")
AVX512 = re.compile(r"%?\b(ymm(1[6-9]|2\d|3[01])|zmm\d+|k[1-7])\b|vpternlog"
                    r"|\{%k")


def main():
    objdump, library = sys.argv[1], sys.argv[2]
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", "-C", library],
                         stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout
    function, checked, bad = None, set(), []
    for line in out.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if header:
            function = header.group(1) if KERNELS.search(header.group(1)) \
                else None
            if function:
                checked.add(function)
            continue
        if function and AVX512.search(line):
            bad.append("%s: %s" % (function, line.strip()))
    for entry in bad[:10]:
        print("  " + entry)
    ok = checked and not bad
    print("%s %d AVX2 kernel functions, %d AVX-512 instructions" % (
        "PASS" if ok else "FAIL", len(checked), len(bad)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
