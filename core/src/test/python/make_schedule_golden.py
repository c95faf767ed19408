#!/usr/bin/python3
"""Golden learning-rate sequences of torch.optim.lr_scheduler's schedulers and swa_utils.SWALR, for ScheduleGoldenTest.

Run by hand with PyTorch 1.13 (Debian 12's python3-torch) and 2.6 (Debian 13's, in the chroot that
../shared/tools/pytorch2-chroot.sh builds, with /proc mounted):

    /usr/bin/python3 core/src/test/python/make_schedule_golden.py core/src/test/resources/golden/schedules-1.13.json
    D=/tmp/trixie/tmp/schedules; mkdir -p $D && cp core/src/test/python/make_schedule_golden.py $D/
    chroot /tmp/trixie python3 /tmp/schedules/make_schedule_golden.py /tmp/schedules/schedules-2.6.json
    cp $D/schedules-2.6.json core/src/test/resources/golden/

Each case: an SGD optimizer of one parameter at the case's lr, the scheduler made with the case's arguments (PyTorch's
names; a composite's schedulers made first, in order; CyclicLR and OneCycleLR with cycle_momentum=False; a function of LambdaLR's or MultiplicativeLR's by its name in
LAMBDAS), and STEPS times: the group's lr recorded (the rate of that optimizer step), optimizer.step(),
scheduler.step() -- the loop of PyTorch's documentation. Rates are written as float.hex, exactly.
"""
import json
import sys
import warnings

