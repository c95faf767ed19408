#!/usr/bin/python3
"""Writes core/src/test/resources/golden/clip-<version>.bin: torch.nn.utils.clip_grad_norm_'s own results.

Run by hand, not by the build, with each PyTorch whose bits vecoptim matches, as make_golden.py is run:

    /usr/bin/python3 core/src/test/python/make_clip_golden.py                 # writes clip-1.13.bin
    cp core/src/test/python/make_clip_golden.py /tmp/trixie/tmp/ && chroot /tmp/trixie python3 /tmp/make_clip_golden.py \\
        && cp /tmp/trixie/resources/golden/clip-2.6.bin core/src/test/resources/golden/

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

With --dtype bfloat16, float16 or mixed, the same cases with gradients of that dtype (mixed: each tensor float32,
bfloat16 or float16 at random, never all float16; with 1.13 float32 or bfloat16), into clip-<version>-<dtype>.bin, format b"VOCLIP02": as VOCLIP01, but each tensor's
u32 n is preceded by a u8 dtype (0 float32, 1 bfloat16, 2 float16); every value is stored as the float32 it
widens to, exactly, the total norm too (PyTorch returns it in the gradients' dtype when they share one, else in
float32).
"""
import sys
import os
import random
import struct

os.environ["ATEN_CPU_CAPABILITY"] = "avx2"  # read when torch is imported

import torch  # noqa: E402

VERSION = ".".join(torch.__version__.split("+")[0].split(".")[:2])
GOLDEN = os.path.join(os.path.dirname(__file__), "..", "resources", "golden")
CASES = 250
DTYPES = [torch.float32, torch.bfloat16, torch.float16]


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


def widened(tensor):
    return tensor.detach().float().numpy().astype("<f4").tobytes()


def main(variant):
    if not VERSION.startswith("1.") and torch.backends.cpu.get_cpu_capability() != "AVX2":
        raise SystemExit("PyTorch runs %s kernels, not AVX2: is /proc mounted?" % torch.backends.cpu.get_cpu_capability())
    rng = random.Random(20261206)
    dtypes = random.Random(20261207)
    out = bytearray(b"VOCLIP01" if variant is None else b"VOCLIP02")
    out += struct.pack("<I", CASES)
    for index in range(CASES):
        max_norm, grads = case(rng, index)
        if variant == "mixed":
            # 1.13 cannot clip a float16 total, and computes a float16 gradient's norm in float16 arithmetic (which
            # overflows past 256): vecoptim refuses float16 gradients under its semantics, so its mix has none.
            grads = [g.to(dtypes.choice(DTYPES if not VERSION.startswith("1.") else DTYPES[:2])) for g in grads]
            if all(g.dtype == torch.float16 for g in grads):
                grads[0] = grads[0].float()
        elif variant is not None:
            grads = [g.to(getattr(torch, variant)) for g in grads]
        params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        out += struct.pack("<dH", max_norm, len(grads))
        for g in grads:
            if variant is not None:
                out += struct.pack("<B", DTYPES.index(g.dtype))
            out += struct.pack("<I", g.numel()) + widened(g)
        out += struct.pack("<f", total.float().item())
        for p in params:
            out += widened(p.grad)
    name = "clip-%s.bin" % VERSION if variant is None else "clip-%s-%s.bin" % (VERSION, variant)
    path = os.path.join(GOLDEN, name)
    os.makedirs(GOLDEN, exist_ok=True)
    with open(path, "wb") as file:
        file.write(out)
    print("wrote %d cases to %s with PyTorch %s" % (CASES, path, torch.__version__))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--dtype" and sys.argv[2] in ("bfloat16", "float16", "mixed"):
        main(sys.argv[2])
    elif len(sys.argv) == 1:
        main(None)
    else:
        sys.exit("usage: make_clip_golden.py [--dtype bfloat16|float16|mixed]")
