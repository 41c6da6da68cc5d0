"""A strict CuPy stand-in: NumPy on the CPU behind CuPy's interface and CuPy's rules.

It exists so that every CuPy code path of stylegan_np runs on every commit, on machines without a
GPU (CI, most development sessions).  It is found by putting tests/standin first on sys.path
(tests/conftest.py does that when no real GPU is visible; `PYTHONPATH=tests/standin python -m
stylegan_np.train --backend cupy ...` does it for the command-line programs).

What it enforces, each where real CuPy does (see _core.py): device arrays are not NumPy arrays; `.data`
is a memory pointer; implicit conversion to NumPy raises; CuPy functions reject host arrays and lists;
NumPy functions on device arrays dispatch to the CuPy function of the same name; only names CuPy 13 and
14 both have exist here; the random streams differ from NumPy's; custom CUDA kernels cannot run.
A real GPU always wins: with CuPy and a GPU present the tests use the real thing.
"""
import sys as _sys

import numpy as _numpy

from . import _core
from ._core import (ElementwiseKernel, RawKernel, RawModule, ReductionKernel, array, asarray, asnumpy,  # noqa: F401
                    einsum, fuse, get_array_module, ndarray, ufunc)

__version__ = "14.0.0+standin"
_standin = True
_core._package = _sys.modules[__name__]

globals().update(_core.UFUNCS)
globals().update(_core.FUNCTIONS)

from . import cuda, lib, linalg, random  # noqa: E402,F401
from .cuda.memory import default_pinned_pool as _pinned_pool  # noqa: E402
from .cuda.memory import default_pool as _pool  # noqa: E402

# Types and constants CuPy takes over from NumPy.
dtype, iinfo, finfo, generic, number, integer, floating = (_numpy.dtype, _numpy.iinfo, _numpy.finfo,
                                                           _numpy.generic, _numpy.number, _numpy.integer,
                                                           _numpy.floating)
bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64 = (
    _numpy.bool_, _numpy.int8, _numpy.int16, _numpy.int32, _numpy.int64, _numpy.uint8, _numpy.uint16,
    _numpy.uint32, _numpy.uint64)
float16, float32, float64, complex64, complex128 = (_numpy.float16, _numpy.float32, _numpy.float64,
                                                    _numpy.complex64, _numpy.complex128)
intp, int_, float_ = _numpy.intp, _numpy.int64, _numpy.float64
pi, e, inf, nan, newaxis = _numpy.pi, _numpy.e, _numpy.inf, _numpy.nan, None


def get_default_memory_pool():
    return _pool


def get_default_pinned_memory_pool():
    return _pinned_pool


def show_config():
    print(f"CuPy stand-in {__version__} (NumPy {_numpy.__version__} on the CPU; no GPU is used)")


def is_available():
    return True