import torch
from torch.optim import lr_scheduler, swa_utils

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
    ("CosineAnnealingWarmRestarts", 0.1, {"T_0": 5, "T_mult": 1, "eta_min": 0.0}),
    ("CosineAnnealingWarmRestarts", 0.05, {"T_0": 3, "T_mult": 2, "eta_min": 1e-4}),
    ("CosineAnnealingWarmRestarts", 0.2, {"T_0": 4, "T_mult": 3, "eta_min": 0.01}),
    ("CosineAnnealingWarmRestarts", 0.1, {"T_0": 3, "T_mult": 1, "eta_min": 0.0, "steps_per_epoch": 4}),
    ("CosineAnnealingWarmRestarts", 0.05, {"T_0": 2, "T_mult": 2, "eta_min": 1e-4, "steps_per_epoch": 5}),
    ("CosineAnnealingWarmRestarts", 0.2, {"T_0": 1, "T_mult": 3, "eta_min": 0.01, "steps_per_epoch": 3}),
    ("CosineAnnealingWarmRestarts", 0.3, {"T_0": 4, "T_mult": 2, "eta_min": 0.0, "steps_per_epoch": 7}),
    ("SequentialLR", 0.1, {"schedulers": [("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 5}),
                                          ("CosineAnnealingLR", {"T_max": 20, "eta_min": 1e-4})],
                           "milestones": [5]}),
    ("SequentialLR", 0.05, {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 3}),
                                           ("ExponentialLR", {"gamma": 0.9}),
                                           ("StepLR", {"step_size": 4, "gamma": 0.5})],
                            "milestones": [4, 12]}),
    ("SequentialLR", 0.3, {"schedulers": [("ExponentialLR", {"gamma": 0.95}),
                                          ("CosineAnnealingWarmRestarts", {"T_0": 6, "T_mult": 2, "eta_min": 0.0})],
                           "milestones": [10]}),
    ("SequentialLR", 0.02, {"schedulers": [("LinearLR", {"start_factor": 0.5, "end_factor": 1.0, "total_iters": 3}),
                                           ("MultiStepLR", {"milestones": [0, 2, 5], "gamma": 0.5}),
                                           ("ConstantLR", {"factor": 0.25, "total_iters": 0}),
                                           ("CosineAnnealingLR", {"T_max": 9, "eta_min": 0.003})],
                            "milestones": [3, 11, 20]}),
    ("ChainedScheduler", 0.1, {"schedulers": [("ConstantLR", {"factor": 0.1, "total_iters": 4}),
                                              ("ExponentialLR", {"gamma": 0.9})]}),
    ("ChainedScheduler", 0.04, {"schedulers": [("LinearLR", {"start_factor": 0.2, "end_factor": 1.0,
                                                             "total_iters": 6}),
                                               ("CosineAnnealingLR", {"T_max": 15, "eta_min": 1e-3}),
                                               ("StepLR", {"step_size": 5, "gamma": 0.7})]}),
    ("CyclicLR", 0.1, {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "step_size_down": 3,
                       "mode": "triangular", "gamma": 1.0, "cycle_momentum": False}),
    ("CyclicLR", 0.1, {"base_lr": 0.001, "max_lr": 0.05, "step_size_up": 4, "step_size_down": 4,
                       "mode": "triangular2", "gamma": 1.0, "cycle_momentum": False}),
    ("CyclicLR", 0.1, {"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 6, "step_size_down": 10,
                       "mode": "exp_range", "gamma": 0.97, "cycle_momentum": False}),
    ("OneCycleLR", 0.1, {"max_lr": 0.1, "total_steps": STEPS - 1, "pct_start": 0.3, "anneal_strategy": "cos",
                         "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False, "cycle_momentum": False}),
    ("OneCycleLR", 0.1, {"max_lr": 0.05, "total_steps": STEPS - 1, "pct_start": 0.25, "anneal_strategy": "linear",
                         "div_factor": 10.0, "final_div_factor": 100.0, "three_phase": False,
                         "cycle_momentum": False}),
    ("OneCycleLR", 0.1, {"max_lr": 0.2, "total_steps": STEPS - 1, "pct_start": 0.3, "anneal_strategy": "cos",
                         "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": True, "cycle_momentum": False}),
    ("OneCycleLR", 0.1, {"max_lr": 0.01, "total_steps": STEPS - 1, "pct_start": 0.5, "anneal_strategy": "linear",
                         "div_factor": 5.0, "final_div_factor": 1e3, "three_phase": True, "cycle_momentum": False}),
    ("SWALR", 0.1, {"swa_lr": 0.01, "anneal_epochs": 10, "anneal_strategy": "cos"}),
    ("SWALR", 0.05, {"swa_lr": 0.2, "anneal_epochs": 7, "anneal_strategy": "linear"}),
    ("SWALR", 0.03, {"swa_lr": 0.001, "anneal_epochs": 0, "anneal_strategy": "cos"}),
    ("LambdaLR", 0.1, {"lr_lambda": "warmup"}),
    ("LambdaLR", 0.03, {"lr_lambda": "inverse"}),
    ("MultiplicativeLR", 0.1, {"lr_lambda": "every third"}),
    # SWALR in SequentialLR: after a milestone, its own count (_step_count, which its construction advanced and
    # step(0) does not reset) is one ahead of the steps since the milestone; first, it starts as alone.
    ("SequentialLR", 0.1, {"schedulers": [("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}),
                                          ("SWALR", {"swa_lr": 0.05, "anneal_epochs": 5, "anneal_strategy": "cos"})],
                           "milestones": [8]}),
    ("SequentialLR", 0.05, {"schedulers": [("SWALR", {"swa_lr": 0.01, "anneal_epochs": 4,
                                                      "anneal_strategy": "linear"}),
                                           ("ConstantLR", {"factor": 0.5, "total_iters": 3})],
                            "milestones": [6]}),
    ("SequentialLR", 0.2, {"schedulers": [("LinearLR", {"start_factor": 0.5, "end_factor": 1.0, "total_iters": 3}),
                                          ("SWALR", {"swa_lr": 0.02, "anneal_epochs": 0, "anneal_strategy": "cos"})],
                           "milestones": [5]}),
]

# The functions of LambdaLR and MultiplicativeLR cases, by name; ScheduleGoldenTest holds the same in Java.
LAMBDAS = {
    "warmup": lambda t: min(1.0, (t + 1) / 8),
    "inverse": lambda t: 1 / (1 + t),
    "every third": lambda t: 0.5 if t % 3 == 0 else 1.0,
}


def make(optimizer, name, arguments):
    """The scheduler name on the optimizer; a composite's schedulers are made first, in order, as a program does."""
    arguments = dict(arguments)
    if "schedulers" in arguments:
        arguments["schedulers"] = [make(optimizer, inner, inner_arguments)
                                   for inner, inner_arguments in arguments["schedulers"]]
    if "lr_lambda" in arguments:
        arguments["lr_lambda"] = LAMBDAS[arguments["lr_lambda"]]
    if name == "ChainedScheduler":
        return lr_scheduler.ChainedScheduler(arguments["schedulers"])
    if name == "SWALR":
        return swa_utils.SWALR(optimizer, **arguments)
    return getattr(lr_scheduler, name)(optimizer, **arguments)


def described(arguments):
    """The case's arguments as JSON: a composite's schedulers as {"name": ..., "arguments": ...}."""
    return {key: [{"name": inner, "arguments": inner_arguments} for inner, inner_arguments in value]
            if key == "schedulers" else value for key, value in arguments.items()}


def sequence(name, lr, arguments):
    """The rates; with steps_per_epoch (vecoptim's), stepped as PyTorch's documentation steps
    CosineAnnealingWarmRestarts within epochs: scheduler.step(epoch + i / iters) after batch i of epoch."""
    arguments = dict(arguments)
    iters = arguments.pop("steps_per_epoch", None)
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=lr)
    scheduler = make(optimizer, name, arguments)
    rates = []
    for step in range(STEPS):
        rates.append(float(optimizer.param_groups[0]["lr"]).hex())
        optimizer.step()
        if iters is not None:
            scheduler.step(step // iters + step % iters / iters)
        elif step < STEPS - 1:  # the last rate is recorded; OneCycleLR of STEPS - 1 steps refuses a step after it
            scheduler.step()
    return rates


def main(out):
    warnings.simplefilter("ignore")
    cases = [{"name": name, "lr": lr, "arguments": described(arguments), "lrs": sequence(name, lr, arguments)}
             for name, lr, arguments in CASES]
    with open(out, "w") as f:
        json.dump({"torch_version": torch.__version__, "steps": STEPS, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
