#!/usr/bin/python3
"""Writes core/src/test/resources/golden/pytorch-<version>.bin: PyTorch's own results for every optimizer and flag.

Run by hand, not by the build, once with each PyTorch whose bits vecoptim matches: Debian 12's 1.13.1
(apt-get install python3-torch) and Debian 13's 2.6 (in the chroot that ../shared/tools/pytorch2-chroot.sh
builds, with /proc mounted):

    /usr/bin/python3 core/src/test/python/make_golden.py                      # writes pytorch-1.13.bin
    cp core/src/test/python/make_golden.py /tmp/trixie/tmp/ && chroot /tmp/trixie python3 /tmp/make_golden.py \
        && cp /tmp/trixie/resources/golden/pytorch-2.6.bin core/src/test/resources/golden/

Each case starts from a parameter of random floats (lengths that are not multiples of 16, special values
at some indices), state as PyTorch creates it, and runs a few steps of torch.optim's single-tensor path
(foreach=False) with a fresh gradient each step, recording the parameter and every state buffer after each
step. GoldenVectorsTest replays them and demands equal bits (any NaN equal to any NaN).

PyTorch picks its CPU kernels at start-up: AVX2 on any x86-64 CPU since 2013 (and on AVX-512 CPUs, whose
kernels give the same bits). Its pre-AVX2 "default" kernels round differently, because without FMA
instructions nothing is fused; the script pins AVX2 so that the file does not depend on the machine, and
refuses to write when PyTorch 2.x says it runs anything else (it silently falls back to the default kernels
when /proc is not mounted in a chroot).

Both versions record the same cases from the same random seed (1.13 leaves out those with a hyper-parameter
it lacks); cases were only ever appended, so that every case keeps its inputs when the list grows.

An optimizer from outside torch.optim (its section in core/src/main/declarations/optimizers.txt has a reference
other than pytorch) is recorded from the reference implementation its declaration names, a Python file given on the
command line, into resources/golden/reference/<Name>-<version>.bin (where both versions wrote the same bytes, the
tests read one file, <Name>.bin). Its cases come from the declaration alone: its defaults, each end of each
hyper-parameter's TESTED ranges in turn, and random draws from them (a combination the reference refuses left out or
drawn again; the arguments of its section's recorded line passed too), then each of them again for 24 steps with
finite gradients only (a layer-wise optimizer's norms are NaN from a parameter's first non-finite gradient on), so
that nothing here changes for a new optimizer:

    /usr/bin/python3 core/src/test/python/make_golden.py --reference <class name> <reference implementation>.py

(the class name is the declaration's pytorch line's; the optimizer's javadoc says where its reference is).
A reference whose parameters have train and eval values (its train() and eval() methods, as Schedule-Free's) steps
in train mode; after each step its eval() value is recorded too, as the buffer eval_param, and train() moves it back
before the next step, so that its cases hold both moves.
With --dtype bfloat16 or --dtype float16 after it, as below, the same cases are recorded on tensors of that dtype
into resources/golden/reference/<Name>-<version>-<dtype>.bin: the reference's operations round to 16 bits as the
PyTorch running it does, which 1.13 and 2.x do differently, so each version records its own file.

With --dtype bfloat16 or --dtype float16 the same cases are recorded on tensors of that dtype (parameter,
gradients and so the state; drawn as float32 and rounded, so each has its float32 twin's inputs) into
resources/golden/pytorch-<version>-<dtype>.bin, every value widened exactly to float32 in the format below.
A case this PyTorch cannot run on such tensors is left out and named on stderr (1.13 runs only SGD and ASGD on
float16 on the CPU):

    /usr/bin/python3 core/src/test/python/make_golden.py --dtype bfloat16

With --fused bfloat16 or --fused float16 (PyTorch 2.6 only), the cases of Adam and AdamW are recorded again on
tensors of that dtype through fused=True, PyTorch's fused CPU kernel, which computes in float32 and rounds each
result once when it stores it, into resources/golden/pytorch-<version>-fused-<dtype>.bin. Its SGD and Adagrad are
fused too but not recorded: 2.6's fused SGD on 16-bit tensors writes only the last n % 32 parameters (and with
momentum reads the 16-bit buffer as float32), and its fused Adagrad rounds lr, eps and weight_decay to 16 bits in
its vector loop but not in its scalar tail, so its result depends on the element's position.

Such a reference runs ATen operations whose roundings are the same in 1.13 and 2.x; recording it with both
must write the same bytes, which is how that was checked.

Format, little-endian: b"VOGOLD02", u32 case count, then per case: str name, str optimizer,
u16 hyper-parameter count and (str name, f64 value) pairs (booleans as 0/1), u32 n, u16 steps,
f32[n] initial parameter, then per step: f32[n] gradient, f32[n] parameter after the step,
u16 state count and (str name, f32[n]) pairs, u16 scalar count and (str name, f32) pairs (the 0-dim state
tensors besides step: NAdam's mu_product, ASGD's eta and mu). A str is a u16 byte length and UTF-8 bytes.
Format 1 (VOGOLD01) had no scalars; the cases it held are byte for byte the same otherwise.
"""
import ast
import importlib.util
import inspect
import itertools
import math
import os
import random
import struct
import sys

