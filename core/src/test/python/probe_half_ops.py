#!/usr/bin/python3
"""Measures how PyTorch's CPU operations round on bfloat16 and float16 tensors, for docs/semantics.md.

Run by hand, not by the build, with each PyTorch vecoptim matches (as make_golden.py is run):

    /usr/bin/python3 core/src/test/python/probe_half_ops.py
    cp core/src/test/python/probe_half_ops.py /tmp/trixie/tmp/ && chroot /tmp/trixie python3 /tmp/probe_half_ops.py

For each operation torch.optim's single-tensor optimizers run, on 16-bit tensors of random values, it compares
PyTorch's result with models that differ in two things: whether a Python scalar operand is first rounded to
the tensor's dtype ("scalar 16") or kept in float ("scalar 32"), and whether the operation computes in float
from the widened operands and rounds once to the dtype at the end ("once") or rounds its intermediate results
to the dtype too ("each"). It prints, per operation and dtype, the models that give PyTorch's bits for every
element, or "none" (a model is missing). Models computed in float round every intermediate result to float,
with a fused multiply-add where the model says fma.
"""
import os

os.environ["ATEN_CPU_CAPABILITY"] = "avx2"  # as make_golden.py pins it

import numpy as np  # noqa: E402
import torch  # noqa: E402

N = 4096
SCALAR = 0.0123  # no 16-bit value: its rounding to the dtype shows
WEIGHT_LOW, WEIGHT_HIGH = 0.13, 0.87  # lerp's two branches


def to_dtype(x, dtype):
    """float32 numpy -> the dtype, round to nearest even, widened back to float32."""
    return torch.from_numpy(np.asarray(x, dtype=np.float32)).to(dtype).float().numpy()


def f32(x):
    return np.asarray(x, dtype=np.float32)


def fma(a, b, c):
    """rn(a * b + c) in float32, from float32 operands: exact in float64 but for the final rounding."""
    return f32(np.float64(a) * np.float64(b) + np.float64(c))


def lerp(a, b, w):
    """PyTorch's lerp in float: a + w * (b - a) below 0.5, else b - (b - a) * (1 - w), each step rounded."""
    diff = f32(b - a)
    if w < 0.5:
        return fma(w, diff, a)
    return f32(b - f32(diff * f32(1 - w)))


