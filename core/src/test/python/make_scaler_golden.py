#!/usr/bin/python3
"""Golden runs of torch.amp.GradScaler on the CPU (PyTorch 2.3 or later), for GradScalerGoldenTest.

Run by hand with Debian 13's PyTorch 2.6, in the chroot that ../shared/tools/pytorch2-chroot.sh builds (with /proc
mounted); PyTorch 1.13 has no CPU GradScaler:

    D=/tmp/trixie/tmp/scaler; mkdir -p $D && cp core/src/test/python/make_scaler_golden.py $D/
    chroot /tmp/trixie python3 /tmp/scaler/make_scaler_golden.py /tmp/scaler/scaler-2.6.json
    cp $D/scaler-2.6.json core/src/test/resources/golden/

Each case: an SGD optimizer (lr 0.5) over two parameters of one dtype (float32 or bfloat16; PyTorch's GradScaler
refuses float16 gradients), a GradScaler of small init_scale and growth_interval so that the scale grows and
backs off within a few steps, and steps whose gradients are integer formulas times the scale, some of them
infinite or NaN. Per step: the gradients set (their bits), whether unscale_() is called before step(), and after
step() and update(): the parameters' bits, the scale and the growth tracker. Bits are integers: float32 bits, or
bfloat16 bits for bfloat16 tensors.
"""
import json
import os
import sys

os.environ["ATEN_CPU_CAPABILITY"] = "avx2"  # read when torch is imported, as make_golden.py does

import torch  # noqa: E402

STEPS = 12
SIZES = (37, 5)


def bits(tensor):
    flat = tensor.detach().reshape(-1)
    if flat.dtype == torch.bfloat16:
        return [int(b) & 0xFFFF for b in flat.view(torch.int16).tolist()]
    return [int(b) & 0xFFFFFFFF for b in flat.view(torch.int32).tolist()]


def gradient(i, k, t, scale):
    """A gradient element of step t, times the scale; step 4 holds an infinity and step 9 a NaN."""
    if t == 4 and i == 1 and k == 2:
        return float("inf")
    if t == 9 and i == 0 and k == 30:
        return float("nan")
    base = ((k * 29 + t * 13 + i * 7) % 31 - 15) / 64.0
    return base * scale * (1.0 if t != 7 else 1e6)  # step 7 overflows bfloat16 once scaled up twice


def run(dtype, init_scale, growth_interval, unscale_first):
    params = [torch.nn.Parameter(torch.tensor([((k * 13 + i * 7) % 19 - 9) / 16.0 for k in range(n)],
                                              dtype=torch.float32).to(dtype)) for i, n in enumerate(SIZES)]
    optimizer = torch.optim.SGD(params, lr=0.5, momentum=0.5, foreach=False)
    scaler = torch.amp.GradScaler("cpu", init_scale=init_scale, growth_factor=2.0, backoff_factor=0.25,
                                  growth_interval=growth_interval)
    steps = []
    for t in range(1, STEPS + 1):
        scaler.scale(torch.ones(()))  # the loss, scaled: what starts the scale at init_scale
        scale = scaler.get_scale()
        for i, p in enumerate(params):
            values = torch.tensor([gradient(i, k, t, scale) for k in range(p.numel())], dtype=torch.float32)
            p.grad = values.to(dtype)
        fed = [bits(p.grad) for p in params]
        unscale = unscale_first and t % 3 == 1
        if unscale:
            scaler.unscale_(optimizer)
        scaler.step(optimizer)
        scaler.update()
        steps.append({"grads": fed, "unscale": unscale, "params": [bits(p) for p in params],
                      "scale": int(torch.tensor(scaler.get_scale(), dtype=torch.float32).view(torch.int32)) & 0xFFFFFFFF,
                      "growth_tracker": scaler._get_growth_tracker()})
    return {"dtype": "BFLOAT16" if dtype == torch.bfloat16 else "FLOAT32", "init_scale": init_scale,
            "growth_interval": growth_interval, "backoff_factor": 0.25, "growth_factor": 2.0, "lr": 0.5,
            "momentum": 0.5, "initial": [bits(torch.tensor([((k * 13 + i * 7) % 19 - 9) / 16.0 for k in range(n)],
                                                            dtype=torch.float32).to(dtype))
                                         for i, n in enumerate(SIZES)],
            "steps": steps}


def main(path):
    cases = []
    for dtype in (torch.float32, torch.bfloat16):
        for init_scale, growth_interval in ((1024.0, 3), (3.0e38, 2), (1.0, 1)):
            for unscale_first in (False, True):
                cases.append(run(dtype, init_scale, growth_interval, unscale_first))
    with open(path, "w") as out:
        json.dump({"torch_version": torch.__version__, "cases": cases}, out)
    print("recorded %d cases with PyTorch %s" % (len(cases), torch.__version__))


if __name__ == "__main__":
    if torch.backends.cpu.get_cpu_capability() != "AVX2":
        sys.exit("PyTorch runs its %s kernels; mount /proc in the chroot" % torch.backends.cpu.get_cpu_capability())
    if len(sys.argv) != 2:
        sys.exit("usage: make_scaler_golden.py OUT.json")
    main(sys.argv[1])