os.environ["ATEN_CPU_CAPABILITY"] = "avx2"  # read when torch is imported

import torch  # noqa: E402

VERSION = ".".join(torch.__version__.split("+")[0].split(".")[:2])
GOLDEN = os.path.join(os.path.dirname(__file__), "..", "resources", "golden")
# The dtype of every tensor of a case: float32, or with --dtype a 16-bit one (the state follows the parameter).
DTYPE = torch.float32
# Whether the cases run through fused=True (--fused), which only Adam and AdamW are recorded with.
FUSED = False
FUSED_KINDS = ("adam", "adamw")
STEPS = 4

# Index -> value, placed in the gradient of one step: zeros of both signs, subnormals, values whose square
# overflows or underflows to zero, and non-finite values that then propagate through the state.
SPECIAL_GRADS = {
    0: 0.0, 1: -0.0, 2: 1e-40, 3: -3e-39, 4: 2e19, 5: -3e38, 6: 1e-23,
    7: float("nan"), 8: float("inf"), 9: float("-inf"),
}


def values(rng, n, scale):
    return [rng.gauss(0.0, 1.0) * scale for _ in range(n)]


def grad_for(rng, n, step, overrides, special=True):
    grad = values(rng, n, 10.0 ** rng.randint(-4, 1))
    for index, value in (SPECIAL_GRADS if special else {}).items():
        # Each special value in a different step, so the state has finite history before it arrives.
        if index < n and index % STEPS == step:
            grad[index] = value
    for index, value in overrides.get(step, {}).items():
        grad[index] = value
    return grad


# Gradients at index 12 that make PyTorch 2.x's lerp overflow: a first moment near -5.7e37 (with a weight of
# 0.5, half of the first gradient), then a gradient of 3e38, whose difference with it is beyond float's range;
# then finite gradients, through which an infinite moment becomes NaN.
LERP_OVERFLOW = {0: {12: -1.14e38}, 1: {12: 3e38}, 2: {12: 1.0}, 3: {12: -2.0}}


