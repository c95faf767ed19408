#!/usr/bin/python3
"""Writes core/src/test/resources/golden/half-<version>.txt: PyTorch's conversions between float32 and bfloat16 and
float16, over every float32 bit pattern and every 16-bit pattern, as CRC-32s of the results in order.

Run by hand, not by the build, once with each PyTorch whose bits vecoptim matches (see make_golden.py for the
commands). HalfConversionsTest converts every pattern with vecoptim's scalar reference and its vector kernels
and demands the same CRC-32s.

A NaN's payload is not compared: PyTorch's scalar and vectorized conversions write different NaNs (bfloat16
0x7FC0 and 0xFFFF), so a NaN result counts as the one vecoptim writes: bfloat16 0x7FC0, float16 0x7E00 with the
NaN's sign, float32 0x7FC00000. Each narrowing result is a little-endian u16, each widening result a little-endian
u32 of float32 bits.
"""
import os
import sys
import zlib

os.environ["ATEN_CPU_CAPABILITY"] = "avx2"  # read when torch is imported

import numpy  # noqa: E402
import torch  # noqa: E402

VERSION = ".".join(torch.__version__.split("+")[0].split(".")[:2])
OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "half-%s.txt" % VERSION)
CHUNK = 1 << 24
FORMATS = {"bfloat16": (torch.bfloat16, 0x7F80, 0x007F, 0x7FC0, False),
           "float16": (torch.float16, 0x7C00, 0x03FF, 0x7E00, True)}


def canonical_halves(halves, exponent, significand, nan, signed):
    bits = halves.astype(numpy.uint16)
    is_nan = ((bits & exponent) == exponent) & ((bits & significand) != 0)
    bits[is_nan] = (bits[is_nan] & 0x8000 if signed else 0) | nan
    return bits


def canonical_floats(floats):
    bits = floats.view(numpy.uint32).copy()
    bits[numpy.isnan(floats)] = 0x7FC00000
    return bits


def main():
    if VERSION not in ("1.13", "2.6"):
        sys.exit("vecoptim matches PyTorch 1.13 and 2.6; this is " + torch.__version__)
    lines = []
    for name, (dtype, exponent, significand, nan, signed) in FORMATS.items():
        crc = 0
        for start in range(0, 1 << 32, CHUNK):
            floats = torch.from_numpy(numpy.arange(start, start + CHUNK, dtype=numpy.uint32).view(numpy.float32))
            halves = floats.to(dtype).view(torch.int16).numpy()
            crc = zlib.crc32(canonical_halves(halves, exponent, significand, nan, signed).astype("<u2").tobytes(), crc)
        lines.append("%s narrow %08x" % (name, crc))
        patterns = torch.from_numpy(numpy.arange(0, 1 << 16, dtype=numpy.uint16).view(numpy.int16)).view(dtype)
        widened = patterns.to(torch.float32).numpy()
        lines.append("%s widen %08x" % (name, zlib.crc32(canonical_floats(widened).astype("<u4").tobytes())))
    with open(OUT, "w") as f:
        f.write("# CRC-32s of PyTorch %s's conversions, by core/src/test/python/make_half_golden.py\n" % torch.__version__)
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
