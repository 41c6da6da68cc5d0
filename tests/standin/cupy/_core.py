"""The stand-in's array type, its ufuncs, and the wrapping that makes every function follow CuPy's rules.

A stand-in `ndarray` holds a NumPy array (`_host`) that plays the part of device memory.  What makes
the stand-in useful is what it refuses, exactly where real CuPy refuses:

* `ndarray` is not a `numpy.ndarray` subclass; `.data` is a memory pointer object, not the array;
* `numpy.asarray(device_array)` raises TypeError (CuPy's `__array__` always does): moving data to
  the host takes `.get()` or `cupy.asnumpy`;
* CuPy functions and ufuncs reject NumPy arrays and Python lists where an array is expected (only
  `cupy.asarray` / `cupy.array` copy host data to the device);
* a NumPy function called on a device array is dispatched to the CuPy function of the same name
  (`__array_function__`, `__array_ufunc__`), and fails with TypeError where CuPy has none;
* a reduction over all axes returns a 0-d device array, not a NumPy scalar.

Results are the NumPy results, wrapped: the stand-in checks where data lives and which names exist,
not floating-point behaviour (which the NumPy backend's tests already check).
"""
from __future__ import annotations

import functools
import sys

import numpy

_SCALAR_TYPES = (bool, int, float, complex, numpy.generic)

# The stand-in's own package (set by __init__), for dispatching NumPy functions by their module path.
_package = None


def _unsupported(value):
    # CuPy's own message for a host array or list handed to a device function.
    return TypeError(f"Unsupported type {type(value)}")


def is_scalar(value) -> bool:
    return isinstance(value, _SCALAR_TYPES)


# --- moving between the wrapper and the NumPy array it holds -----------------------------------

def device_operand(value):
    """The held array of a device array, or a scalar as it is; anything else is rejected."""
    if isinstance(value, ndarray):
        return value._host
    if is_scalar(value):
        return value
    raise _unsupported(value)


def device_array(value):
    """The held array of a device array; anything else (scalars too) is rejected."""
    if isinstance(value, ndarray):
        return value._host
    raise _unsupported(value)


def device_sequence(values):
    """A list of device arrays (concatenate, stack, ...): the held arrays."""
    if isinstance(values, ndarray):
        return [v._host for v in values]
    if not isinstance(values, (list, tuple)):
        raise _unsupported(values)
    return [device_array(v) for v in values]


def plain_argument(value):
    """A non-array argument (a shape, axes, a pad width, a dtype): device arrays inside it are
    unwrapped; a host array anywhere inside it is rejected."""
    if isinstance(value, ndarray):
        return value._host
    if isinstance(value, numpy.ndarray):
        raise _unsupported(value)
    if isinstance(value, (list, tuple)):
        return type(value)(plain_argument(v) for v in value)
    return value


def wrap(result):
    """NumPy results as device results: arrays and NumPy scalars become device arrays."""
    if isinstance(result, numpy.ndarray):
        return ndarray._adopt(result)
    if isinstance(result, numpy.generic):
        return ndarray._adopt(numpy.asarray(result))
    if isinstance(result, tuple):
        return tuple(wrap(r) for r in result)
    if isinstance(result, list):
        return [wrap(r) for r in result]
    return result


def _split_output(kwargs):
    """(the `out=` device array or None, kwargs with `out` as NumPy takes it and the rest checked)."""
    out = kwargs.pop("out", None)
    kwargs = {k: plain_argument(v) for k, v in kwargs.items()}
    if out is None:
        return None, kwargs
    if isinstance(out, tuple):
        if len(out) != 1:
            raise ValueError("the stand-in supports a single output array")
        out = out[0]
    kwargs["out"] = device_array(out)
    return out, kwargs


# --- memory accounting: what cupy.get_default_memory_pool() reports ----------------------------

class _Accounting:
    """Bytes of device memory in use, counted per held NumPy buffer, with an optional limit
    (`MemoryPool.set_limit`) past which allocation raises OutOfMemoryError, as on a real GPU."""

    def __init__(self):
        self.used = 0
        self.peak = 0
        self.limit = 0
        self.owners = {}          # id(held array) -> [bytes, number of wrappers]

    def track(self, host):
        if host.base is not None:
            return False         # a view: its memory is counted with the array it views
        key = id(host)
        entry = self.owners.get(key)
        if entry is not None:
            entry[1] += 1
            return True
        nbytes = host.nbytes
        if self.limit and self.used + nbytes > self.limit:
            from .cuda.memory import OutOfMemoryError
            raise OutOfMemoryError(nbytes, self.used, self.limit)
        self.owners[key] = [nbytes, 1]
        self.used += nbytes
        self.peak = max(self.peak, self.used)
        return True

    def release(self, host):
        entry = self.owners.get(id(host))
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del self.owners[id(host)]
            self.used -= entry[0]


