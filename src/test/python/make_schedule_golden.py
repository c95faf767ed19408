#!/usr/bin/python3
"""Golden learning-rate sequences of torch.optim.lr_scheduler's chainable schedulers, for ScheduleGoldenTest.

Run by hand with PyTorch 1.13 (Debian 12's python3-torch) and 2.6 (Debian 13's, in the chroot that
../shared/tools/pytorch2-chroot.sh builds, with /proc mounted):

    /usr/bin/python3 src/test/python/make_schedule_golden.py src/test/resources/golden/schedules-1.13.json
    D=/tmp/trixie/tmp/schedules; mkdir -p $D && cp src/test/python/make_schedule_golden.py $D/
    chroot /tmp/trixie python3 /tmp/schedules/make_schedule_golden.py /tmp/schedules/schedules-2.6.json
    cp $D/schedules-2.6.json src/test/resources/golden/

Each case: an SGD optimizer of one parameter at the case's lr, the scheduler made with the case's arguments (PyTorch's
names), and STEPS times: the group's lr recorded (the rate of that optimizer step), optimizer.step(),
scheduler.step() -- the loop of PyTorch's documentation. Rates are written as float.hex, exactly.
"""
import json
import sys
import warnings

import torch
from torch.optim import lr_scheduler

STEPS = 60

CASES = [
    ("StepLR", 0.1, {"step_size": 3, "gamma": 0.1}),
    ("StepLR", 0.05, {"step_size": 1, "gamma": 0.9}),
    ("StepLR", 1e-3, {"step_size": 7, "gamma": 0.7}),
    ("MultiStepLR", 0.1, {"milestones": [2, 5, 5, 9, 30], "gamma": 0.3}),
    ("MultiStepLR", 0.02, {"milestones": [1, 4, 4, 4, 11], "gamma": 0.75}),
    ("ConstantLR", 0.1, {"factor": 1.0 / 3, "total_iters": 5}),
    ("ConstantLR", 0.03, {"factor": 0.7, "total_iters": 11}),
    ("LinearLR", 0.1, {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5}),
    ("LinearLR", 0.05, {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 17}),
    ("LinearLR", 3e-4, {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 40}),
    ("ExponentialLR", 0.1, {"gamma": 0.95}),
    ("ExponentialLR", 1e-3, {"gamma": 0.999}),
    ("PolynomialLR", 0.1, {"total_iters": 7, "power": 1.0}),
    ("PolynomialLR", 0.05, {"total_iters": 23, "power": 2.0}),
    ("PolynomialLR", 2e-3, {"total_iters": 45, "power": 0.5}),
    ("CosineAnnealingLR", 0.1, {"T_max": 10, "eta_min": 0.0}),
    ("CosineAnnealingLR", 0.05, {"T_max": 7, "eta_min": 1e-4}),
    ("CosineAnnealingLR", 1e-3, {"T_max": 3, "eta_min": 1e-5}),
    ("CosineAnnealingLR", 0.3, {"T_max": 25, "eta_min": 0.01}),
]


def sequence(name, lr, arguments):
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=lr)
    scheduler = getattr(lr_scheduler, name)(optimizer, **arguments)
    rates = []
    for _ in range(STEPS):
        rates.append(float(optimizer.param_groups[0]["lr"]).hex())
        optimizer.step()
        scheduler.step()
    return rates


def main(out):
    warnings.simplefilter("ignore")
    cases = [{"name": name, "lr": lr, "arguments": arguments, "lrs": sequence(name, lr, arguments)}
             for name, lr, arguments in CASES]
    with open(out, "w") as f:
        json.dump({"torch_version": torch.__version__, "steps": STEPS, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
