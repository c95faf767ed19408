#!/usr/bin/python3
"""Moves a torch.optim optimizer's state to and from the safetensors files of vecoptim's
Optimizer.saveStateDict / loadStateDict. Needs only torch and numpy (Debian: apt-get install python3-torch),
not the safetensors package.

    import state_dict
    state_dict.save(optimizer, "adam.safetensors")   # for vecoptim's optimizer.loadStateDict(path)
    state_dict.load(optimizer, "adam.safetensors")   # what vecoptim's optimizer.saveStateDict(path) wrote

    python3 state_dict.py show adam.safetensors      # what a file holds

The file is optimizer.state_dict() laid flat: tensors "state.<i>.<name>" (parameter i's state: buffers
flat, of their parameter's dtype: F32, BF16 or F16, "step" a 0-dim float32 as PyTorch 2.x keeps it, an int64 for a Python int past 2**24;
NAdam's mu_product, ASGD's eta and mu 0-dim float32), and in the header's __metadata__: "format" ("torch.optim state_dict"), "param_groups" (JSON, the
hyper-parameters by PyTorch's names and each group's "params" indices), "optimizers" (JSON, each group's
optimizer class name), "crc32" (the CRC-32 of every byte of the file, these 8 hexadecimal digits read as
zeros: verified when present), "torch_version" (torch.__version__ of the PyTorch that wrote it, from here),
"grad_scaler" (a GradScaler's state_dict(), when saved with one: save and load here take a scaler for it),
"reduce_lr_on_plateau" (a ReduceLROnPlateau's state_dict(), when saved with one: save and load take a plateau) and,
from vecoptim, "step_count" (its optimizer's step count; PyTorch keeps none), "semantics" (each group's
Semantics: PyTorch 2.x's roundings or 1.13's) and "rounding" (each group's fused and stochastic rounding seed).
Loading a file written under other roundings than the running PyTorch's, or fused where the optimizer's group is
not (or the other way round), warns.

load() gives each state tensor its parameter's shape and keeps the optimizer's own entries of param_groups
that the file lacks (foreach, fused, ...), so that the optimizer goes on running as it was built. State that a
reference keeps in its groups (a step count, Schedule-Free's k, weight_sum, lr_max and train_mode) is in the file's
param_groups and loads with them; vecoptim leaves it out of a group whose parameters hold it each their own (they
made different numbers of steps), and load() then refuses rather than keep the optimizer's own.
"""
import json
import os
import struct
import sys
import warnings
import zlib

import numpy
import torch

FORMAT = "torch.optim state_dict"
CHECKSUM = "crc32"
_UNSIGNED = b"00000000"
# numpy has no bfloat16: a BF16 tensor is read as, and written from, a numpy uint16 array of its bits.
_DTYPES = {"F32": numpy.float32, "F64": numpy.float64, "I64": numpy.int64, "I32": numpy.int32,
           "F16": numpy.float16, "BF16": numpy.uint16}
_STATE_DTYPES = (torch.float32, torch.float64, torch.int64, torch.int32, torch.bfloat16, torch.float16)
_STEPS_EXACT_IN_FLOAT = 2 ** 24


def _checksum_at(data, start, digits):
    """Where the checksum's digits are in data, the file's bytes up to start; ValueError unless exactly once."""
    entry = b'"%s":"%s"' % (CHECKSUM.encode("ascii"), digits)
    at = data.find(entry, 0, start)
    if at < 0 or data.find(entry, at + 1, start) >= 0:
        raise ValueError('its %s is not written as "%s":"<digits>" exactly once' % (CHECKSUM, CHECKSUM))
    return at + len(entry) - len(digits) - 1


def _crc32(data, at):
    """The CRC-32 of data, a whole file, with the 8 digits at at read as zeros."""
    return zlib.crc32(data[at + 8:], zlib.crc32(_UNSIGNED, zlib.crc32(data[:at])))


