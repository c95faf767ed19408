#!/usr/bin/env python3
"""PyTorch's optimizer.step() timed on the cases the vecoptim report asks for (run by the report, not the tests).

Reads {"seconds": s, "cases": [{"id", "class", "hyperparameters", "floats", "parameters", "threads", "foreach"}]}
as JSON on stdin; prints one JSON line with torch's version, then one per case: its id and steps per second, or
why not. Each case: `parameters` float32 tensors of floats/parameters elements (values near ±0.1, gradients near
±0.01), torch.optim.<class> with the workload's hyper-parameters by PyTorch's names (vecoptim's
Algorithm.pyTorchHyperParameters()), three steps to create the state, then steps for at least `seconds` (and
three) on `threads` threads.
"""
import inspect
import json
import sys
import time

import torch


def optimizer_for(case, params):
    """torch.optim.<class>(params, **hyperparameters), the flags this PyTorch lacks dropped while they are off."""
    cls = getattr(torch.optim, case["class"])
    accepted = inspect.signature(cls.__init__).parameters
    keywords = {}
    for name, value in case["hyperparameters"].items():
        if name in accepted:
            keywords[name] = tuple(value) if isinstance(value, list) else value
        elif value is not False:
            raise ValueError("PyTorch %s's %s has no %s" % (torch.__version__, case["class"], name))
    return cls(params, foreach=case["foreach"], **keywords)


def steps_per_second(case, seconds):
    torch.set_num_threads(case["threads"])
    each = case["floats"] // case["parameters"]
    generator = torch.Generator().manual_seed(1)
    params = []
    for _ in range(case["parameters"]):
        param = torch.nn.Parameter((torch.rand(each, generator=generator) * 2 - 1) * 0.1)
        param.grad = (torch.rand(each, generator=generator) * 2 - 1) * 0.01
        params.append(param)
    optimizer = optimizer_for(case, params)
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
        if not hasattr(torch.optim, case["class"]):
            answer["error"] = "PyTorch %s has no torch.optim.%s" % (torch.__version__, case["class"])
        else:
            try:
                answer["steps_per_second"] = steps_per_second(case, request["seconds"])
            except (TypeError, RuntimeError, ValueError) as e:
                answer["error"] = str(e).splitlines()[0]
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
