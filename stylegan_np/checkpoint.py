"""Checkpoints: one .npz file with model parameters, optimizer state, the step, and the config.

Written atomically — to a temporary file in the same folder, flushed to disk, then renamed over the
target — so a crash or Ctrl-C mid-write leaves the previous checkpoint intact, never half a file.
Arrays are stored as NumPy, so a checkpoint written on the GPU loads on the CPU and vice versa.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field

import numpy as np

from . import backend
from .errors import UserError


@dataclass
class Checkpoint:
    step: int
    config: dict
    modules: dict = field(default_factory=dict)      # name -> {param name: array}
    optimizers: dict = field(default_factory=dict)   # name -> optimizer state dict
    extra: dict = field(default_factory=dict)        # JSON-able values (RNG state, schedule, ...)


def _split(state):
    """Arrays go into the npz; plain numbers into the JSON metadata."""
    arrays, scalars = {}, {}
    for key, value in state.items():
        if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
            arrays[key] = backend.to_numpy(value)
        else:
            scalars[key] = value.item() if hasattr(value, "item") else value
    return arrays, scalars


def save(path, *, modules=None, optimizers=None, step=0, config=None, extra=None) -> str:
    """Write a checkpoint atomically; `modules` and `optimizers` map names to objects with state_dict()."""
    arrays, meta = {}, {"step": int(step), "config": config or {}, "extra": extra or {},
                        "modules": [], "optimizers": {}}
    for name, module in (modules or {}).items():
        meta["modules"].append(name)
        for key, value in module.state_dict().items():
            arrays[f"module/{name}/{key}"] = backend.to_numpy(value)
    for name, opt in (optimizers or {}).items():
        opt_arrays, scalars = _split(opt.state_dict())
        meta["optimizers"][name] = scalars
        for key, value in opt_arrays.items():
            arrays[f"optim/{name}/{key}"] = value
    arrays["meta"] = np.array(json.dumps(meta))
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _unreadable(path, exc):
    return UserError(f"{path} is not a readable stylegan_np checkpoint ({type(exc).__name__}): give a run folder "
                     "or a .npz that train wrote (one cut short: take an earlier checkpoint)")


def load_config(path) -> dict:
    """Only the config a checkpoint was written with (its arrays stay on disk)."""
    if not os.path.isfile(path):
        raise UserError(f"no checkpoint at {path}: give the path of a .npz checkpoint or a run folder")
    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data["meta"]))["config"]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise _unreadable(path, exc) from None


def load(path) -> Checkpoint:
    """Read a checkpoint (arrays come back as NumPy; load_state_dict moves them to each model's backend)."""
    if not os.path.isfile(path):
        raise UserError(f"no checkpoint at {path}: give the path of a .npz checkpoint or a run folder")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            ckpt = Checkpoint(step=meta["step"], config=meta["config"], extra=meta["extra"])
            for name in meta["modules"]:
                prefix = f"module/{name}/"
                ckpt.modules[name] = {k[len(prefix):]: data[k] for k in data.files if k.startswith(prefix)}
            for name, scalars in meta["optimizers"].items():
                prefix = f"optim/{name}/"
                state = dict(scalars)
                state.update({k[len(prefix):]: data[k] for k in data.files if k.startswith(prefix)})
                ckpt.optimizers[name] = state
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise _unreadable(path, exc) from None
    return ckpt


def restore(path, *, modules=None, optimizers=None) -> Checkpoint:
    """Load a checkpoint into existing modules and optimizers (on whatever backend they are)."""
    ckpt = load(path)
    for name, module in (modules or {}).items():
        module.load_state_dict(ckpt.modules[name])
    for name, opt in (optimizers or {}).items():
        opt.load_state_dict(ckpt.optimizers[name])
    return ckpt