def read(path):
    """The metadata (a dict of strings) and tensors (a dict of numpy arrays, little-endian; a BF16 tensor a uint16
    array of its bits) of a file, whose checksum is verified when it has one (the files vecoptim and this script
    write)."""
    with open(path, "rb") as file:
        data = file.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    if CHECKSUM in metadata:
        digits = metadata[CHECKSUM].encode("ascii")
        if len(digits) != 8 or digits.strip(b"0123456789abcdef"):
            raise ValueError("%s: its %s %r is not 8 lowercase hexadecimal digits" % (path, CHECKSUM, digits))
        try:
            at = _checksum_at(data, 8 + length, digits)
        except ValueError as malformed:
            raise ValueError("%s: %s" % (path, malformed))
        if "%08x" % _crc32(data, at) != digits.decode("ascii"):
            raise ValueError("%s is damaged, truncated, or was changed while it was read: its %s does not match"
                             " its contents" % (path, CHECKSUM))
        del metadata[CHECKSUM]
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in _DTYPES:
            raise ValueError("%s: %s is %s; this script reads %s" % (path, name, entry["dtype"], sorted(_DTYPES)))
        begin, end = entry["data_offsets"]
        dtype = numpy.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
        tensors[name] = numpy.frombuffer(data[start + begin:start + end], dtype=dtype).reshape(entry["shape"])
    return metadata, tensors


def write(path, metadata, tensors):
    """Writes numpy arrays (float32, float64, int64, int32, float16, or uint16 holding bfloat16 bits) and string
    metadata as a safetensors file, atomically, with vecoptim's checksum."""
    names = {numpy.dtype(kind): name for name, kind in _DTYPES.items()}
    header = {"__metadata__": dict(metadata, **{CHECKSUM: _UNSIGNED.decode("ascii")})}
    chunks = []
    offset = 0
    # 8-byte elements first, so that every tensor starts at a multiple of its element size.
    for name, array in sorted(tensors.items(), key=lambda item: -item[1].dtype.itemsize):
        raw = numpy.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": names[array.dtype.newbyteorder("=")], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    start = struct.pack("<Q", len(encoded)) + encoded
    at = _checksum_at(start, len(start), _UNSIGNED)
    crc = zlib.crc32(start)
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
    start = start[:at] + b"%08x" % crc + start[at + 8:]
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "wb") as file:
        file.write(start)
        for chunk in chunks:
            file.write(chunk)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)  # all at once: a crash leaves the old file or the new one


def _plain(value):
    """A param_groups value as JSON holds it: tensors as numbers, tuples as lists."""
    if isinstance(value, torch.Tensor):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def save(optimizer, path, scaler=None, plateau=None):
    """Writes optimizer.state_dict() as a file that vecoptim's Optimizer.loadStateDict reads; with a
    torch.amp.GradScaler, its state_dict() too ("grad_scaler"), for loadStateDict(path, scaler); with a
    torch.optim.lr_scheduler.ReduceLROnPlateau, its state_dict() ("reduce_lr_on_plateau"), which vecoptim's
    loadStateDict restores into the ReduceLROnPlateau built on its optimizer."""
    state_dict = optimizer.state_dict()
    groups = [{key: _plain(value) for key, value in group.items()} for group in state_dict["param_groups"]]
    tensors = {}
    for index, state in state_dict["state"].items():
        for name, value in state.items():
            if value is None:  # SGD's momentum_buffer before the first step, in PyTorch 1.13
                continue
            if isinstance(value, torch.Tensor):
                if value.dtype not in _STATE_DTYPES:
                    raise ValueError("state[%d][%r] is %s; vecoptim keeps float32, bfloat16 or float16 state (and int"
                                     " or float scalars)" % (index, name, value.dtype))
                array = to_numpy(value)
                tensors["state.%d.%s" % (index, name)] = array.reshape(-1) if array.ndim > 0 else array
            elif name == "step":  # PyTorch 1.13's RMSprop and Adadelta count in a Python int
                tensors["state.%d.step" % index] = numpy.array(
                    value, dtype=numpy.float32 if value <= _STEPS_EXACT_IN_FLOAT else numpy.int64)
            else:  # PyTorch 1.13's ASGD keeps eta and mu as Python floats
                tensors["state.%d.%s" % (index, name)] = numpy.array(value, dtype=numpy.float64)
    metadata = {"format": FORMAT, "param_groups": json.dumps(groups),
                "optimizers": json.dumps([type(optimizer).__name__] * len(groups)),
                "torch_version": torch.__version__}
    if scaler is not None:
        metadata["grad_scaler"] = json.dumps(_grad_scaler_state(scaler))
    if plateau is not None:
        metadata["reduce_lr_on_plateau"] = json.dumps(plateau.state_dict())
    write(path, metadata, tensors)


