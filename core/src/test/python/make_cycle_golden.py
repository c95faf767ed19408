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
momentum (or SequentialLR or ChainedScheduler of schedulers that do and that do not), and STEPS times: the
gradients of the step set (gradient(k, i, t), as the test computes them), optimizer.step(), scheduler.step() (after
every per_epoch-th step, when the case has one). After each step: the parameters' bits, and the momentum (or beta1) and rate
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
    # Composites, each made of schedulers made in the list's order: the momentum is what the last of them to set it
    # wrote, at its construction or its steps. OneCycleLR writes the group's initial_lr, which SequentialLR starts
    # the group's rate from, and which the schedulers after it start from: vecoptim_lr is the rate vecoptim's
    # schedule of that scheduler is made with (PyTorch does not take it).
    ("SGD", {"lr": 0.1, "momentum": 0.9},
     ("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.1, "total_iters": 4, "vecoptim_lr": 0.004}),
                                      ("OneCycleLR", {"max_lr": 0.1, "total_steps": 16, "base_momentum": 0.85,
                                                      "max_momentum": 0.95})],
                       "milestones": [4]})),
    ("Adam", {"lr": 0.01},
     ("SequentialLR", {"schedulers": [("OneCycleLR", {"max_lr": 0.01, "total_steps": 10, "three_phase": True,
                                                      "base_momentum": 0.8, "max_momentum": 0.9}),
                                      ("ExponentialLR", {"gamma": 0.9, "vecoptim_lr": 0.0004})],
                       "milestones": [10]})),
    ("Adam", {"lr": 0.01},
     ("SequentialLR", {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 4, "vecoptim_lr": 0.0008}),
                                      ("OneCycleLR", {"max_lr": 0.02, "total_steps": 16, "anneal_strategy": "linear",
                                                      "base_momentum": 0.85, "max_momentum": 0.95})],
                       "milestones": [4]})),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5},
     ("ChainedScheduler", {"schedulers": [("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 3,
                                                        "step_size_down": 3, "base_momentum": 0.4,
                                                        "max_momentum": 0.6}),
                                          ("ExponentialLR", {"gamma": 0.9, "vecoptim_lr": 0.001})]})),
    # Stepped once per epoch of 4 optimizer steps, as Schedulers.perEpoch steps it.
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True},
     ("OneCycleLR", {"max_lr": 0.1, "total_steps": 5, "base_momentum": 0.8, "max_momentum": 0.9, "per_epoch": 4})),
]


def bits(tensor):
    return [int(b) & 0xFFFFFFFF for b in tensor.detach().reshape(-1).view(torch.int32).tolist()]


def scheduler_of(optimizer, name, arguments):
    """The scheduler, a composite's parts made first, in order; per_epoch and vecoptim_lr are not PyTorch's."""
    arguments = {key: value for key, value in arguments.items() if key not in ("per_epoch", "vecoptim_lr")}
    if name in ("SequentialLR", "ChainedScheduler"):
        parts = [scheduler_of(optimizer, part, part_arguments) for part, part_arguments in arguments["schedulers"]]
        if name == "SequentialLR":
            return lr_scheduler.SequentialLR(optimizer, parts, arguments["milestones"])
        return lr_scheduler.ChainedScheduler(parts)
    return getattr(lr_scheduler, name)(optimizer, **arguments)


def run(optimizer_name, optimizer_arguments, scheduler_name, scheduler_arguments):
    parameters = [torch.tensor([initial(k, i) for i in range(n)], requires_grad=True) for k, n in enumerate(SIZES)]
    optimizer = getattr(torch.optim, optimizer_name)(parameters, foreach=False, **optimizer_arguments)
    per_epoch = scheduler_arguments.get("per_epoch", 1)
    try:
        scheduler = scheduler_of(optimizer, scheduler_name, scheduler_arguments)
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
        if (t + 1) % per_epoch == 0:
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
