#!/usr/bin/python3
"""Golden runs of torch.optim.swa_utils.AveragedModel, for AveragedParametersTest.

Run by hand with PyTorch 1.13 (Debian 12's python3-torch) and 2.6 (Debian 13's, in the chroot that
../shared/tools/pytorch2-chroot.sh builds, with /proc mounted):

    /usr/bin/python3 core/src/test/python/make_average_golden.py core/src/test/resources/golden/average-1.13.json
    D=/tmp/trixie/tmp/average; mkdir -p $D && cp core/src/test/python/make_average_golden.py $D/
    chroot /tmp/trixie python3 /tmp/average/make_average_golden.py /tmp/average/average-2.6.json
    cp $D/average-2.6.json core/src/test/resources/golden/

Each case: a module of three float32 parameters (SIZES), an AveragedModel of it (the default SWA; with 2.6 also
get_ema_multi_avg_fn(decay) for each of DECAYS), and UPDATES times: the parameters set to values of the update
(value(k, i, t), as the test computes them), then update_parameters. After each update: the averages' bits.
"""
import json
import sys

import torch

SIZES = (37, 5, 130)
UPDATES = 7
DECAYS = (0.999, 0.9, 0.3)


def value(k, i, t):
    """Parameter k's element i at update t: irrational-looking steps, signs mixed, exactly a float32."""
    return float(torch.tensor(((i * 7 + k * 13 + t * 29) % 61 - 30) * 0.037 + t * 0.011, dtype=torch.float32))


def bits(tensor):
    return [int(b) & 0xFFFFFFFF for b in tensor.detach().reshape(-1).view(torch.int32).tolist()]


def run(average_fn):
    model = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(n)) for n in SIZES])
    averaged = torch.optim.swa_utils.AveragedModel(model) if average_fn is None else \
        torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=average_fn)
    updates = []
    for t in range(UPDATES):
        with torch.no_grad():
            for k, p in enumerate(model):
                p.copy_(torch.tensor([value(k, i, t) for i in range(p.numel())], dtype=torch.float32))
        averaged.update_parameters(model)
        updates.append([bits(p) for p in averaged.module])
    return updates


def main(out):
    cases = [{"kind": "swa", "updates": run(None)}]
    if hasattr(torch.optim.swa_utils, "get_ema_multi_avg_fn"):
        cases += [{"kind": "ema", "decay": decay,
                   "updates": run(torch.optim.swa_utils.get_ema_multi_avg_fn(decay))} for decay in DECAYS]
    with open(out, "w") as f:
        json.dump({"torch_version": torch.__version__, "sizes": SIZES, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
