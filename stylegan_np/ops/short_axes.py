"""Two NumPy operations that are slow when an axis is very short, done a faster way.

NumPy runs every element-wise operation and reduction as an inner loop over one axis, called once
for each position of the others.  When that inner axis is 2 long, the loop's fixed cost dominates:
summing the 2x2 blocks of a (32, 64, 64, 64) image for average pooling — x.reshape(n, c, 32, 2, 32, 2)
.sum(axis=(3, 5)) — takes ~110 ms, 70x a plain copy of the same array, and copying the broadcast view
that nearest upsampling builds (..., 32, 2, 32, 2) takes ~37 ms.  Both are just as easily written
with the short axis taken apart by slicing: x[..., 0, :, 0] + x[..., 0, :, 1] + ... is a few
whole-array additions whose inner loops run along the long axes, 10-14x faster here.

The numbers are the same up to the order of float additions.  CuPy runs one kernel per operation
whatever the shape, so there the plain call (one launch) is kept.

Reductions over trailing axes have a related cost: NumPy's sum of each short row of a (rows,
length) array pays ~25 ns per row, so summing the 16x16 feature maps of a (16, 16, 16, 16) batch —
instance norm's means, every bias gradient — took 15 us where the product with a vector of ones,
one BLAS matrix-vector call, takes 5 us.  `sum_axes` uses that product for float arrays whose
summed axes end with a trailing block.
"""
from __future__ import annotations

import numpy as np

from ..backend import get_array_module

# An axis this short, or shorter, is taken apart by slicing.
SHORT = 4


def _index(axis, i):
    """The index that selects i:i+1 along `axis` (keeping it, length 1) and everything else."""
    return (slice(None),) * axis + (slice(i, i + 1),)


def sum_axes(x, axes, keepdims=False):
    """x.sum(axis=axes, keepdims=keepdims), with short axes summed by slice additions on NumPy."""
    axes = tuple(sorted(set(a % x.ndim for a in axes)))
    if get_array_module(x) is not np or x.size < 4096 or x.dtype.kind not in "fc":
        # (NumPy widens small integers and booleans when it sums them; slice additions would not.)
        return x.sum(axis=axes, keepdims=keepdims)
    blocks = _sum_by_products(x, axes)
    if blocks is not None:
        return blocks if keepdims else blocks.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
    short = [a for a in axes if 1 < x.shape[a] <= SHORT]
    for a in short:
        total = x[_index(a, 0)] + x[_index(a, 1)]
        for i in range(2, x.shape[a]):
            total += x[_index(a, i)]
        x = total                                           # axis a is now 1 long
    rest = tuple(a for a in axes if a not in short and x.shape[a] != 1)
    if rest:
        x = x.sum(axis=rest, keepdims=True)
    if not keepdims:
        x = x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
    return x


def _sum_by_products(x, axes):
    """x.sum(axis=axes, keepdims=True) for a NumPy float array whose summed axes end with a trailing
    block: that block is summed as x (rows, length) @ ones(length), one BLAS call, and a leading
    block of summed axes (the batch, for a bias gradient) by NumPy over whole rows, which is fast.
    None when there is no trailing block or a summed axis lies between kept ones (average
    pooling's 2x2 blocks), which the slicing above handles."""
    summed = set(axes) | {i for i, n in enumerate(x.shape) if n == 1}    # 1-long axes cost nothing
    k = 0                                          # axes 0 .. k-1 form the leading block
    while k < x.ndim and k in summed:
        k += 1
    m = x.ndim                                     # axes m .. ndim-1 form the trailing block
    while m > k and m - 1 in summed:
        m -= 1
    trail = _product(x.shape[m:])
    if trail < 8 or any(k <= i < m for i in axes):
        return None
    y = x.reshape(-1, trail) @ _ones(trail, x.dtype)
    lead = _product(x.shape[:k])
    if lead > 1:
        y = y.reshape(lead, -1).sum(axis=0)
    return y.reshape([1 if i in summed else n for i, n in enumerate(x.shape)])


def _product(numbers):
    result = 1
    for n in numbers:
        result *= n
    return result


_ONES = {}


def _ones(length, dtype):
    """A cached vector of ones (the products above reuse it instead of allocating it every call)."""
    key = (length, dtype)
    if key not in _ONES:
        _ONES[key] = np.ones(length, dtype=dtype)
    return _ONES[key]


def contiguous(x):
    """x as a C-contiguous array (x itself if it is one already); a short last axis is copied
    slice by slice."""
    xp = get_array_module(x)
    if x.flags.c_contiguous:
        return x
    if xp is not np or x.ndim < 2 or x.shape[-1] > SHORT or x.size < 4096:
        return xp.ascontiguousarray(x)
    out = np.empty(x.shape, dtype=x.dtype)
    for i in range(x.shape[-1]):
        out[..., i] = x[..., i]
    return out
