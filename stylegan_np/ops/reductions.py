"""Reductions: sum and max are primitives; mean and variance are compositions of them."""
from __future__ import annotations

from ..autograd import Function, Tensor
from .shape import broadcast_to, reshape
from .short_axes import sum_axes


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


def _keepdims_shape(shape, axes):
    """The shape a reduction over `axes` has with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        if self.axis is None:
            return x.sum(keepdims=self.keepdims)
        return sum_axes(x, _normalize_axes(self.axis, x.ndim), self.keepdims)

    def backward(self, gy):
        ### BEGIN SOLUTION ch01_sum_backward: the gradient of a sum over any axes (None, an int, a tuple, negative, keepdims) with x's shape
        # Every summed element received the same upstream gradient: restore the reduced axes, broadcast.
        x, = self.inputs
        axes = _normalize_axes(self.axis, x.ndim)
        return broadcast_to(reshape(gy, _keepdims_shape(x.shape, axes)), x.shape)
        ### END SOLUTION


class Max(Function):
    """Max over axes.  The gradient flows to the maximal elements; ties share it equally, so that the
    gradient stays the derivative of a well-defined subgradient and sums to the upstream one."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return x.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        keep = _keepdims_shape(x.shape, _normalize_axes(self.axis, x.ndim))
        is_max = x.data == self.output.data.reshape(keep)
        share = is_max / is_max.sum(axis=self.axis, keepdims=True)
        return broadcast_to(reshape(gy, keep), x.shape) * Tensor(share.astype(gy.dtype))


def sum(x, axis=None, keepdims=False):  # noqa: A001  (mirrors numpy's name)
    return Sum(axis, keepdims)(x)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return Max(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    count = 1
    for a in _normalize_axes(axis, x.ndim):
        count *= x.shape[a]
    return sum(x, axis, keepdims) * (1.0 / count)


def var(x, axis=None, keepdims=False):
    """Population variance (divides by N, as instance norm and minibatch stddev use)."""
    centred = x - mean(x, axis, keepdims=True)
    return mean(centred * centred, axis, keepdims)
