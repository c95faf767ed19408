#!/usr/bin/python3
"""Golden runs of CyclicLR and OneCycleLR cycling the momentum (cycle_momentum=True) through optimizer steps, for
CycledMomentumTest.

Run by hand with PyTorch 1.13 (Debian 12's python3-torch) and 2.6 (Debian 13's, in the chroot that
../shared/tools/pytorch2-chroot.sh builds, with /proc mounted):

    /usr/bin/python3 core/src/test/python/make_cycle_golden.py core/src/test/resources/golden/cycle-1.13.json
    D=/tmp/trixie/tmp/cycle; mkdir -p $D && cp core/src/test/python/make_cycle_golden.py $D/
    chroot /tmp/trixie python3 /tmp/cycle/make_cycle_golden.py /tmp/cycle/cycle-2.6.json
    cp $D/cycle-2.6.json core/src/test/resources/golden/

Each case: an optimizer (single-tensor, foreach=False) of two float32 parameters (SIZES), a scheduler cycling the
momentum, and STEPS times: the gradients of the step set (gradient(k, i, t), as the test computes them),
optimizer.step(), scheduler.step(). After each step: the parameters' bits, and the momentum (or beta1) and rate
that the step used (float.hex). A case PyTorch refuses (1.13's CyclicLR on Adam) records its message instead.
"""
import json
import sys

import torch
from torch.optim import lr_scheduler

SIZES = (37, 5)
STEPS = 20


def gradient(k, i, t):
    return float(torch.tensor(((i * 5 + k * 11 + t * 17) % 23 - 11) * 0.013, dtype=torch.float32))


def initial(k, i):
    return float(torch.tensor(((i * 3 + k * 7) % 19 - 9) * 0.05, dtype=torch.float32))


CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9},
     ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 4,
                   "base_momentum": 0.8, "max_momentum": 0.9})),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True},
     ("OneCycleLR", {"max_lr": 0.1, "total_steps": STEPS, "base_momentum": 0.85, "max_momentum": 0.95})),
    ("Adam", {"lr": 0.001},
     ("OneCycleLR", {"max_lr": 0.01, "total_steps": STEPS, "three_phase": True, "anneal_strategy": "linear",
                     "base_momentum": 0.85, "max_momentum": 0.95})),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5},
     ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 2, "step_size_down": 5, "mode": "exp_range",
                   "gamma": 0.95, "base_momentum": 0.3, "max_momentum": 0.6})),
    ("Adam", {"lr": 0.001},
     ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.005, "step_size_up": 4, "step_size_down": 4,
                   "base_momentum": 0.8, "max_momentum": 0.9})),
]


def bits(tensor):
    return [int(b) & 0xFFFFFFFF for b in tensor.detach().reshape(-1).view(torch.int32).tolist()]


def run(optimizer_name, optimizer_arguments, scheduler_name, scheduler_arguments):
    parameters = [torch.tensor([initial(k, i) for i in range(n)], requires_grad=True) for k, n in enumerate(SIZES)]
    optimizer = getattr(torch.optim, optimizer_name)(parameters, foreach=False, **optimizer_arguments)
    try:
        scheduler = getattr(lr_scheduler, scheduler_name)(optimizer, **scheduler_arguments)
    except ValueError as refused:
        return {"refused": str(refused)}
    steps = []
    for t in range(STEPS):
        group = optimizer.param_groups[0]
        momentum = group["betas"][0] if "betas" in group else group["momentum"]
        rate = group["lr"]
        for k, p in enumerate(parameters):
            p.grad = torch.tensor([gradient(k, i, t) for i in range(p.numel())], dtype=torch.float32)
        optimizer.step()
        scheduler.step()
        steps.append({"momentum": float(momentum).hex(), "lr": float(rate).hex(), "values": [bits(p) for p in parameters]})
    return {"steps": steps}


def main(out):
    cases = [dict({"optimizer": o, "optimizer_arguments": oa, "scheduler": s, "scheduler_arguments": sa},
                  **run(o, oa, s, sa)) for o, oa, (s, sa) in CASES]
    with open(out, "w") as f:
        json.dump({"torch_version": torch.__version__, "sizes": SIZES, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