accounting = _Accounting()


# --- the array ---------------------------------------------------------------------------------

def _should_use_reflected(other) -> bool:
    """CuPy's rule for `device_array <op> other`: defer to `other`'s reflected operator when it opts
    out of ufuncs (__array_ufunc__ = None) or, lacking __array_ufunc__, has a higher priority."""
    try:
        other_ufunc = other.__array_ufunc__
    except AttributeError:
        return getattr(other, "__array_priority__", 0) > ndarray.__array_priority__
    return other_ufunc is None


def _binary(ufunc_name, reflected=False, inplace=False):
    def operator(self, other):
        if other is None:
            return NotImplemented
        ufunc = UFUNCS[ufunc_name]
        if reflected:
            return ufunc(other, self)
        if inplace:
            return ufunc(self, other, out=self)
        if _should_use_reflected(other):
            return NotImplemented
        return ufunc(self, other)
    operator.__name__ = ufunc_name
    return operator


def _unary(ufunc_name):
    def operator(self):
        return UFUNCS[ufunc_name](self)
    return operator


def _forward(name):
    """A method that runs NumPy's method of the same name on the held array."""
    def method(self, *args, **kwargs):
        out, kwargs = _split_output(kwargs)
        result = getattr(self._host, name)(*plain_argument(args), **kwargs)
        return out if out is not None else wrap(result)
    method.__name__ = name
    return method


class _Flags:
    def __init__(self, host):
        self.c_contiguous = bool(host.flags.c_contiguous)
        self.f_contiguous = bool(host.flags.f_contiguous)
        self.owndata = bool(host.flags.owndata)

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]

    def __repr__(self):
        return (f"  C_CONTIGUOUS : {self.c_contiguous}\n  F_CONTIGUOUS : {self.f_contiguous}\n"
                f"  OWNDATA : {self.owndata}")