def _grad_scaler_state(scaler):
    """A GradScaler's state_dict() as vecoptim reads it; PyTorch's is empty for a disabled scaler."""
    state = scaler.state_dict()
    names = {"scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"}
    if set(state) != names:
        raise ValueError("the GradScaler's state_dict() holds %s, not %s (is it disabled?)"
                         % (sorted(state), sorted(names)))
    return {name: _plain(value) for name, value in state.items()}


def to_state_dict(path, optimizer):
    """The file as a state dict for optimizer.load_state_dict: shapes and missing param_groups entries from
    optimizer."""
    metadata, tensors = read(path)
    return _state_dict(path, metadata, tensors, optimizer)


def _state_dict(path, metadata, tensors, optimizer):
    """to_state_dict of a file already read."""
    if metadata.get("format") != FORMAT:
        raise ValueError("%s holds no optimizer state (its format is %r)" % (path, metadata.get("format")))
    names = json.loads(metadata.get("optimizers", "null"))
    if names is not None and any(name != type(optimizer).__name__ for name in names):
        raise ValueError("%s holds the state of %s, not of %s" % (path, names, type(optimizer).__name__))
    _warn_of_other_roundings(path, metadata)
    own = optimizer.state_dict()["param_groups"]
    _warn_of_other_fused(path, metadata, own)
    saved = json.loads(metadata["param_groups"])
    if len(saved) != len(own):
        raise ValueError("%s has %d param_groups and the optimizer %d" % (path, len(saved), len(own)))
    groups = []
    for index, (mine, theirs) in enumerate(zip(own, saved)):
        # State the file holds per parameter that this optimizer keeps in its groups (Schedule-Free's weight_sum):
        # vecoptim writes the group's entry too, unless the group's parameters differ in it, which a group cannot hold.
        kept = {name.split(".", 2)[2] for name in tensors if int(name.split(".", 2)[1]) in theirs.get("params", [])}
        lost = sorted(key for key in mine if key not in theirs and key in kept)
        if lost:
            raise ValueError("%s: param_groups[%d] holds no %s, which its parameters hold each their own of and this"
                             " %s keeps one of a group: they differ, and no group of it can hold them"
                             % (path, index, ", ".join(lost), type(optimizer).__name__))
        group = dict(mine)
        for key, value in theirs.items():
            if key not in mine:
                # A flag this PyTorch is older than (1.13's NAdam has no decoupled_weight_decay): off is what it does.
                if value is False or value is None:
                    continue
                # A reference that counts steps in its groups makes group['step'] at its first step.
                if key == "step":
                    group[key] = value
                    continue
                raise ValueError("%s: param_groups[%d] has %s=%r, which this PyTorch's %s does not have"
                                 % (path, index, key, value, type(optimizer).__name__))
            group[key] = tuple(value) if isinstance(mine.get(key), tuple) else value
        groups.append(group)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    state = {}
    for name, array in tensors.items():
        _, index, key = name.split(".", 2)
        index = int(index)
        tensor = from_numpy(array)
        if array.ndim > 0:
            tensor = tensor.reshape(params[index].shape)
        state.setdefault(index, {})[key] = tensor
    return {"state": state, "param_groups": groups}


