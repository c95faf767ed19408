#!/usr/bin/python3
"""Golden runs of torch.optim.lr_scheduler.ReduceLROnPlateau, for ReduceLROnPlateauGoldenTest.

Run by hand with PyTorch 1.13 (Debian 12's python3-torch) and 2.6 (Debian 13's, in the chroot that
../shared/tools/pytorch2-chroot.sh builds, with /proc mounted):

    /usr/bin/python3 core/src/test/python/make_plateau_golden.py core/src/test/resources/golden/plateau-1.13.json
    D=/tmp/trixie/tmp/plateau; mkdir -p $D && cp core/src/test/python/make_plateau_golden.py $D/
    chroot /tmp/trixie python3 /tmp/plateau/make_plateau_golden.py /tmp/plateau/plateau-2.6.json
    cp $D/plateau-2.6.json core/src/test/resources/golden/

Each case: an SGD optimizer of two groups (lr 0.1 and 0.05), a ReduceLROnPlateau of the case's arguments (PyTorch's
names), and one step(metric) per epoch over METRICS (a loss that falls, stalls, wobbles within the threshold, and
holds a NaN), or their negatives for mode "max". After each step: both groups' rates (float.hex), best (float.hex),
num_bad_epochs and cooldown_counter.
"""
import json
import math
import sys

import torch
from torch.optim import lr_scheduler

METRICS = [1.0, 0.9, 0.85, 0.85, 0.8499, 0.86, 0.9, 0.84, 0.84, 0.84, 0.84, 0.839999, 0.7, 0.7, 0.71, 0.72,
           float("nan"), 0.69, 0.69, 0.69, 0.69, 0.69, 0.69, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
           0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.46]

CASES = [
    {},
    {"patience": 2},
    {"patience": 1, "factor": 0.5, "cooldown": 3, "min_lr": [0.01, 0.02]},
    {"patience": 0, "factor": 0.3, "threshold": 0.05, "threshold_mode": "abs", "min_lr": 0.004},
    {"mode": "max", "patience": 2, "factor": 0.7, "threshold": 0.01},
    {"mode": "max", "patience": 1, "threshold": 0.02, "threshold_mode": "abs", "cooldown": 1, "eps": 0.004},
]


def run(arguments):
    parameters = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    optimizer = torch.optim.SGD([{"params": [parameters[0]], "lr": 0.1}, {"params": [parameters[1]], "lr": 0.05}])
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, **arguments)
    sign = -1.0 if arguments.get("mode") == "max" else 1.0
    epochs = []
    for metric in METRICS:
        optimizer.step()
        scheduler.step(sign * metric)
        epochs.append({"lrs": [float(group["lr"]).hex() for group in optimizer.param_groups],
                       "best": float(scheduler.best).hex(), "num_bad_epochs": scheduler.num_bad_epochs,
                       "cooldown_counter": scheduler.cooldown_counter})
    return epochs


def main(out):
    cases = [{"arguments": arguments, "epochs": run(arguments)} for arguments in CASES]
    with open(out, "w") as f:
        json.dump({"torch_version": torch.__version__, "metrics": [float(m).hex() for m in METRICS],
                   "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
