"""Operations that move numbers around without changing them: reshape, transpose, broadcasting,
indexing, concatenation, padding, repetition.

Their backward passes move the gradient back to where each number came from, and are pairs:
broadcast_to and sum_to are each other's backward, as are getitem and its scatter (`GetItemGrad`).
"""
from __future__ import annotations

from ..autograd import Function, Tensor
from .short_axes import SHORT, contiguous, sum_axes


class Reshape(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        if not x.flags.c_contiguous and x.ndim > 1 and x.shape[-1] <= SHORT:
            # A strided view with a short last axis, such as nearest upsampling's broadcast
            # (..., h, 2, w, 2): NumPy's own copy is slow on it (short_axes.py says why).
            x = contiguous(x)
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


class Transpose(Function):
    """Permute the axes; the backward applies the inverse permutation.

    Negative axes count from the end, as in NumPy.  They are made non-negative here, once: a
    permutation names every axis, so its length is the number of axes, and the inverse below
    (which sorts axis numbers) is only right for non-negative ones."""

    def __init__(self, axes):
        n = len(axes)
        if any(not -n <= a < n for a in axes):
            raise ValueError(f"transpose: axes {tuple(axes)} must lie in -{n}..{n - 1} for {n} axes")
        self.axes = tuple(a % n for a in axes)

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inverse = tuple(sorted(range(len(self.axes)), key=lambda i: self.axes[i]))
        return transpose(gy, inverse)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return self.xp_of(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


class SumTo(Function):
    """Sum `x` down to `shape`, undoing NumPy broadcasting (the backward of every broadcast)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = x.ndim - len(self.shape)  # axes broadcasting added in front
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(self.shape)
                                          if n == 1 and x.shape[lead + i] != 1)
        y = sum_axes(x, axes, keepdims=True) if axes else x
        return y.reshape(self.shape) if lead else y

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


def _is_basic_index(index) -> bool:
    """True when `index` only slices (so no element is picked twice and plain assignment scatters)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    """x[index] for any NumPy index (slices, integers, integer arrays, boolean masks)."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        x, = self.inputs
        return GetItemGrad(self.index, x.shape)(gy)


class GetItemGrad(Function):
    """Scatter-add `gy` into zeros of the input's shape at `index` (the backward of GetItem).

    With integer-array indices an element can be picked twice; its gradient must then be the sum of
    both picks, which `add.at` does and plain assignment would not."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        xp = self.xp_of(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic_index(self.index):
            gx[self.index] = gy
        elif hasattr(xp, "add") and hasattr(xp.add, "at"):
            xp.add.at(gx, self.index, gy)
        else:  # older CuPy: the same operation lives in cupyx
            import cupyx
            cupyx.scatter_add(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return getitem(ggx, self.index)


class Concat(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return self.xp_of(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        grads, start = [], 0
        axis = self.axis % gy.ndim
        for x in self.inputs:
            stop = start + x.shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(getitem(gy, index))
            start = stop
        return tuple(grads)


class Pad(Function):
    """Constant padding; `pad_width` is ((before, after), ...) for every axis, as in numpy.pad."""

    def __init__(self, pad_width, value=0.0):
        self.pad_width, self.value = tuple(tuple(p) for p in pad_width), value

    def forward(self, x):
        return self.xp_of(x).pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        index = tuple(slice(before, gy.shape[i] - after) for i, (before, after) in enumerate(self.pad_width))
        return getitem(gy, index)


# --- the functional interface ----------------------------------------------------------------

def reshape(x, shape):
    shape = tuple(shape)
    if isinstance(x, Tensor) and x.shape == shape:
        return x
    return Reshape(shape)(x)


def transpose(x, axes=None):
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    return Transpose(axes)(x)


def swapaxes(x, a, b):
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes)


def broadcast_to(x, shape):
    if isinstance(x, Tensor) and x.shape == tuple(shape):
        return x
    return BroadcastTo(shape)(x)


def sum_to(x, shape):
    if x.shape == tuple(shape):
        return x
    return SumTo(shape)(x)


def getitem(x, index):
    xp = x.xp if isinstance(x, Tensor) else None

    def plain(i):
        """Tensor indices become arrays; host index arrays follow GPU data onto the GPU."""
        i = i.data if isinstance(i, Tensor) else i
        if xp is not None and hasattr(i, "shape") and not isinstance(i, xp.ndarray):
            i = xp.asarray(i)
        return i

    index = tuple(plain(i) for i in index) if isinstance(index, tuple) else plain(index)
    return GetItem(index)(x)


def concat(xs, axis=0):
    return Concat(axis)(*xs)


def stack(xs, axis=0):
    """Stack equal-shaped tensors along a new axis: insert the axis in each, then concatenate."""
    axis = axis % (xs[0].ndim + 1)
    expanded = [reshape(x, x.shape[:axis] + (1,) + x.shape[axis:]) for x in xs]
    return concat(expanded, axis=axis)


def pad(x, pad_width, value=0.0):
    """Pad with a constant; `pad_width` as in numpy.pad (an int, a pair, or a pair per axis)."""
    if isinstance(pad_width, int):
        pad_width = ((pad_width, pad_width),) * x.ndim
    elif len(pad_width) == 2 and isinstance(pad_width[0], int):
        pad_width = (tuple(pad_width),) * x.ndim
    return Pad(pad_width, value)(x)


def expand_dims(x, axis):
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x, start_axis=1):
    return reshape(x, x.shape[:start_axis] + (-1,))


def repeat(x, repeats: int, axis: int):
    """numpy.repeat with one count: each element `repeats` times in a row along `axis`.
    A composition: a new axis after `axis`, broadcast to `repeats`, merged back."""
    axis = axis % x.ndim
    y = expand_dims(x, axis + 1)
    y = broadcast_to(y, y.shape[:axis + 1] + (repeats,) + y.shape[axis + 2:])
    return reshape(y, x.shape[:axis] + (x.shape[axis] * repeats,) + x.shape[axis + 1:])


def tile(x, reps):
    """numpy.tile: the whole array `reps[i]` times along axis i (a new axis before, broadcast, merge)."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    reps = (1,) * (x.ndim - len(reps)) + reps
    y = reshape(x, (1,) * (len(reps) - x.ndim) + x.shape)  # numpy.tile adds leading axes too
    for axis, r in enumerate(reps):
        if r == 1:
            continue
        y = expand_dims(y, axis)
        y = broadcast_to(y, y.shape[:axis] + (r,) + y.shape[axis + 1:])
        y = reshape(y, y.shape[:axis] + (r * y.shape[axis + 1],) + y.shape[axis + 2:])
    return y
