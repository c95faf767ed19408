#!/usr/bin/python3
"""Checks what docs/semantics.md says of PyTorch 2.x's fused=True CPU steps that vecoptim does not reproduce.

Run by hand, not by the build, with PyTorch 2.6 (in the chroot that ../shared/tools/pytorch2-chroot.sh builds, as
make_golden.py is run); PyTorch 1.13 has no fused CPU step:

    cp core/src/test/python/probe_fused_steps.py /tmp/trixie/tmp/ && chroot /tmp/trixie python3 /tmp/probe_fused_steps.py

It prints, for fused SGD and Adagrad on bfloat16 and float16 tensors of 100 and 64 elements, which parameters three
steps changed and where they differ from the float32 step rounded once at each store (vecoptim's fused(true));
for Adagrad, also from that step with lr, eps and weight_decay first rounded to the dtype, and with a decaying
learning rate from a model whose clr is rounded in PyTorch's vector body only; and for fused Adam,
AdamW, SGD and Adagrad on float32 tensors, where they differ from the single-tensor step. Measured on 2026-12-07
(2.6.0, AVX2 pinned; the same with the machine's AVX-512 kernels, --machine-kernels):

    SGD bfloat16 n=100 momentum=0.0: changed [96, 97, 98, 99] of 100; differs from round-once at 94
    SGD bfloat16 n=100 momentum=0.9: changed [96, 97, 98, 99] of 100; differs from round-once at 96
    SGD bfloat16 n=64 (either momentum): changed [] of 64; differs from round-once at 64
    SGD float16: as bfloat16
    Adagrad bfloat16 n=100: differs from round-once at [5, 43, 88]; with lr, eps, weight_decay rounded at []
    Adagrad bfloat16 n=64: at [20, 40, 53]; rounded: []
    Adagrad float16 n=100: at [16, 58, 63, 93]; rounded: []      n=64: at [47, 49, 52, 59]; rounded: []
    Adagrad with lr_decay 0.07, n = 100, 37, 64, 77, 101, 130, 45, against that model with clr rounded to the
    dtype in the first n - n % 32 elements and a float in the rest: equal in all but float16 n=101, which differs
    at parameter [97], in the tail
    float32 Adam n=1007: fused differs from single-tensor at [1000]; n=1000 and 1003: nowhere
    float32 AdamW, SGD, Adagrad n=1000, 1003, 1007: nowhere
"""
import os
import sys

if len(sys.argv) < 2 or sys.argv[1] != "--machine-kernels":
    os.environ["ATEN_CPU_CAPABILITY"] = "avx2"  # as make_golden.py pins it

import torch  # noqa: E402


def rounded_once(cls, p0, grads, dtype, **kw):
    """The float32 single-tensor step of p0, the parameter and every state buffer rounded to dtype at each store."""
    q = p0.float().clone().requires_grad_()
    opt = cls([q], foreach=False, **kw)
    for g in grads:
        q.grad = g.float()
        opt.step()
        with torch.no_grad():
            q.copy_(q.to(dtype).float())
            for value in opt.state[q].values():
                if torch.is_tensor(value) and value.dim() > 0:
                    value.copy_(value.to(dtype).float())
    return q.detach()


def fused(cls, p0, grads, **kw):
    p = p0.clone().requires_grad_()
    opt = cls([p], fused=True, **kw)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    return p.detach()


def indices(mask):
    return mask.nonzero().flatten().tolist()


def in_dtype(value, dtype):
    return float(torch.tensor(value, dtype=dtype).float())