def cases():
    sgd_grid = itertools.product([0.0, 0.9], [0.0, 0.25], [0.0, 0.013], [False, True], [False, True])
    for momentum, dampening, weight_decay, nesterov, maximize in sgd_grid:
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        yield "sgd", dict(lr=0.0123, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                          nesterov=nesterov, maximize=maximize)
    rms_grid = itertools.product([0.0, 0.013], [0.0, 0.85], [False, True], [False, True])
    for weight_decay, momentum, centered, maximize in rms_grid:
        yield "rmsprop", dict(lr=0.0071, alpha=0.93, eps=1e-6, weight_decay=weight_decay, momentum=momentum,
                              centered=centered, maximize=maximize)
    for kind in ("adam", "adamw"):
        for weight_decay, amsgrad, maximize in itertools.product([0.0, 0.021], [False, True], [False, True]):
            yield kind, dict(lr=0.0029, beta1=0.87, beta2=0.9951, eps=3e-7, weight_decay=weight_decay,
                             amsgrad=amsgrad, maximize=maximize)
    # PyTorch's defaults, the values users actually run.
    yield "adam", dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False)
    yield "adamw", dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False)
    yield "rmsprop", dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                          maximize=False)
    # Appended for PyTorch 2.x's lerp: weights 1 - beta1 and 1 - alpha on both sides of 0.5 (its two
    # branches), beta1 = 0 (the moment is the gradient), and the overflow of the difference it takes.
    for kind, beta1, amsgrad in itertools.product(("adam", "adamw"), (0.0, 0.3, 0.5, 0.62), (False, True)):
        yield kind, dict(lr=0.0029, beta1=beta1, beta2=0.9951, eps=3e-7, weight_decay=0.021, amsgrad=amsgrad,
                         maximize=amsgrad)
    for alpha, momentum in itertools.product((0.3, 0.5, 0.62), (0.0, 0.85)):
        yield "rmsprop", dict(lr=0.0071, alpha=alpha, eps=1e-6, weight_decay=0.013, momentum=momentum,
                              centered=True, maximize=False)
    yield "adam", dict(lr=0.0029, beta1=0.5, beta2=0.9951, eps=3e-7, weight_decay=0.0, amsgrad=False,
                       maximize=False), LERP_OVERFLOW
    yield "rmsprop", dict(lr=0.0071, alpha=0.5, eps=1e-6, weight_decay=0.0, momentum=0.0, centered=True,
                          maximize=False), LERP_OVERFLOW
    # Appended for Adagrad: every flag, a decaying learning rate, a sum that starts above zero; then defaults.
    for lr_decay, weight_decay, initial, maximize in itertools.product([0.0, 0.07], [0.0, 0.013], [0.0, 0.1],
                                                                      [False, True]):
        yield "adagrad", dict(lr=0.0213, lr_decay=lr_decay, eps=1e-7, weight_decay=weight_decay,
                              initial_accumulator_value=initial, maximize=maximize)
    yield "adagrad", dict(lr=1e-2, lr_decay=0.0, eps=1e-10, weight_decay=0.0, initial_accumulator_value=0.0,
                          maximize=False)
    # Appended for Adadelta, Adamax, Rprop and RAdam: every flag, 2.x's lerp on both sides of 0.5, PyTorch's
    # defaults; Rprop's factors that round to 0 and to 1, and step sizes held at their bounds; RAdam for 8 steps,
    # across its switch to the rectified update at step 6.
    for weight_decay, maximize in itertools.product([0.0, 0.013], [False, True]):
        yield "adadelta", dict(lr=0.7, rho=0.87, eps=1e-6, weight_decay=weight_decay, maximize=maximize)
    yield "adadelta", dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False)
    for beta1, weight_decay, maximize in itertools.product([0.87, 0.3], [0.0, 0.021], [False, True]):
        yield "adamax", dict(lr=0.0029, beta1=beta1, beta2=0.9951, eps=3e-7, weight_decay=weight_decay,
                             maximize=maximize)
    yield "adamax", dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, maximize=False)
    rprop_grid = [(0.5, 1.2, 1e-6, 50.0), (0.37, 1.9, 1e-6, 0.02), (0.5, 1.2, 0.005, 50.0),
                  (1e-50, 1.2, 1e-6, 50.0), (0.99999999, 1.00000001, 1e-6, 50.0)]
    for (etaminus, etaplus, step_size_min, step_size_max), maximize in itertools.product(rprop_grid, [False, True]):
        yield "rprop", dict(lr=0.0113, etaminus=etaminus, etaplus=etaplus, step_size_min=step_size_min,
                            step_size_max=step_size_max, maximize=maximize)
    radam_grid = itertools.product([0.87, 0.3], [0.0, 0.021], [False, True], [False, True])
    for beta1, weight_decay, decoupled, maximize in radam_grid:
        yield "radam", dict(lr=0.0029, beta1=beta1, beta2=0.9951, eps=3e-7, weight_decay=weight_decay,
                            decoupled_weight_decay=decoupled, maximize=maximize), {}, 8
    yield "radam", dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False,
                        maximize=False), {}, 8
    # Appended for NAdam and ASGD, whose per-parameter scalars are recorded too: every flag, a fast momentum
    # schedule beside the default one, 2.x's lerp on both sides of 0.5; ASGD's step size decaying fast, and
    # averaging that starts within the steps recorded (t0 2 and 0.5) or never (1e6); then PyTorch's defaults.
    nadam_grid = itertools.product([0.87, 0.3], [0.0, 0.021], [False, True], [False, True])
    for beta1, weight_decay, decoupled, maximize in nadam_grid:
        yield "nadam", dict(lr=0.0029, beta1=beta1, beta2=0.9951, eps=3e-7, weight_decay=weight_decay,
                            momentum_decay=4e-3 if beta1 == 0.87 else 0.07, decoupled_weight_decay=decoupled,
                            maximize=maximize), {}, 6
    yield "nadam", dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                        decoupled_weight_decay=False, maximize=False), {}, 6
    asgd_grid = itertools.product([(1e-4, 0.75, 1e6), (0.3, 0.75, 2.0), (0.05, 1.3, 0.5)], [0.0, 0.013],
                                  [False, True])
    for (lambd, alpha, t0), weight_decay, maximize in asgd_grid:
        yield "asgd", dict(lr=0.0213, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                           maximize=maximize), {}, 6
    yield "asgd", dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False), {}, 6
    # Appended for Rprop's lr of -0.0, which PyTorch accepts: step sizes of -0 that its clamp keeps against bounds
    # of 0 (Java's max and min would make them +0), and through them parameters of -0 that turn +0.
    for step_size_min, step_size_max in [(0.0, 50.0), (0.0, 0.0), (1e-6, 50.0)]:
        yield "rprop", dict(lr=-0.0, etaminus=0.5, etaplus=1.2, step_size_min=step_size_min,
                            step_size_max=step_size_max, maximize=False)


