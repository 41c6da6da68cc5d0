"""Changing resolution: nearest upsampling, average pooling and bilinear resizing.

All three are compositions of primitives (reshape, broadcast, mean, matmul), so their gradients —
and gradients of gradients — come from those primitives with no new backward code.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor
from .linalg import matmul
from .reductions import mean
from .shape import broadcast_to, reshape


def upsample_nearest(x, factor: int = 2):
    """(N, C, H, W) -> (N, C, fH, fW), each pixel copied into an f x f block."""
    ### BEGIN SOLUTION ch05_upsample_nearest: each pixel copied into a factor x factor block, composed from existing differentiable ops
    n, c, h, w = x.shape
    y = reshape(x, (n, c, h, 1, w, 1))
    y = broadcast_to(y, (n, c, h, factor, w, factor))
    return reshape(y, (n, c, h * factor, w * factor))
    ### END SOLUTION


def avg_pool2d(x, factor: int = 2):
    """(N, C, H, W) -> (N, C, H/f, W/f), the mean of each f x f block (ProGAN's downsampling)."""
    n, c, h, w = x.shape
    if h % factor or w % factor:
        raise ValueError(f"avg_pool2d: size {h}x{w} is not divisible by {factor}")
    return mean(reshape(x, (n, c, h // factor, factor, w // factor, factor)), axis=(3, 5))


def bilinear_matrix(size_out: int, size_in: int) -> np.ndarray:
    """The (size_out, size_in) matrix of 1-D linear interpolation with half-pixel centres
    (PyTorch's align_corners=False): output pixel i samples input position (i + 0.5) * in/out - 0.5."""
    position = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
    position = np.clip(position, 0, size_in - 1)
    left = np.floor(position).astype(int)
    right = np.minimum(left + 1, size_in - 1)
    frac = position - left
    matrix = np.zeros((size_out, size_in))
    np.add.at(matrix, (np.arange(size_out), left), 1 - frac)
    np.add.at(matrix, (np.arange(size_out), right), frac)
    return matrix


def resize_bilinear(x, size):
    """Bilinear resize of (N, C, H, W) to `size` = (H', W'): rows then columns, each one constant
    matrix product, y = A_h @ x @ A_w^T."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    xp, dtype = x.xp, x.dtype
    a_h = Tensor(xp.asarray(bilinear_matrix(size[0], x.shape[2]), dtype=dtype))
    a_w_t = Tensor(xp.asarray(bilinear_matrix(size[1], x.shape[3]).T, dtype=dtype))
    return matmul(matmul(a_h, x), a_w_t)

