"""cupy.random of the stand-in.

The streams come from other bit generators than NumPy's default (Philox for the legacy RandomState,
SFC64 for the Generator API), so that a test which silently depends on NumPy's stream fails here as
it would on cuRAND.  Everything returned lives on the device."""
from __future__ import annotations

import numpy

from .._core import device_array, device_operand, wrap


def _float_dtype(dtype):
    dtype = numpy.dtype(dtype)
    if dtype.char not in "fd":
        raise TypeError(f"cupy.random only supports float32 and float64 (got {dtype})")
    return dtype


def _check_seed(seed):
    if seed is None:
        return None
    if isinstance(seed, numpy.ndarray):
        raise TypeError("Unsupported type <class 'numpy.ndarray'> as a seed of the stand-in")
    seed = int(seed)
    if not 0 <= seed < 2 ** 64:
        raise ValueError(f"a seed must be an integer in [0, 2**64), got {seed}")
    return seed


class _BitGenerator:
    _numpy_kind = numpy.random.SFC64

    def __init__(self, seed=None, *, size=10 ** 6):
        self.seed = _check_seed(seed)
        self._stream = numpy.random.Generator(self._numpy_kind(self.seed))


class XORWOW(_BitGenerator):
    pass


class MRG32k3a(_BitGenerator):
    pass


class Philox4x3210(_BitGenerator):
    _numpy_kind = numpy.random.Philox


BitGenerator = _BitGenerator


class Generator:
    """The Generator API (cupy.random.default_rng): the methods CuPy has."""

    def __init__(self, bit_generator):
        self.bit_generator = bit_generator
        self._stream = bit_generator._stream

    @staticmethod
    def _deliver(values, out):
        """Device values, written into `out` when one is given (CuPy's `out=` convention)."""
        if out is None:
            return wrap(values)
        out[...] = wrap(values)
        return out

    def random(self, size=None, dtype=numpy.float64, out=None):
        return self._deliver(self._stream.random(size, dtype=_float_dtype(dtype)), out)

    def standard_normal(self, size=None, dtype=numpy.float64, out=None):
        return self._deliver(self._stream.standard_normal(size, dtype=_float_dtype(dtype)), out)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=numpy.float64):
        return wrap(self._stream.uniform(device_operand(low), device_operand(high), size).astype(dtype))

    def integers(self, low, high=None, size=None, dtype=numpy.int64, endpoint=False):
        return wrap(self._stream.integers(int(low), None if high is None else int(high), size,
                                          dtype=dtype, endpoint=endpoint))

    def standard_exponential(self, size=None, dtype=numpy.float64, method="inv", out=None):
        return wrap(self._stream.standard_exponential(size, dtype=_float_dtype(dtype)))

    def exponential(self, scale=1.0, size=None):
        return wrap(self._stream.exponential(device_operand(scale), size))

    def poisson(self, lam=1.0, size=None):
        return wrap(self._stream.poisson(device_operand(lam), size))


def default_rng(seed=None):
    if isinstance(seed, _BitGenerator):
        return Generator(seed)
    return Generator(XORWOW(seed))


class RandomState:
    """The legacy API, cuRAND's host generators behind it (`method` picks one)."""

    def __init__(self, seed=None, method=100):
        self.method = method
        self.seed(seed)

    def seed(self, seed=None):
        self._stream = numpy.random.Generator(numpy.random.Philox(_check_seed(seed)))

    def standard_normal(self, size=None, dtype=float):
        return wrap(self._stream.standard_normal(size, dtype=_float_dtype(dtype)))

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        x = self._stream.standard_normal(size, dtype=_float_dtype(dtype))
        return wrap(x * device_operand(scale) + device_operand(loc))

    def random_sample(self, size=None, dtype=float):
        return wrap(self._stream.random(size, dtype=_float_dtype(dtype)))

    def rand(self, *size, dtype=float):
        return self.random_sample(size, dtype)

    def randn(self, *size, dtype=float):
        return self.standard_normal(size, dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        return wrap(self._stream.uniform(device_operand(low), device_operand(high), size).astype(dtype))

    def randint(self, low, high=None, size=None, dtype=int):
        return wrap(self._stream.integers(low, high, size, dtype=dtype))

    def standard_exponential(self, size=None, dtype=float):
        return wrap(self._stream.standard_exponential(size, dtype=_float_dtype(dtype)))

    def permutation(self, num):
        if isinstance(num, int):
            return wrap(self._stream.permutation(num))
        return wrap(self._stream.permutation(device_array(num)))

    def shuffle(self, a):
        self._stream.shuffle(device_array(a))

    def choice(self, a, size=None, replace=True, p=None):
        a = a if isinstance(a, int) else device_array(a)
        return wrap(self._stream.choice(a, size, replace, None if p is None else device_array(p)))


_global = None


def get_random_state():
    global _global
    if _global is None:
        _global = RandomState()
    return _global


def set_random_state(rs):
    global _global
    _global = rs


def seed(seed=None):
    get_random_state().seed(seed)


def rand(*size, dtype=float):
    return get_random_state().rand(*size, dtype=dtype)


def randn(*size, dtype=float):
    return get_random_state().randn(*size, dtype=dtype)


def random_sample(size=None, dtype=float):
    return get_random_state().random_sample(size, dtype)


random = ranf = sample = random_sample


def standard_normal(size=None, dtype=float):
    return get_random_state().standard_normal(size, dtype)


def normal(loc=0.0, scale=1.0, size=None, dtype=float):
    return get_random_state().normal(loc, scale, size, dtype)


def uniform(low=0.0, high=1.0, size=None, dtype=float):
    return get_random_state().uniform(low, high, size, dtype)


def randint(low, high=None, size=None, dtype=int):
    return get_random_state().randint(low, high, size, dtype)


def permutation(a):
    return get_random_state().permutation(a)


def shuffle(a):
    get_random_state().shuffle(a)


def choice(a, size=None, replace=True, p=None):
    return get_random_state().choice(a, size, replace, p)
