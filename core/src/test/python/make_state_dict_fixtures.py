#!/usr/bin/python3
"""The round trip of optimizer state between PyTorch and vecoptim, through python/state_dict.py's files.

Run by hand with each PyTorch whose bits vecoptim matches, in two stages around a run of
StateDictFixturesTest: Debian 13's 2.6, in the chroot that ../shared/tools/pytorch2-chroot.sh builds (with
/proc mounted), and Debian 12's 1.13.1 (apt-get install python3-torch):

    D=/tmp/trixie/tmp/fixtures; mkdir -p $D && cp python/state_dict.py core/src/test/python/make_state_dict_fixtures.py $D/
    chroot /tmp/trixie python3 /tmp/fixtures/make_state_dict_fixtures.py record /tmp/fixtures/out
    /usr/bin/python3 core/src/test/python/make_state_dict_fixtures.py record $D/out
    cp -r $D/out/* core/src/test/resources/state_dict/
    ./mvnw test -Dtest=StateDictFixturesTest   # writes core/target/state_dict/*/*/vecoptim-*; fails until committed
    cp -r core/target/state_dict/* $D/out/
    chroot /tmp/trixie python3 /tmp/fixtures/make_state_dict_fixtures.py check /tmp/fixtures/out
    /usr/bin/python3 core/src/test/python/make_state_dict_fixtures.py check $D/out
    (cd core/target/state_dict && for f in */*/vecoptim-*; do cp $f ../../src/test/resources/state_dict/$f; done)

record: for each dtype and optimizer, PyTorch runs 7 steps from the same parameters and gradients and writes,
after steps 3, 6 and 7, <version>/<dtype/><optimizer>/pytorch-state-<t>.safetensors (state_dict.save) and
<version>/<dtype/><optimizer>/pytorch-params-<t>.safetensors (tensors "param.<i>"); <version> is 2.6 or 1.13, and
<dtype/> is empty for float32 tensors, bfloat16/ or float16/ for the single-tensor step on such tensors (an
optimizer that this PyTorch does not run on a dtype, as 1.13 refuses most on float16, has no files there).
With PyTorch 2.x, record also writes <version>/Adam-GradScaler/: Adam on float32 tensors through a
GradScaler (scaled gradients, two infinite ones, growth), each state file saved with the scaler's state; check
resumes it with the scaler and compares the scaler's state too.
check: loads vecoptim's <version>/<optimizer>/vecoptim-state-6 and vecoptim-params-6 (vecoptim's export after it
resumed PyTorch's step 3 and made steps 4, 5, 6) into a fresh PyTorch optimizer, steps once more, and demands
that every parameter and state tensor equal PyTorch's own uninterrupted step 7, bit for bit.

Values and gradients are small multiples of 1/16 from integer formulas (the same in StateDictFixturesTest),
exact in float32, bfloat16 and float16, so both languages start from the same bits without sharing a random
generator.
"""
import json
import os
import sys

os.environ["ATEN_CPU_CAPABILITY"] = "avx2"  # read when torch is imported, as make_golden.py does

import numpy  # noqa: E402
import torch  # noqa: E402

VERSION = ".".join(torch.__version__.split("+")[0].split(".")[:2])

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "..", "python")]  # beside it, or where the repository has it
import state_dict  # noqa: E402

SHAPES = [[(3, 4), (5,)], [(2, 3)]]  # group 0: a weight and a bias; group 1: one more weight
STEPS = 7
RESUMED_AT = 3
HANDED_BACK_AT = 6
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}

# Each optimizer with flags on and numbers off their defaults; group 1 halves lr and drops weight_decay.
# PyTorch 1.13 has no decoupled_weight_decay: its NAdam and RAdam run without it.
OPTIMIZERS = {
    "SGD": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    "RMSprop": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=1e-3)),
    "Adam": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.95), amsgrad=True, weight_decay=0.01)),
    "AdamW": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.05)),
    "Adagrad": (torch.optim.Adagrad, dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1,
                                          weight_decay=1e-3)),
    "Adadelta": (torch.optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=1e-3)),
    "Adamax": (torch.optim.Adamax, dict(lr=0.02, weight_decay=1e-3)),
    "NAdam": (torch.optim.NAdam, dict(lr=0.01, momentum_decay=0.05, decoupled_weight_decay=True,
                                      weight_decay=0.05)),
    "RAdam": (torch.optim.RAdam, dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.05)),
    "ASGD": (torch.optim.ASGD, dict(lr=0.05, lambd=0.1, t0=1, weight_decay=1e-3)),
    "Rprop": (torch.optim.Rprop, dict(lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-4, 1.0))),
}


def initial_value(i, k):
    return ((k * 13 + i * 7) % 19 - 9) / 16.0


def gradient(i, k, t):
    return ((k * 31 + t * 17 + i * 11) % 23 - 11) / 16.0


def parameters(dtype):
    params = []
    for shape in [s for group in SHAPES for s in group]:
        i = len(params)
        n = int(numpy.prod(shape))
        values = numpy.array([initial_value(i, k) for k in range(n)], dtype=numpy.float32).reshape(shape)
        params.append(torch.nn.Parameter(torch.from_numpy(values).to(DTYPES[dtype])))
    return params