def optimizer(kind, params, hp):
    if kind == "sgd":
        return torch.optim.SGD(params, foreach=False, **hp)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, foreach=False, **hp)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, foreach=False, **hp)
    if kind == "adadelta":
        return torch.optim.Adadelta(params, foreach=False, **hp)
    if kind == "rprop":
        return torch.optim.Rprop(params, lr=hp["lr"], etas=(hp["etaminus"], hp["etaplus"]),
                                 step_sizes=(hp["step_size_min"], hp["step_size_max"]), foreach=False,
                                 maximize=hp["maximize"])
    if kind == "asgd":
        return torch.optim.ASGD(params, foreach=False, **hp)
    if kind in ("radam", "nadam") and VERSION == "1.13":
        # 1.13's RAdam and NAdam have neither flag; cases that set one are not recorded there (see recorded_here()).
        hp = {k: v for k, v in hp.items() if k not in ("maximize", "decoupled_weight_decay")}
    other = {k: v for k, v in hp.items() if k not in ("beta1", "beta2")}
    if FUSED:
        return {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind](
            params, betas=(hp["beta1"], hp["beta2"]), fused=True, **other)
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "adamax": torch.optim.Adamax,
           "radam": torch.optim.RAdam, "nadam": torch.optim.NAdam}[kind]
    return cls(params, betas=(hp["beta1"], hp["beta2"]), foreach=False, **other)


def recorded_here(kind, hp):
    """Whether this PyTorch has every hyper-parameter of the case: 1.13's RAdam and NAdam lack two flags."""
    return not (VERSION == "1.13" and kind in ("radam", "nadam")
                and (hp.get("maximize") or hp.get("decoupled_weight_decay")))


STATE_NAMES = ["momentum_buffer", "square_avg", "grad_avg", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "sum",
               "acc_delta", "exp_inf", "prev", "step_size", "ax"]