class ndarray:
    """A device array of the stand-in: a NumPy array behind CuPy's interface and rules."""

    __slots__ = ("_host", "_counted", "__weakref__")
    __array_priority__ = 100     # CuPy's value
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError("the CuPy stand-in cannot build an array on a raw memory pointer")
        self._host = numpy.empty(shape, dtype=dtype, order=order)
        self._counted = accounting.track(self._host)

    @classmethod
    def _adopt(cls, host):
        """Wrap a NumPy array as a device array (it plays the part of device memory)."""
        self = cls.__new__(cls)
        self._host = host
        self._counted = False
        self._counted = accounting.track(host)
        return self

    def __del__(self):
        if getattr(self, "_counted", False) and accounting is not None:   # (None at interpreter exit)
            accounting.release(self._host)

    # -- what makes it a device array --
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        mine = UFUNCS.get(ufunc.__name__)
        if mine is None:
            return NotImplemented
        return getattr(mine, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        target = _package
        for part in func.__module__.split(".")[1:]:
            target = getattr(target, part, None)
            if target is None:
                return NotImplemented
        implementation = getattr(target, func.__name__, None)
        if implementation is None or implementation is func:
            return NotImplemented
        return implementation(*args, **kwargs)

    @property
    def data(self):
        from .cuda.memory import MemoryPointer
        return MemoryPointer(self._host.__array_interface__["data"][0], self._host.nbytes)

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "typestr": self.dtype.str, "version": 3, "strides": None
                if self._host.flags.c_contiguous else self._host.strides,
                "data": (self._host.__array_interface__["data"][0], False)}

    @property
    def device(self):
        from .cuda import Device
        return Device(0)

    def get(self, stream=None, order="C", out=None, blocking=True):
        """A NumPy copy on the host (the only way data leaves the device)."""
        if out is not None:
            if not isinstance(out, numpy.ndarray):
                raise TypeError("out must be a numpy.ndarray")
            out[...] = self._host
            return out
        return numpy.array(self._host, order=order, copy=True)

    def set(self, arr, stream=None):
        """Copy a NumPy array of the same shape into this device array."""
        if not isinstance(arr, numpy.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self.shape:
            raise ValueError("Shape mismatch")
        self._host[...] = arr

    # -- attributes --
    @property
    def shape(self):
        return self._host.shape

    @shape.setter
    def shape(self, value):
        self._host.shape = value

    dtype = property(lambda self: self._host.dtype)
    ndim = property(lambda self: self._host.ndim)
    size = property(lambda self: self._host.size)
    itemsize = property(lambda self: self._host.itemsize)
    nbytes = property(lambda self: self._host.nbytes)
    strides = property(lambda self: self._host.strides)
    flags = property(lambda self: _Flags(self._host))
    T = property(lambda self: wrap(self._host.T))
    real = property(lambda self: wrap(self._host.real))
    imag = property(lambda self: wrap(self._host.imag))

    @property
    def base(self):
        base = self._host.base
        return wrap(base) if isinstance(base, numpy.ndarray) else None

    # -- Python protocol --
    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self):
        if self.size != 1:
            raise ValueError("The truth value of an array with more than one element is ambiguous. "
                             "Use a.any() or a.all()")
        return bool(self._host)

    def __float__(self):
        return float(self._host)

    def __int__(self):
        return int(self._host)

    def __complex__(self):
        return complex(self._host)

    def __repr__(self):
        return repr(self._host)

    def __str__(self):
        return str(self._host)

    def __format__(self, spec):
        return format(self._host, spec) if self.ndim == 0 else format(str(self), spec)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return (_rebuild, (self.get(),))

    def __getitem__(self, key):
        return wrap(self._host[_index(key)])

    def __setitem__(self, key, value):
        self._host[_index(key)] = device_operand(value)

    # -- methods that are NumPy's own, run on the held array --
    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        result = self._host.astype(dtype, order=order, copy=copy,
                                   **({"casting": casting} if casting else {}))
        return self if result is self._host else wrap(result)

    def fill(self, value):
        self._host.fill(device_operand(value))

    def item(self):
        return self._host.item()

    def tolist(self):
        return self._host.tolist()

    def dot(self, b, out=None):
        out, kwargs = _split_output({"out": out})
        result = self._host.dot(device_array(b), **kwargs)
        return out if out is not None else wrap(result)

    __add__, __radd__, __iadd__ = _binary("add"), _binary("add", True), _binary("add", inplace=True)
    __sub__, __rsub__, __isub__ = (_binary("subtract"), _binary("subtract", True),
                                   _binary("subtract", inplace=True))
    __mul__, __rmul__, __imul__ = (_binary("multiply"), _binary("multiply", True),
                                   _binary("multiply", inplace=True))
    __truediv__, __rtruediv__, __itruediv__ = (_binary("true_divide"), _binary("true_divide", True),
                                               _binary("true_divide", inplace=True))
    __floordiv__, __rfloordiv__, __ifloordiv__ = (_binary("floor_divide"), _binary("floor_divide", True),
                                                  _binary("floor_divide", inplace=True))
    __mod__, __rmod__, __imod__ = _binary("remainder"), _binary("remainder", True), _binary("remainder", inplace=True)
    __pow__, __rpow__, __ipow__ = _binary("power"), _binary("power", True), _binary("power", inplace=True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __and__, __rand__, __iand__ = (_binary("bitwise_and"), _binary("bitwise_and", True),
                                   _binary("bitwise_and", inplace=True))
    __or__, __ror__, __ior__ = _binary("bitwise_or"), _binary("bitwise_or", True), _binary("bitwise_or", inplace=True)
    __xor__, __rxor__, __ixor__ = (_binary("bitwise_xor"), _binary("bitwise_xor", True),
                                   _binary("bitwise_xor", inplace=True))
    __lshift__, __rshift__ = _binary("left_shift"), _binary("right_shift")
    __lt__, __le__, __gt__, __ge__ = _binary("less"), _binary("less_equal"), _binary("greater"), _binary("greater_equal")
    __eq__, __ne__ = _binary("equal"), _binary("not_equal")
    __neg__, __pos__, __abs__, __invert__ = _unary("negative"), _unary("positive"), _unary("absolute"), _unary("invert")


ndarray.__module__ = "cupy"
for _name in ("all", "any", "argmax", "argmin", "argsort", "clip", "conj", "conjugate", "copy", "cumprod",
              "cumsum", "diagonal", "flatten", "max", "mean", "min", "nonzero", "prod", "ravel", "repeat",
              "reshape", "round", "sort", "squeeze", "std", "sum", "swapaxes", "take", "trace", "transpose",
              "var", "view", "partition", "argpartition", "put"):
    setattr(ndarray, _name, _forward(_name))


def _rebuild(host):
    return ndarray._adopt(numpy.array(host))


def _index(key):
    """An index as NumPy takes it: device arrays unwrapped; host arrays refused (strict: the stand-in
    asks for device index arrays even where CuPy would copy a host one over)."""
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, ndarray):
        return key._host
    if isinstance(key, numpy.ndarray):
        raise _unsupported(key)
    return key