def adagrad_against_split_model(dtype, n, steps=4):
    """Fused Adagrad with a decaying learning rate against the float32 step rounded once at each store, whose clr
    (computed in double) is rounded to the dtype in PyTorch's vector body and kept a float in its scalar tail."""
    lr, lr_decay, eps, weight_decay, initial = 0.0213, 0.07, 1e-7, 0.013, 0.1
    p0 = torch.randn(n).to(dtype)
    grads = [torch.randn(n).to(dtype) for _ in range(steps)]
    p = p0.clone().requires_grad_()
    opt = torch.optim.Adagrad([p], fused=True, lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                              initial_accumulator_value=initial)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    body = n - n % 32
    q = p0.float().clone()
    total = torch.full((n,), initial).to(dtype).float()
    for t, g in enumerate(grads, 1):
        g = g.float() + in_dtype(weight_decay, dtype) * q
        total = total + g * g
        clr = lr / (1 + (t - 1) * lr_decay)
        clrs = torch.tensor([in_dtype(clr, dtype) if i < body else clr for i in range(n)])
        q = (q - clrs * g / (total.sqrt() + in_dtype(eps, dtype))).to(dtype).float()
        total = total.to(dtype).float()
    return indices(p.detach().float() != q), indices(opt.state[p]["sum"].float() != total)


def main():
    torch.manual_seed(0)
    print("PyTorch", torch.__version__, torch.backends.cpu.get_cpu_capability())
    for dtype in (torch.bfloat16, torch.float16):
        for n in (100, 64):
            p0 = torch.randn(n).to(dtype)
            grads = [torch.randn(n).to(dtype) for _ in range(3)]
            for momentum in (0.0, 0.9):
                got = fused(torch.optim.SGD, p0, grads, lr=0.1, momentum=momentum)
                print("SGD %s n=%d momentum=%s: changed %s of %d; differs from round-once at %d" % (
                    dtype, n, momentum, indices(got != p0), n,
                    len(indices(got.float() != rounded_once(torch.optim.SGD, p0, grads, dtype, lr=0.1,
                                                             momentum=momentum)))))
            lr, eps, weight_decay = 0.0123, 1e-7, 0.013
            got = fused(torch.optim.Adagrad, p0, grads, lr=lr, eps=eps, weight_decay=weight_decay).float()
            plain = rounded_once(torch.optim.Adagrad, p0, grads, dtype, lr=lr, eps=eps, weight_decay=weight_decay)
            rounded = rounded_once(torch.optim.Adagrad, p0, grads, dtype, lr=in_dtype(lr, dtype),
                                   eps=in_dtype(eps, dtype), weight_decay=in_dtype(weight_decay, dtype))
            print("Adagrad %s n=%d: differs from round-once at %s; with lr, eps, weight_decay rounded at %s" % (
                dtype, n, indices(got != plain), indices(got != rounded)))
    for dtype in (torch.bfloat16, torch.float16):
        for n in (100, 37, 64, 77, 101, 130, 45):
            print("Adagrad %s n=%d, lr_decay 0.07: differs from the float32 step rounded once, clr rounded to the dtype"
                  " in the first n - n %% 32 elements and a float in the rest, at %s (parameter) and %s (sum)"
                  % ((dtype, n) + adagrad_against_split_model(dtype, n)))
    for cls, kw in ((torch.optim.Adam, dict(lr=0.0029, betas=(0.87, 0.9951), eps=3e-7, weight_decay=0.021)),
                    (torch.optim.AdamW, dict(lr=0.0029, betas=(0.87, 0.9951), eps=3e-7, weight_decay=0.021)),
                    (torch.optim.SGD, dict(lr=0.0123, momentum=0.9, weight_decay=0.013)),
                    (torch.optim.Adagrad, dict(lr=0.0213, weight_decay=0.013))):
        for n in (1000, 1003, 1007):
            p0 = torch.randn(n)
            grads = [torch.randn(n) for _ in range(4)]
            single = p0.clone().requires_grad_()
            opt = cls([single], foreach=False, **kw)
            for g in grads:
                single.grad = g.clone()
                opt.step()
            print("float32 %s n=%d: fused differs from single-tensor at %s" % (
                cls.__name__, n, indices(fused(cls, p0, grads, **kw) != single.detach())))


if __name__ == "__main__":
    main()