def to_numpy(tensor):
    """A tensor as a numpy array: a bfloat16 one as a uint16 array of its bits, which numpy cannot hold otherwise."""
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(numpy.uint16)
    return tensor.numpy()


def from_numpy(array):
    """A numpy array of read() as a tensor: a uint16 array holds bfloat16 bits."""
    native = array.astype(array.dtype.newbyteorder("="), copy=True)
    if native.dtype == numpy.uint16:
        return torch.from_numpy(native.view(numpy.int16)).view(torch.bfloat16)
    return torch.from_numpy(native)


def _semantics(version):
    """vecoptim's Semantics for a torch.__version__: PyTorch 1.x rounds Adam's and centered RMSprop's averages
    otherwise than 2.x."""
    return "PYTORCH_1_13" if version.split(".")[0] == "1" else "PYTORCH_2"


def _warn_of_other_roundings(path, metadata):
    """Warns when the file was written under other roundings than this PyTorch's: it loads all the same."""
    here = _semantics(torch.__version__)
    if "semantics" in metadata:
        written = set(json.loads(metadata["semantics"]))
        writer = "vecoptim under %s" % ", ".join(sorted(written))
    elif "torch_version" in metadata:
        written = {_semantics(metadata["torch_version"])}
        writer = "PyTorch %s" % metadata["torch_version"]
    else:
        return
    if written != {here}:
        warnings.warn("%s was written by %s; this is PyTorch %s (%s), whose roundings differ: the next steps will not"
                      " be bit for bit those the writer would have made" % (path, writer, torch.__version__, here))


def _warn_of_other_fused(path, metadata, own):
    """Warns when vecoptim stepped a group fused (its 16-bit updates rounded once) and this optimizer's is not, or the
    other way round: it loads all the same, and the next steps of 16-bit parameters round otherwise."""
    rounding = json.loads(metadata.get("rounding", "null"))
    if rounding is None or len(rounding) != len(own):
        return
    for index, (written, group) in enumerate(zip(rounding, own)):
        if bool(written.get("fused")) != bool(group.get("fused")):
            warnings.warn("%s: vecoptim stepped group %d with fused=%s and this optimizer's has fused=%s: the next steps"
                          " of 16-bit parameters will round otherwise than vecoptim's would have"
                          % (path, index, bool(written.get("fused")), bool(group.get("fused"))))


def load(optimizer, path, scaler=None, plateau=None):
    """Loads a file that vecoptim's Optimizer.saveStateDict wrote into optimizer; with a GradScaler, the state that
    saveStateDict(path, scaler) wrote into it too, and with a ReduceLROnPlateau the state of the one built on vecoptim's
    optimizer. As vecoptim does, refuses a file whose scaler or plateau state it would drop
    or miss."""
    metadata, tensors = read(path)
    saved = metadata.get("grad_scaler")
    if saved is not None and scaler is None:
        raise ValueError("%s holds a GradScaler's state %s; load it with load(optimizer, path, scaler)" % (path, saved))
    if saved is None and scaler is not None:
        raise ValueError("%s holds no GradScaler's state: it was saved without one" % path)
    saved_plateau = metadata.get("reduce_lr_on_plateau")
    if saved_plateau is not None and plateau is None:
        raise ValueError("%s holds a ReduceLROnPlateau's state; load it with load(optimizer, path, plateau=...)" % path)
    if saved_plateau is None and plateau is not None:
        raise ValueError("%s holds no ReduceLROnPlateau's state: it was saved without one" % path)
    optimizer.load_state_dict(_state_dict(path, metadata, tensors, optimizer))
    if scaler is not None:
        scaler.load_state_dict(json.loads(saved))
    if plateau is not None:
        plateau.load_state_dict(json.loads(saved_plateau))


def _show(path):
    metadata, tensors = read(path)
    for key, value in metadata.items():
        print("%s: %s" % (key, value))
    for name, array in tensors.items():
        print("%s: %s %s" % (name, array.dtype, list(array.shape)))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "show":
        sys.exit("usage: state_dict.py show FILE")
    _show(sys.argv[2])