# --- ufuncs ------------------------------------------------------------------------------------

class ufunc:
    """A CuPy ufunc: takes device arrays and scalars, never host arrays or lists."""

    def __init__(self, numpy_ufunc):
        self._ufunc = numpy_ufunc
        self.__name__ = self.name = numpy_ufunc.__name__
        self.nin, self.nout, self.nargs = numpy_ufunc.nin, numpy_ufunc.nout, numpy_ufunc.nargs

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def __call__(self, *args, **kwargs):
        args = list(args)
        if len(args) > self.nin:                     # outputs given by position
            kwargs["out"] = tuple(args[self.nin:])
            args = args[:self.nin]
        out, kwargs = _split_output(kwargs)
        result = self._ufunc(*(device_operand(a) for a in args), **kwargs)
        return out if out is not None else wrap(result)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        out, kwargs = _split_output({"out": out})
        result = self._ufunc.reduce(device_array(array), axis=axis, dtype=dtype, keepdims=keepdims, **kwargs)
        return out if out is not None else wrap(result)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        out, kwargs = _split_output({"out": out})
        result = self._ufunc.accumulate(device_array(array), axis=axis, dtype=dtype, **kwargs)
        return out if out is not None else wrap(result)

    def outer(self, a, b, **kwargs):
        return wrap(self._ufunc.outer(device_operand(a), device_operand(b), **kwargs))

    def at(self, a, indices, b=None):
        if self.name not in ("add", "subtract", "maximum", "minimum"):
            raise NotImplementedError(f"cupy.{self.name}.at is not supported")
        args = (device_array(a), _index(indices)) + (() if b is None else (device_operand(b),))
        self._ufunc.at(*args)


UFUNC_NAMES = (
    "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
    "bitwise_and", "bitwise_or", "bitwise_xor", "cbrt", "ceil", "conjugate", "copysign", "cos", "cosh",
    "deg2rad", "degrees", "divide", "equal", "exp", "exp2", "expm1", "fabs", "float_power", "floor",
    "floor_divide", "fmax", "fmin", "fmod", "frexp", "gcd", "greater", "greater_equal", "heaviside",
    "hypot", "invert", "isfinite", "isinf", "isnan", "lcm", "ldexp", "left_shift", "less", "less_equal",
    "log", "log10", "log1p", "log2", "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or",
    "logical_xor", "matmul", "maximum", "minimum", "modf", "multiply", "negative", "nextafter",
    "not_equal", "positive", "power", "rad2deg", "radians", "reciprocal", "remainder", "right_shift",
    "rint", "sign", "signbit", "sin", "sinh", "spacing", "sqrt", "square", "subtract", "tan", "tanh",
    "true_divide", "trunc",
)
UFUNCS = {name: ufunc(getattr(numpy, name)) for name in UFUNC_NAMES}
UFUNCS.update(abs=UFUNCS["absolute"], conj=UFUNCS["conjugate"], mod=UFUNCS["remainder"])


# --- functions ---------------------------------------------------------------------------------
# How each function's arguments are checked, by kind:
#   "array":    the first argument must be a device array (cupy.sum, cupy.reshape, ...)
#   "operands": every positional argument is a device array or a scalar (cupy.where, cupy.dot, ...)
#   "sequence": the first argument is a list of device arrays (cupy.concatenate, cupy.stack, ...)
#   "creation": no array arguments at all (cupy.zeros, cupy.arange, ...)

def _function(numpy_function, kind, name):
    first = {"array": device_array, "sequence": device_sequence, "operands": device_operand,
             "creation": plain_argument}[kind]
    rest = device_operand if kind == "operands" else plain_argument

    @functools.wraps(numpy_function)
    def function(*args, **kwargs):
        out, kwargs = _split_output(kwargs)
        args = [first(args[0]), *(rest(a) for a in args[1:])] if args else []
        result = numpy_function(*args, **kwargs)
        if name in ("allclose", "array_equal"):
            result = numpy.asarray(result)        # CuPy answers with a 0-d device array
        return out if out is not None else wrap(result)
    function.__name__ = name
    function.__module__ = "cupy"
    return function


