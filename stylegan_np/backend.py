"""Which array library does the arithmetic: NumPy on the CPU or CuPy on an NVIDIA GPU.

Everything above this module writes `xp = get_array_module(x)` (or `xp = backend.xp()`) and then calls
`xp.exp`, `xp.matmul`, ... so that one code path serves both libraries (the DeZero/Chainer habit).

The backend in use is chosen, in order of precedence, by
  1. `use("numpy" | "cupy")` (the CLIs call it for `--backend`),
  2. the environment variable STYLEGAN_NP_BACKEND,
  3. the default, "numpy".

CuPy is imported lazily: `import cupy` can succeed on a machine without a GPU and only the first array
fails, so we also ask the CUDA runtime whether a device is visible and say clearly which of the two is
missing.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from .errors import UserError

BACKENDS = ("numpy", "cupy")
ENV_VAR = "STYLEGAN_NP_BACKEND"

_current: str | None = None  # resolved lazily so the environment variable is read at first use
_cupy = None                 # the cupy module once imported and checked


def cupy_status() -> str | None:
    """None when CuPy is installed and a GPU is visible, else a one-line reason that says what to do."""
    try:
        import cupy  # noqa: F401  (imported for its side effect of being importable)
    except ImportError:
        return ("CuPy is not installed: install the build for your CUDA version, "
                "`pip install cupy-cuda12x` or `pip install cupy-cuda13x`, or use --backend numpy")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError, or a missing driver library
        return (f"CuPy is installed but no GPU is visible ({type(exc).__name__}: {exc}); "
                "check the NVIDIA driver and CUDA_VISIBLE_DEVICES, or use --backend numpy")
    if count == 0:
        return "CuPy is installed but no GPU is visible; check the NVIDIA driver, or use --backend numpy"
    return None


def cupy_available() -> bool:
    """True when the CuPy backend can be used here (tests use this to skip GPU cases)."""
    return cupy_status() is None


def _import_cupy():
    global _cupy
    if _cupy is None:
        reason = cupy_status()
        if reason is not None:
            raise UserError(reason)
        import cupy
        _cupy = cupy
    return _cupy


def module(name: str):
    """The array module for a backend name ("numpy" or "cupy")."""
    if name == "numpy":
        return np
    if name == "cupy":
        return _import_cupy()
    raise UserError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")


def use(name: str) -> None:
    """Make `name` the backend for new tensors, parameters and random numbers."""
    module(name)  # validates the name and, for CuPy, that a GPU is there
    global _current
    _current = name


def current() -> str:
    """The name of the backend in use."""
    global _current
    if _current is None:
        name = os.environ.get(ENV_VAR, "numpy").strip().lower() or "numpy"
        if name not in BACKENDS:
            raise UserError(f"{ENV_VAR}={name!r} is not a backend: set it to numpy or cupy")
        use(name)
    return _current


def xp():
    """The array module of the backend in use."""
    return module(current())


class using:
    """Context manager: `with using("cupy"): ...` switches the backend for a block, then restores it."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        self.previous = current()
        use(self.name)
        return module(self.name)

    def __exit__(self, *exc):
        use(self.previous)
        return False


_Tensor = None   # autograd.Tensor, imported on first use (autograd imports this module)


def _unwrap(x):
    """A Tensor's array, or `x` itself.  Decided by type: never `getattr(x, "data", x)`, since a
    cupy.ndarray has a `.data` of its own (a pointer to device memory)."""
    global _Tensor
    if _Tensor is None:
        from .autograd import Tensor
        _Tensor = Tensor
    return x.data if isinstance(x, _Tensor) else x


def get_array_module(x):
    """numpy or cupy, whichever owns the array `x` (a raw array or a Tensor), decided by its type."""
    cupy = _cupy if _cupy is not None else sys.modules.get("cupy")
    if cupy is None:
        return np
    return cupy if isinstance(_unwrap(x), cupy.ndarray) else np


def backend_of(x) -> str:
    """"numpy" or "cupy", whichever owns the array (or Tensor) `x`."""
    return "cupy" if get_array_module(x) is not np else "numpy"


def to_backend(array, name: str | None = None):
    """A copy (or the same array, if already there) of an array or Tensor's data on backend `name`
    (default: current)."""
    name = name or current()
    array = _unwrap(array)
    if name == "numpy":
        if get_array_module(array) is not np:
            return array.get()
        return np.asarray(array)
    return module("cupy").asarray(array)


def to_numpy(array):
    """A NumPy copy of an array or Tensor from either backend (for saving, plotting and metrics)."""
    array = _unwrap(array)
    if get_array_module(array) is np:
        return np.array(array)  # a copy here too, as from the GPU: never an alias of a live parameter
    return array.get()


def synchronize() -> None:
    """Wait for queued GPU work (needed before reading a clock); nothing to do on NumPy."""
    if _cupy is not None:
        _cupy.cuda.get_current_stream().synchronize()


# --- random numbers --------------------------------------------------------------------------
# One generator per backend, so that a seed gives the same stream every run.  Training draws each
# step's numbers from a stream seeded by (seed, step), which makes resuming exact without saving any
# generator state: `reseed` re-chooses a stream's seed without building a new generator.
_generators: dict = {}


def _fold_seed(seed) -> int | None:
    """An int seed for CuPy's generators from an int or a tuple (through NumPy's SeedSequence)."""
    if seed is None or isinstance(seed, (int, np.integer)):
        return None if seed is None else int(seed)
    return int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0] >> 1)


class CupyStream:
    """The methods our code calls on a NumPy Generator (`standard_normal`, `random`), on the GPU.

    Behind it is CuPy's legacy RandomState with cuRAND's Philox generator.  CuPy's Generator API
    (`cupy.random.default_rng`) would also do, but building one initialises a cuRAND state for every
    thread (hundreds of thousands on a large GPU); re-seeding a Philox host generator only sets a key
    and a counter, so `reseed` can run every training step."""

    def __init__(self, cupy, seed=None):
        self._state = cupy.random.RandomState(_fold_seed(seed),
                                              method=cupy.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)

    def reseed(self, seed) -> "CupyStream":
        self._state.seed(_fold_seed(seed))
        return self

    def standard_normal(self, size=None, dtype=np.float64):
        return self._state.standard_normal(size, dtype=dtype)

    def random(self, size=None, dtype=np.float64):
        return self._state.random_sample(size, dtype=dtype)


def generator(seed=None, name: str | None = None):
    """A new random generator on backend `name` (default: current), seeded by `seed` (int or tuple):
    a NumPy Generator, or a CupyStream with the same two methods."""
    name = name or current()
    if name == "numpy":
        return np.random.default_rng(seed)
    return CupyStream(module("cupy"), seed)


def reseed(rng, seed, name: str | None = None):
    """`rng` re-seeded with `seed`: the same stream as `generator(seed)` on rng's backend, without
    paying for a new generator on the GPU (a NumPy Generator is cheap to build, so it is rebuilt).
    With rng None, a new generator on backend `name` (default: current)."""
    if rng is None:
        return generator(seed, name)
    if isinstance(rng, CupyStream):
        return rng.reseed(seed)
    return np.random.default_rng(seed)


def rng(name: str | None = None):
    """The global random generator of backend `name` (default: current); reseed it with `seed`."""
    name = name or current()
    if name not in _generators:
        _generators[name] = generator(None, name)
    return _generators[name]


def seed(value: int) -> None:
    """Seed the global generators of NumPy and, when it can be used, CuPy."""
    _generators["numpy"] = generator(value, "numpy")
    if _cupy is not None or (current() == "cupy"):
        _generators["cupy"] = generator(value, "cupy")
