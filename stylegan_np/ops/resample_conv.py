"""Resampling convolutions: 3x3 convolution then 2x2 average pooling, and 2x nearest upsampling then
3x3 convolution, each as one stride-2 convolution with a 4x4 kernel (NVlabs' `conv2d_downscale2d` and
`upscale2d_conv2d` with fused_scale).

    avg_pool2d(conv2d(x, W, padding=1))        == conv2d(x, K_down, stride=2, padding=1)
    conv2d(upsample_nearest(x), W, padding=1)  == conv_transpose2d(x, K_up, stride=2, padding=1)

K_down[k, l] = 1/4 sum of W[k - a, l - b] over a, b in {0, 1} (the pooling's 2x2 box applied to the
kernel), and K_up is the same box sum without the 1/4, flipped in space, with the channel axes
swapped (the transposed convolution's layout).  Each output pixel then costs 16 taps at the low
resolution instead of 9 at the high one, 4x as many pixels: 2.25x fewer multiplications, and the
pooling or upsampling pass is gone.  The numbers are the same up to the order of float additions.

The kernels are built inside the graph (a product of the weights with a constant 9 -> 16 matrix),
so the stored 3x3 weight gets its gradient, and the convolution is conv.py's stride-2 convolution,
whose gradients of any order are the other two convolution Functions.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor
from .conv import Conv2d, Conv2dGradInput
from .linalg import matmul
from .shape import reshape, transpose


def _box_matrix(flip):
    """(9, 16): column (k, l) of a 4x4 kernel sums the 3x3 taps (i, j) with k - i, l - j in {0, 1}
    (or, flipped, with k + i and l + j in {2, 3})."""
    m = np.zeros((3, 3, 4, 4))
    for i in range(3):
        for j in range(3):
            for k in range(4):
                for l in range(4):
                    if flip:
                        m[i, j, k, l] = (k + i) in (2, 3) and (l + j) in (2, 3)
                    else:
                        m[i, j, k, l] = (k - i) in (0, 1) and (l - j) in (0, 1)
    return m.reshape(9, 16)


_DOWN, _UP = _box_matrix(flip=False) / 4, _box_matrix(flip=True)


def _kernel(w, matrix):
    """(O, C, 3, 3) -> (O, C, 4, 4) through the constant box matrix (differentiable in w)."""
    o, c = w.shape[:2]
    box = Tensor(w.xp.asarray(matrix, dtype=w.dtype))
    return reshape(matmul(reshape(w, (o * c, 9)), box), (o, c, 4, 4))


def _check(x, w, what):
    if x.ndim != 4 or tuple(w.shape[2:]) != (3, 3) or x.shape[1] != w.shape[1]:
        raise ValueError(f"{what}: needs x (N, C, H, W) and a 3x3 weight (O, C, 3, 3), got {x.shape} and {w.shape}")


def conv2d_downsample(x, weight, scale=1.0):
    """avg_pool2d(conv2d(x, scale * weight, padding=1), 2) for a 3x3 weight, as one stride-2 conv.
    H and W must be even."""
    _check(x, weight, "conv2d_downsample")
    if x.shape[2] % 2 or x.shape[3] % 2:
        raise ValueError(f"conv2d_downsample: size {x.shape[2]}x{x.shape[3]} is not divisible by 2")
    return Conv2d(stride=2, padding=1, scale=scale)(x, _kernel(weight, _DOWN))


def upsample_conv2d(x, weight, scale=1.0):
    """conv2d(upsample_nearest(x, 2), scale * weight, padding=1) for a 3x3 weight, as one stride-2
    transposed convolution."""
    _check(x, weight, "upsample_conv2d")
    n, _, h, w = x.shape
    kernel = transpose(_kernel(weight, _UP), (1, 0, 2, 3))          # (C, O, 4, 4)
    return Conv2dGradInput((n, weight.shape[0], 2 * h, 2 * w), stride=2, padding=1, scale=scale)(x, kernel)