FUNCTION_KINDS = {
    "array": (
        "all", "amax", "amin", "any", "append", "argmax", "argmin", "argsort", "argwhere", "around",
        "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "average", "broadcast_to", "count_nonzero",
        "cov", "corrcoef", "cumprod", "cumsum", "diag", "diagonal", "diff", "expand_dims", "flatnonzero",
        "flip", "fliplr", "flipud", "histogram", "max", "mean", "median", "min", "moveaxis", "nan_to_num",
        "nanmax", "nanmean", "nanmin", "nansum", "nonzero", "pad", "percentile", "prod", "ptp", "quantile",
        "ravel", "repeat", "reshape", "roll", "rollaxis", "rot90", "round", "sort", "split", "squeeze",
        "std", "sum", "swapaxes", "take", "take_along_axis", "tile", "trace", "transpose", "tril", "triu",
        "unique", "var", "zeros_like", "ones_like", "empty_like", "full_like", "copy", "bincount",
        "searchsorted", "ascontiguousarray", "asfortranarray", "isclose", "allclose", "array_equal",
        "shares_memory", "may_share_memory",
    ),
    "operands": (
        "where", "dot", "vdot", "inner", "outer", "tensordot", "kron", "cross", "clip", "fix", "real",
        "imag", "angle", "i0", "sinc", "interp",
    ),
    "sequence": ("concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "broadcast_arrays",
                 "meshgrid", "ix_"),
    "creation": ("arange", "empty", "eye", "full", "identity", "linspace", "logspace", "ones", "tri",
                 "zeros", "indices", "result_type", "can_cast", "promote_types", "ndim", "shape", "size"),
}
FUNCTIONS = {name: _function(getattr(numpy, name), kind, name)
             for kind, names in FUNCTION_KINDS.items() for name in names}
# Functions whose arguments all sit in one list in NumPy's signature, but are separate in ours.
for _name in ("broadcast_arrays", "meshgrid", "ix_"):
    FUNCTIONS[_name] = (lambda f: functools.wraps(f)(lambda *arrays, **kw: wrap(f(*map(device_array, arrays), **kw))))(
        getattr(numpy, _name))


def einsum(subscripts, *operands, **kwargs):
    return wrap(numpy.einsum(subscripts, *(device_array(a) for a in operands),
                             **{k: plain_argument(v) for k, v in kwargs.items()}))


def asarray(a, dtype=None, order=None, *, blocking=False):
    """Copy host data (a NumPy array, a list, a number) to the device; a device array stays as it is."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == numpy.dtype(dtype) else a.astype(dtype)
    return array(a, dtype=dtype, order=order)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    """A new device array from host data or a device array (lists of device arrays too)."""
    if isinstance(obj, ndarray):
        obj = obj._host
    elif isinstance(obj, (list, tuple)):
        obj = plain_argument_loose(obj)
    host = numpy.array(obj, dtype=dtype, copy=True, order=order, ndmin=ndmin)
    return ndarray._adopt(host)


def plain_argument_loose(value):
    """Like plain_argument, but host arrays inside a list are accepted (cupy.array copies them)."""
    if isinstance(value, ndarray):
        return value._host
    if isinstance(value, (list, tuple)):
        return type(value)(plain_argument_loose(v) for v in value)
    return value


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    """A host NumPy array from a device array (host data is passed through, as in CuPy)."""
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    result = numpy.asarray(a, order=order)
    if out is not None:
        out[...] = result
        return out
    return result


def get_array_module(*args):
    """cupy if any argument is a device array, else numpy (CuPy's own rule)."""
    return sys.modules[_package.__name__] if any(isinstance(a, ndarray) for a in args) else numpy


def fuse(*args, **kwargs):
    """cupy.fuse compiles a Python function into one kernel; here the function simply runs."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda function: function


class _Kernel:
    """ElementwiseKernel / ReductionKernel / RawKernel / RawModule: built lazily as in CuPy (so a
    module that defines kernels imports fine), but running CUDA code is the one thing the stand-in
    cannot do, so calling one raises."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __call__(self, *args, **kwargs):
        raise NotImplementedError("the CuPy stand-in cannot run CUDA kernels: give this kernel a NumPy "
                                  "definition and use it where no GPU is present")

    def get_function(self, name):
        return self


class ElementwiseKernel(_Kernel):
    pass


class ReductionKernel(_Kernel):
    pass


class RawKernel(_Kernel):
    pass


class RawModule(_Kernel):
    pass