def directory(out, dtype, name):
    """Where a dtype's files of an optimizer are: float32's where they always were."""
    return os.path.join(out, VERSION, name) if dtype == "float32" else os.path.join(out, VERSION, dtype, name)


def optimizer(name, params):
    kind, options = OPTIMIZERS[name]
    if VERSION == "1.13":
        options = {key: value for key, value in options.items() if key != "decoupled_weight_decay"}
    second = dict(options, lr=options["lr"] / 2)
    if "weight_decay" in second:
        second["weight_decay"] = 0.0
    return kind([{"params": params[:len(SHAPES[0])]}, dict(second, params=params[len(SHAPES[0]):])],
                foreach=False, **options)


def step(opt, params, t):
    for i, p in enumerate(params):
        n = p.numel()
        p.grad = torch.tensor([gradient(i, k, t) for k in range(n)], dtype=p.dtype).reshape(p.shape)
    opt.step()


def save_params(params, path):
    state_dict.write(path, {"format": "parameters"},
                     {"param.%d" % i: state_dict.to_numpy(p).reshape(-1).copy() for i, p in enumerate(params)})


def record(out):
    for dtype in DTYPES:
        recorded = []
        for name in OPTIMIZERS:
            params = parameters(dtype)
            opt = optimizer(name, params)
            try:
                step(opt, params, 1)
            except RuntimeError as refused:  # e.g. 1.13: "addcmul_cpu_out" not implemented for 'Half'
                print("%s on %s: PyTorch %s refuses: %s" % (name, dtype, torch.__version__, str(refused).strip()))
                continue
            params = parameters(dtype)
            opt = optimizer(name, params)
            where = directory(out, dtype, name)
            os.makedirs(where, exist_ok=True)
            for t in range(1, STEPS + 1):
                step(opt, params, t)
                if t in (RESUMED_AT, HANDED_BACK_AT, STEPS):
                    state_dict.save(opt, os.path.join(where, "pytorch-state-%d.safetensors" % t))
                    save_params(params, os.path.join(where, "pytorch-params-%d.safetensors" % t))
            recorded.append(name)
        print("recorded %s on %s with PyTorch %s" % (", ".join(recorded), dtype, torch.__version__))
    if VERSION != "1.13":  # 1.13's GradScaler runs on CUDA only
        record_scaled(out)


# A GradScaler's run (PyTorch 2.3+ has one for the CPU): Adam on float32 tensors (PyTorch's scaler refuses to
# unscale float16 gradients), gradients scaled as a scaled loss's backward pass gives them (exactly: powers of two
# times multiples of 1/16), an infinite gradient at steps 2 and 5 (skipped, the scale backed off), growth every 2
# good steps; saved with the scaler's state.
SCALED = "Adam-GradScaler"
SCALED_DTYPE = "float32"
INFINITE_AT = (2, 5)


def scaler():
    return torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)


def scaled_step(opt, grad_scaler, params, t):
    grad_scaler.scale(torch.ones(()))  # the loss, scaled: which is also what makes the scaler start its scale
    for i, p in enumerate(params):
        n = p.numel()
        scaled = [gradient(i, k, t) * grad_scaler.get_scale() for k in range(n)]
        if i == 0 and t in INFINITE_AT:
            scaled[0] = float("inf")
        p.grad = torch.tensor(scaled, dtype=p.dtype).reshape(p.shape)
    grad_scaler.step(opt)
    grad_scaler.update()


def record_scaled(out):
    params = parameters(SCALED_DTYPE)
    opt = optimizer("Adam", params)
    grad_scaler = scaler()
    where = directory(out, SCALED_DTYPE, SCALED)
    os.makedirs(where, exist_ok=True)
    for t in range(1, STEPS + 1):
        scaled_step(opt, grad_scaler, params, t)
        if t in (RESUMED_AT, HANDED_BACK_AT, STEPS):
            state_dict.save(opt, os.path.join(where, "pytorch-state-%d.safetensors" % t), grad_scaler)
            save_params(params, os.path.join(where, "pytorch-params-%d.safetensors" % t))
    print("recorded Adam on %s with a GradScaler, PyTorch %s: scale %s after step %d"
          % (SCALED_DTYPE, torch.__version__, grad_scaler.get_scale(), STEPS))


def resumed_scaled(where, writer):
    """resumed() for the GradScaler's run: its step 7 after loading writer's files, and the scaler's state."""
    params = parameters(SCALED_DTYPE)
    _, handed = state_dict.read(os.path.join(where, "%s-params-%d.safetensors" % (writer, HANDED_BACK_AT)))
    with torch.no_grad():
        for i, p in enumerate(params):
            p.copy_(state_dict.from_numpy(handed["param.%d" % i]).reshape(p.shape))
    opt = optimizer("Adam", params)
    grad_scaler = scaler()
    state_dict.load(opt, os.path.join(where, "%s-state-%d.safetensors" % (writer, HANDED_BACK_AT)), grad_scaler)
    scaled_step(opt, grad_scaler, params, STEPS)
    saved = os.path.join(where, "resumed-from-%s-state-%d.safetensors" % (writer, STEPS))
    state_dict.save(opt, saved, grad_scaler)
    metadata, state = state_dict.read(saved)
    values = {"param.%d" % i: state_dict.to_numpy(p) for i, p in enumerate(params)}
    return values, state, [json.loads(metadata["param_groups"]), json.loads(metadata["grad_scaler"])]