SCALAR_NAMES = ["mu_product", "eta", "mu"]
# The pseudo-buffer that holds a parameter's eval value after a step, for a reference with train and eval modes.
EVAL_PARAM = "eval_param"


def pack_str(text):
    data = text.encode()
    return struct.pack("<H", len(data)) + data


def pack_floats(tensor):
    """Its values as float32: a 16-bit tensor's widen exactly."""
    return struct.pack("<%df" % tensor.numel(), *tensor.float().tolist())


TUPLES = ("pair", "triple")
DECLARATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "main", "declarations", "optimizers.txt")


def declaration(class_name):
    """The hyper-parameter rows of the section whose pytorch line names class_name, and the arguments its recorded
    line fixes (options vecoptim does not offer, turned off); refuses torch.optim's."""
    section, reference, rows, fixed = None, None, [], {}
    with open(DECLARATIONS) as f:
        for line in f:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            words = text.split(None, 6)
            if text.startswith("["):
                if section == class_name:
                    break
                section, reference, rows, fixed = None, None, [], {}
            elif words[0] == "pytorch" and words[1] == class_name:
                section = class_name
            elif words[0] == "reference":
                reference = text[len("reference"):].strip()
            elif words[0] == "recorded" and words[1] == "with":
                fixed = {name: ast.literal_eval(literal) for name, literal in
                         (argument.split("=", 1) for argument in text.split()[2:])}
            elif len(words) == 7 and words[2] in ("number", "pair", "triple", "flag") and words[0] != "-" \
                    and not words[0].startswith("("):
                # A hyper-parameter row that the reference takes (a PyTorch name of - or in parentheses is not one).
                rows.append(dict(name=words[0], type=words[2], default=words[3].split(","), tested=words[4]))
    if section != class_name:
        sys.exit("no section of %s declares %s" % (DECLARATIONS, class_name))
    if reference == "pytorch":
        sys.exit("%s is torch.optim's: its cases are in cases()" % class_name)
    return rows, fixed


def value(text):
    return text.lower() == "true" if text.lower() in ("true", "false") else float(text)


def tested_ends(tested):
    """Every value a TESTED alternative list names: each value, and each end of each range."""
    return [value(end) for alternative in tested.split("|") for end in alternative.split("..")]


def drawn(rng, tested):
    alternative = rng.choice(tested.split("|")).split("..")
    if len(alternative) == 1:
        return value(alternative[0])
    low, high = float(alternative[0]), float(alternative[1])
    if low > 0 and high / low >= 10:
        return float("%.4g" % math.exp(rng.uniform(math.log(low), math.log(high))))
    return float("%.4g" % rng.uniform(low, high))


def reference_cases(rows, rng, accepts, draws=8):
    """Defaults; each end of each TESTED range of one hyper-parameter, the others at their defaults; random draws.
    A case the reference refuses (Nesterov momentum without momentum) is left out, and a draw it refuses drawn again."""
    defaults = [[value(v) for v in row["default"]] for row in rows]
    yield defaults
    for r, row in enumerate(rows):
        if row["tested"] == "-":
            continue
        if row["type"] == "flag":
            flipped = [[not d[0]] if i == r else d for i, d in enumerate(defaults)]
            while not accepts(flipped):
                # Refused alone (Nesterov momentum needs a momentum): flipped with numbers drawn, other flags kept.
                flipped = [[not d[0]] if i == r else d if rows[i]["type"] == "flag" else value
                           for i, (d, value) in enumerate(zip(defaults, random_case(rows, defaults, rng)))]
            yield flipped
            continue
        for e, tested in enumerate(row["tested"].split(",")):
            for end in tested_ends(tested):
                case = [list(d) for d in defaults]
                case[r][e] = end
                if case != defaults and accepts(case):
                    yield case
    for _ in range(draws):
        case = random_case(rows, defaults, rng)
        while not accepts(case):
            case = random_case(rows, defaults, rng)
        yield case


