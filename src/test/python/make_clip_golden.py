#!/usr/bin/python3
"""Writes src/test/resources/golden/clip-<version>.bin: torch.nn.utils.clip_grad_norm_'s own results.

Run by hand, not by the build, with each PyTorch whose bits vecoptim matches, as make_golden.py is run:

    /usr/bin/python3 src/test/python/make_clip_golden.py                 # writes clip-1.13.bin
    cp src/test/python/make_clip_golden.py /tmp/trixie/tmp/ && chroot /tmp/trixie python3 /tmp/make_clip_golden.py \\
        && cp /tmp/trixie/resources/golden/clip-2.6.bin src/test/resources/golden/

PyTorch's norm is a float32 reduction whose order is its CPU kernel's: pinned to AVX2, as make_golden.py pins
it (1.13's AVX-512 kernels, used only when asked for, sum 16 lanes and round otherwise; the pre-AVX2 "default"
kernels fuse nothing). The script refuses to write when PyTorch 2.x says it runs anything else.

Each case: a few gradients of random lengths (multiples of 8 and not, so that every tail occurs, and enough
tensors that the norm of their norms has tails too), random scales, sometimes a value whose square overflows
float32 or a NaN or an infinity, and a max_norm below or above the norm; clip_grad_norm_(max_norm) of
parameters holding them (norm type 2, the default foreach choice).

Format, little-endian: b"VOCLIP01", u32 case count, then per case: f64 max_norm, u16 tensor count, per
tensor u32 n and f32[n] gradient; then f32 the total norm PyTorch returned, and per tensor f32[n] the gradient
after clipping.
"""
import os
import random
import struct

os.environ["ATEN_CPU_CAPABILITY"] = "avx2"  # read when torch is imported

import torch  # noqa: E402

VERSION = ".".join(torch.__version__.split("+")[0].split(".")[:2])
OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "clip-%s.bin" % VERSION)
CASES = 250


def case(rng, index):
    count = rng.choice([1, 2, 3, 5, 8, 9, 13, 17])
    grads = []
    for _ in range(count):
        n = rng.choice([rng.randint(1, 9), rng.randint(1, 100), 8 * rng.randint(1, 24), rng.randint(1, 400)])
        scale = 10.0 ** rng.uniform(-4, 4)
        values = [rng.gauss(0.0, 1.0) * scale for _ in range(n)]
        special = rng.random()
        if index % 37 == 5 and special < 0.3:
            values[rng.randrange(n)] = 3e30  # its square overflows float32: the norm is infinite
        elif index % 37 == 11 and special < 0.3:
            values[rng.randrange(n)] = float("nan")
        elif index % 37 == 17 and special < 0.3:
            values[rng.randrange(n)] = float("-inf")
        grads.append(torch.tensor(values, dtype=torch.float32))
    max_norm = 10.0 ** rng.uniform(-3, 5)
    return max_norm, grads


def main():
    if not VERSION.startswith("1.") and torch.backends.cpu.get_cpu_capability() != "AVX2":
        raise SystemExit("PyTorch runs %s kernels, not AVX2: is /proc mounted?" % torch.backends.cpu.get_cpu_capability())
    rng = random.Random(20261206)
    out = bytearray(b"VOCLIP01")
    out += struct.pack("<I", CASES)
    for index in range(CASES):
        max_norm, grads = case(rng, index)
        params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        out += struct.pack("<dH", max_norm, len(grads))
        for g in grads:
            out += struct.pack("<I", g.numel()) + g.numpy().astype("<f4").tobytes()
        out += struct.pack("<f", total.item())
        for p in params:
            out += p.grad.numpy().astype("<f4").tobytes()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as file:
        file.write(out)
    print("wrote %d cases to %s with PyTorch %s" % (CASES, OUT, torch.__version__))


if __name__ == "__main__":
    main()
