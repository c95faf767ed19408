#!/usr/bin/env python3
"""PyTorch's optimizer.step() timed on the cases the vecoptim report asks for (run by the report, not the tests).

Reads {"seconds": s, "cases": [{"id", "optimizer", "floats", "parameters", "threads", "foreach"}]} as JSON on
stdin; prints one JSON line with torch's version, then one per case: its id and steps per second, or why not.
Each case: `parameters` float32 tensors of floats/parameters elements (values near ±0.1, gradients near ±0.01),
the optimizer at the hyper-parameters of the report's workload of that name, three steps to create the state,
then steps for at least `seconds` (and three) on `threads` threads.
"""
import json
import sys
import time

import torch

OPTIMIZERS = {
    "sgd-momentum": lambda p, **kw: torch.optim.SGD(p, lr=0.01, momentum=0.9, **kw),
    "sgd-nesterov": lambda p, **kw: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, **kw),
    "rmsprop": lambda p, **kw: torch.optim.RMSprop(p, **kw),
    "rmsprop-centered": lambda p, **kw: torch.optim.RMSprop(p, centered=True, **kw),
    "adam": lambda p, **kw: torch.optim.Adam(p, **kw),
    "amsgrad": lambda p, **kw: torch.optim.Adam(p, amsgrad=True, **kw),
    "adamw": lambda p, **kw: torch.optim.AdamW(p, **kw),
    "adagrad": lambda p, **kw: torch.optim.Adagrad(p, **kw),
    "adadelta": lambda p, **kw: torch.optim.Adadelta(p, **kw),
    "adamax": lambda p, **kw: torch.optim.Adamax(p, **kw),
    "rprop": lambda p, **kw: torch.optim.Rprop(p, **kw),
    "radam": lambda p, **kw: torch.optim.RAdam(p, **kw),
    "nadam": lambda p, **kw: torch.optim.NAdam(p, **kw),
    "asgd": lambda p, **kw: torch.optim.ASGD(p, **kw),
}


def steps_per_second(case, seconds):
    torch.set_num_threads(case["threads"])
    each = case["floats"] // case["parameters"]
    generator = torch.Generator().manual_seed(1)
    params = []
    for _ in range(case["parameters"]):
        param = torch.nn.Parameter((torch.rand(each, generator=generator) * 2 - 1) * 0.1)
        param.grad = (torch.rand(each, generator=generator) * 2 - 1) * 0.01
        params.append(param)
    optimizer = OPTIMIZERS[case["optimizer"]](params, foreach=case["foreach"])
    for _ in range(3):
        optimizer.step()
    steps = 0
    start = time.perf_counter()
    while steps < 3 or time.perf_counter() - start < seconds:
        optimizer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


def main():
    request = json.load(sys.stdin)
    print(json.dumps({"torch": torch.__version__}), flush=True)
    for case in request["cases"]:
        answer = {"id": case["id"]}
        if case["optimizer"] not in OPTIMIZERS:
            answer["error"] = "no PyTorch optimizer for " + case["optimizer"]
        else:
            try:
                answer["steps_per_second"] = steps_per_second(case, request["seconds"])
            except (TypeError, RuntimeError, ValueError) as e:
                answer["error"] = str(e).splitlines()[0]
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