def check_scaled(where):
    """check_one() for the GradScaler's run: the scaler's state is compared too."""
    wrong = differences(resumed_scaled(where, "vecoptim"), resumed_scaled(where, "pytorch"))
    print("%-8s %-8s %s" % (SCALED, SCALED_DTYPE, "step 7 after vecoptim's steps 4-6 equals PyTorch's own, bit for"
                            " bit, the scaler's state too" if not wrong else "DIFFERS: %s" % wrong))
    return int(bool(wrong))


def same_bits(a, b):
    a = numpy.ascontiguousarray(a).reshape(-1)
    b = numpy.ascontiguousarray(b).reshape(-1)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def check(out):
    failures = 0
    checked = 0
    for dtype in DTYPES:
        for name in OPTIMIZERS:
            where = directory(out, dtype, name)
            if os.path.isdir(where):
                checked += 1
                failures += check_one(where, dtype, name)
    scaled = directory(out, SCALED_DTYPE, SCALED)
    if os.path.isdir(scaled):
        checked += 1
        failures += check_scaled(scaled)
    print("PyTorch %s; %d of %d optimizers and dtypes differ" % (torch.__version__, failures, checked))
    return failures


def resumed(where, dtype, name, writer):
    """PyTorch's step 7 after loading writer's ("pytorch" or "vecoptim") state and parameters of step 6: the
    parameters as numpy arrays, and the state as its file holds it."""
    params = parameters(dtype)
    _, handed = state_dict.read(os.path.join(where, "%s-params-%d.safetensors" % (writer, HANDED_BACK_AT)))
    with torch.no_grad():
        for i, p in enumerate(params):
            p.copy_(state_dict.from_numpy(handed["param.%d" % i]).reshape(p.shape))
    opt = optimizer(name, params)
    state_dict.load(opt, os.path.join(where, "%s-state-%d.safetensors" % (writer, HANDED_BACK_AT)))
    step(opt, params, STEPS)
    saved = os.path.join(where, "resumed-from-%s-state-%d.safetensors" % (writer, STEPS))
    state_dict.save(opt, saved)
    metadata, state = state_dict.read(saved)
    values = {"param.%d" % i: state_dict.to_numpy(p) for i, p in enumerate(params)}
    return values, state, json.loads(metadata["param_groups"])


def differences(a, b):
    """The names of the tensors and entries in which two resumed runs differ."""
    (params_a, state_a, groups_a), (params_b, state_b, groups_b) = a, b
    wrong = [n for n in params_b if not same_bits(params_a[n], params_b[n])]
    wrong += [n for n in state_b if n not in state_a or not same_bits(state_a[n], state_b[n])]
    wrong += [n for n in state_a if n not in state_b]
    return wrong + (["param_groups"] if groups_a != groups_b else [])


def check_one(where, dtype, name):
    """Whether PyTorch's step 7 after vecoptim's steps 4-6 differs (1) or not (0) from its step 7 after its own
    steps 4-6, each loaded through state_dict.load; and how its own differs from its uninterrupted run, where
    load_state_dict changes a state tensor (it casts every floating one but step to its parameter's dtype: on 16-bit
    tensors, NAdam's mu_product and ASGD's eta and mu, which its steps keep in float32)."""
    from_vecoptim = resumed(where, dtype, name, "vecoptim")
    from_pytorch = resumed(where, dtype, name, "pytorch")
    _, uninterrupted_params = state_dict.read(os.path.join(where, "pytorch-params-%d.safetensors" % STEPS))
    uninterrupted_metadata, uninterrupted_state = state_dict.read(
        os.path.join(where, "pytorch-state-%d.safetensors" % STEPS))
    uninterrupted = (uninterrupted_params, uninterrupted_state, json.loads(uninterrupted_metadata["param_groups"]))
    wrong = differences(from_vecoptim, from_pytorch)
    by_load = differences(from_pytorch, uninterrupted)
    print("%-8s %-8s %s%s" % (name, dtype, "step 7 after vecoptim's steps 4-6 equals PyTorch's own, bit for bit"
                              if not wrong else "DIFFERS: %s" % wrong,
                              "" if not by_load else " (PyTorch's load changes %s)" % by_load))
    return int(bool(wrong))


if __name__ == "__main__":
    if VERSION != "1.13" and torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        sys.exit("PyTorch runs its %s kernels; mount /proc in the chroot" % torch.backends.cpu.get_cpu_capability())
    if len(sys.argv) != 3 or sys.argv[1] not in ("record", "check"):
        sys.exit("usage: make_state_dict_fixtures.py record|check DIRECTORY")
    if sys.argv[1] == "record":
        record(sys.argv[2])
    else:
        sys.exit(1 if check(sys.argv[2]) else 0)