def operations(dtype):
    rng = np.random.default_rng(20261206)
    a = to_dtype(rng.standard_normal(N), dtype)
    u = to_dtype(rng.standard_normal(N) * 3, dtype)
    v = to_dtype(np.abs(rng.standard_normal(N)) + 0.25, dtype)
    t = {name: torch.from_numpy(x).to(dtype) for name, x in (("a", a), ("u", u), ("v", v))}
    s32 = f32(SCALAR)
    s16 = to_dtype(SCALAR, dtype)
    r = lambda x: to_dtype(x, dtype)  # noqa: E731
    ops = []

    def op(name, compute, models):
        try:
            ops.append((name, compute().float().numpy(), models))
        except RuntimeError:  # 1.13 implements some operations for no 16-bit type on CPU
            ops.append((name, None, models))

    op("a.add_(u, alpha=s)", lambda: t["a"].clone().add_(t["u"], alpha=SCALAR), {
        "scalar 16, once, fma": r(fma(s16, u, a)), "scalar 32, once, fma": r(fma(s32, u, a)),
        "scalar 32, once, mul then add": r(f32(a + f32(s32 * u))),
        "scalar 16, once, mul then add": r(f32(a + f32(s16 * u))),
        "scalar 16, each": r(f32(a + r(f32(s16 * u))))})
    op("a.mul_(s)", lambda: t["a"].clone().mul_(SCALAR), {
        "scalar 16, once": r(f32(a * s16)), "scalar 32, once": r(f32(a * s32))})
    op("a.add_(s)", lambda: t["a"].clone().add_(SCALAR), {
        "scalar 16, once": r(f32(a + s16)), "scalar 32, once": r(f32(a + s32))})
    op("a.div_(s)", lambda: t["a"].clone().div_(SCALAR), {
        "scalar 16, once": r(f32(a / s16)), "scalar 32, once": r(f32(a / s32)),
        "scalar 32, reciprocal, once": r(f32(a * f32(1 / s32))),
        "scalar 16, reciprocal, once": r(f32(a * f32(1 / s16)))})
    op("a.mul_(u)", lambda: t["a"].clone().mul_(t["u"]), {"once": r(f32(a * u))})
    op("a.div_(v)", lambda: t["a"].clone().div_(t["v"]), {"once": r(f32(a / v))})
    op("a.addcmul_(u, u, value=s)", lambda: t["a"].clone().addcmul_(t["u"], t["u"], value=SCALAR), {
        "scalar 16, once, fma": r(fma(f32(s16 * u), u, a)), "scalar 32, once, fma": r(fma(f32(s32 * u), u, a)),
        "scalar 32, once, s*(u*u)+a": r(f32(a + f32(s32 * f32(u * u)))),
        "scalar 16, once, s*(u*u)+a": r(f32(a + f32(s16 * f32(u * u)))),
        "scalar 32, each": r(f32(a + r(f32(s32 * r(f32(u * u)))))),
        "scalar 16, each": r(f32(a + r(f32(s16 * r(f32(u * u))))))})
    op("a.addcdiv_(u, v, value=s)", lambda: t["a"].clone().addcdiv_(t["u"], t["v"], value=SCALAR), {
        "scalar 16, once, fma": r(fma(s16, f32(u / v), a)), "scalar 32, once, fma": r(fma(s32, f32(u / v), a)),
        "scalar 32, once, s*(u/v)+a": r(f32(a + f32(s32 * f32(u / v)))),
        "scalar 16, once, s*(u/v)+a": r(f32(a + f32(s16 * f32(u / v)))),
        "scalar 32, once, (s*u)/v+a": r(f32(a + f32(f32(s32 * u) / v))),
        "scalar 16, once, (s*u)/v+a": r(f32(a + f32(f32(s16 * u) / v))),
        "scalar 32, each": r(f32(a + r(f32(s32 * r(f32(u / v)))))),
        "scalar 16, each": r(f32(a + r(f32(s16 * r(f32(u / v))))))})
    for weight in (WEIGHT_LOW, WEIGHT_HIGH):
        w32, w16 = float(f32(weight)), float(to_dtype(weight, dtype))
        op("a.lerp_(u, %s)" % weight, lambda: t["a"].clone().lerp_(t["u"], weight), {
            "weight 16, once": r(np.array([lerp(x, y, w16) for x, y in zip(a, u)])),
            "weight 32, once": r(np.array([lerp(x, y, w32) for x, y in zip(a, u)]))})
    op("v.sqrt()", lambda: t["v"].sqrt(), {"once": r(f32(np.sqrt(np.float64(v))))})
    op("torch.maximum(a, u)", lambda: torch.maximum(t["a"], t["u"]), {"exact": np.maximum(a, u)})
    op("u.abs().add_(s)", lambda: t["u"].abs().add_(SCALAR), {
        "scalar 16, once": r(f32(np.abs(u) + s16)), "scalar 32, once": r(f32(np.abs(u) + s32))})
    op("a.sign()", lambda: t["a"].sign(), {"exact": np.sign(a)})
    return ops


def main():
    cpu = getattr(torch.backends, "cpu", None)  # 1.13 cannot say which kernels it runs
    print("PyTorch", torch.__version__, "CPU capability", cpu.get_cpu_capability() if cpu else "(not said)")
    for dtype in (torch.bfloat16, torch.float16):
        for name, result, models in operations(dtype):
            if result is None:
                print("%-9s %-28s not implemented" % (str(dtype).replace("torch.", ""), name))
                continue
            matching = [model for model, expected in models.items()
                        if np.array_equal(expected.view(np.int32), result.view(np.int32))]
            print("%-9s %-28s %s" % (str(dtype).replace("torch.", ""), name, "; ".join(matching) or "none"))


if __name__ == "__main__":
    main()