def random_case(rows, defaults, rng):
    case = []
    for row, default in zip(rows, defaults):
        if row["tested"] == "-":
            case.append(default)
        elif row["type"] == "flag":
            case.append([rng.random() < 0.5])
        else:
            case.append([drawn(rng, tested) for tested in row["tested"].split(",")])
    return case


def record_reference(class_name, path):
    rows, fixed = declaration(class_name)
    spec = importlib.util.spec_from_file_location("reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cls = getattr(module, class_name)
    rng = random.Random(20261206)
    recorded = []

    def arguments(case):
        kwargs = {row["name"]: tuple(v) if row["type"] in TUPLES else v[0] for row, v in zip(rows, case)}
        if "foreach" in inspect.signature(cls).parameters:
            kwargs["foreach"] = False  # the single-tensor step, as torch.optim's cases record
        kwargs.update(fixed)
        return kwargs

    def accepts(case):
        try:
            cls([torch.zeros(1, requires_grad=True)], **arguments(case))
            return True
        except ValueError:
            return False

    for case in reference_cases(rows, rng, accepts):
        kwargs = arguments(case)
        # Tuples are recorded element by element, as betas[0], betas[1], ...; flags as 0 or 1.
        flat = {}
        for row, v in zip(rows, case):
            for e, element in enumerate(v):
                flat[row["name"] + ("[%d]" % e if row["type"] in TUPLES else "")] = element
        recorded.append((class_name.lower(), flat, lambda params, kwargs=kwargs: cls(params, **kwargs), {}, 6, True))
    # Each case again after all of them, with no NaN or infinite gradient and for longer: a norm of a whole parameter
    # (a layer-wise optimizer's) is NaN from the first non-finite gradient on, which would leave the rest of a case
    # untested, and a norm's last bit shows in few steps.
    recorded += [case[:4] + (24, False) for case in recorded]
    suffix = "-" + VERSION + ("" if DTYPE == torch.float32 else "-" + str(DTYPE).split(".")[1])
    write(os.path.join(GOLDEN, "reference", class_name + suffix + ".bin"), recorded, rng)


def torch_optim_cases():
    for case in cases():
        kind, hp = case[0], case[1]
        overrides = case[2] if len(case) > 2 else {}
        steps = case[3] if len(case) > 3 else STEPS
        yield kind, hp, (lambda params, kind=kind, hp=hp: optimizer(kind, params, hp)), overrides, steps, True


def write(path, recorded, rng):
    out = bytearray(b"VOGOLD02")
    body = bytearray()
    count = 0
    for kind, hp, make, overrides, steps, special in recorded:
        n = rng.choice([19, 37, 53, 77, 101])
        name = kind + "(" + ", ".join("%s=%r" % item for item in hp.items()) + ")" + (
            "" if special else " with finite gradients")
        # Drawn as float32 and rounded to the case's dtype, so that a 16-bit case has its float32 twin's inputs.
        param = torch.tensor(values(rng, n, 1.0), dtype=torch.float32).to(DTYPE).requires_grad_()
        grads = [torch.tensor(grad_for(rng, n, step, overrides, special), dtype=torch.float32).to(DTYPE)
                 for step in range(steps)]
        if not recorded_here(kind, hp) or (FUSED and kind not in FUSED_KINDS):
            continue  # its random numbers are drawn all the same, so that later cases keep theirs
        case = bytearray()
        try:
            case += record_case(name, kind, hp, make([param]), param, grads, steps)
        except RuntimeError as refused:
            # 1.13 implements most operations for no float16 on CPU ("addcmul_cpu_out" not implemented for 'Half').
            print("not recorded: %s in %s: %s" % (name, DTYPE, str(refused).splitlines()[0]), file=sys.stderr)
            continue
        body += case
        count += 1
    out += struct.pack("<I", count) + body
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(out)
    print("wrote %d cases, %d bytes, torch %s, to %s" % (count, len(out), torch.__version__, os.path.normpath(path)),
          file=sys.stderr)


def record_case(name, kind, hp, opt, param, grads, steps):
    """The case's bytes: its name, hyper-parameters and initial parameter, then each step's results."""
    body = bytearray()
    body += pack_str(name) + pack_str(kind) + struct.pack("<H", len(hp))
    for key, hp_value in hp.items():
        body += pack_str(key) + struct.pack("<d", float(hp_value))
    body += struct.pack("<IH", param.numel(), steps) + pack_floats(param.detach())
    # A reference whose parameters have train and eval values (Schedule-Free) steps in train mode; after each step
    # its eval value is recorded too, as the buffer EVAL_PARAM, and the parameter moved back to train.
    modes = callable(getattr(opt, "train", None)) and callable(getattr(opt, "eval", None))
    if modes:
        opt.train()
    for grad in grads:
        param.grad = grad.clone()
        opt.step()
        state = opt.state[param]
        # torch.optim's buffers in this order; then any other buffer a reference keeps, in its own order.
        names = [key for key in STATE_NAMES if state.get(key) is not None] + [
            key for key, value in state.items() if key not in STATE_NAMES and key not in SCALAR_NAMES
            and isinstance(value, torch.Tensor) and value.dim() > 0]
        buffers = [(key, state[key].clone()) for key in names]
        if modes:
            after_step = param.detach().clone()
            opt.eval()
            buffers.append((EVAL_PARAM, param.detach().clone()))
            opt.train()
            param_after = after_step
        else:
            param_after = param.detach()
        body += pack_floats(grad) + pack_floats(param_after) + struct.pack("<H", len(buffers))
        for key, tensor in buffers:
            body += pack_str(key) + pack_floats(tensor)
        scalars = [(key, state[key]) for key in SCALAR_NAMES if key in state]
        body += struct.pack("<H", len(scalars))
        for key, tensor in scalars:
            if tensor.dtype != torch.float32 or tensor.dim() != 0:
                sys.exit("%s's %s is a %s of %d dimensions, not a float32 scalar" % (kind, key, tensor.dtype,
                                                                                     tensor.dim()))
            body += pack_str(key) + pack_floats(tensor.reshape(1))
    return body


def main():
    global DTYPE, FUSED
    if VERSION not in ("1.13", "2.6"):
        sys.exit("vecoptim matches PyTorch 1.13 and 2.6; this is " + torch.__version__)
    if VERSION != "1.13" and torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        sys.exit("PyTorch runs its %s kernels, which do not fuse: mount /proc in the chroot"
                 % torch.backends.cpu.get_cpu_capability())
    if len(sys.argv) in (4, 6) and sys.argv[1] == "--reference":
        if len(sys.argv) == 6:
            if sys.argv[4] != "--dtype" or sys.argv[5] not in ("bfloat16", "float16"):
                sys.exit("usage: make_golden.py --reference CLASS_NAME REFERENCE.py [--dtype bfloat16|float16]")
            DTYPE = getattr(torch, sys.argv[5])
        record_reference(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 1:
        write(os.path.join(GOLDEN, "pytorch-%s.bin" % VERSION), torch_optim_cases(), random.Random(20261125))
    elif len(sys.argv) == 3 and sys.argv[1] == "--dtype" and sys.argv[2] in ("bfloat16", "float16"):
        DTYPE = getattr(torch, sys.argv[2])
        write(os.path.join(GOLDEN, "pytorch-%s-%s.bin" % (VERSION, sys.argv[2])), torch_optim_cases(),
              random.Random(20261125))
    elif len(sys.argv) == 3 and sys.argv[1] == "--fused" and sys.argv[2] in ("bfloat16", "float16") \
            and VERSION != "1.13":
        DTYPE = getattr(torch, sys.argv[2])
        FUSED = True
        write(os.path.join(GOLDEN, "pytorch-%s-fused-%s.bin" % (VERSION, sys.argv[2])), torch_optim_cases(),
              random.Random(20261125))
    else:
        sys.exit("usage: make_golden.py [--reference CLASS_NAME REFERENCE.py [--dtype bfloat16|float16] "
                 "| --dtype bfloat16|float16 "
                 "| --fused bfloat16|float16 (PyTorch 2.x)]")

if __name__ == "__main__":
    main()
