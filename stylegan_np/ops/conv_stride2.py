"""Stride-2 convolutions with a 4x4 kernel, as matrix products on the input's parity planes.

These are the convolutions that resample: a 3x3 convolution followed by 2x2 average pooling is one
stride-2 convolution with a 4x4 kernel, and 2x nearest upsampling followed by a 3x3 convolution is
one stride-2 transposed convolution with a 4x4 kernel (NVlabs' `conv2d_downscale2d` and
`upscale2d_conv2d`; nn.Conv2d's `resample`).  Done that way they cost 4 taps per output pixel and
input channel instead of 9 per pixel at the higher resolution: 2.25x fewer multiplications.

Output pixel (Y, X) of the stride-2 correlation reads padded pixel (2Y + k, 2X + l) for tap (k, l).
Split the padded input into its four even/odd "parity planes", P[p, q][t, u] = x_pad[2t + p, 2u + q]:
tap (k, l) is plane (k%2, l%2) at (Y + k//2, X + l//2), a fixed offset into the flattened plane.  So
the 16 taps' inputs are 4 shifted views of the 4 flat planes, and the convolution is 4 products
(O, 4 C) @ (4 C, tiles) that BLAS reads straight from those views.  As in winograd.py, every
image keeps one extra row and column of outputs in that layout, which are computed and dropped
(forward) or met with zeros (the two gradients).

The adjoint (the input gradient, and the transposed convolution) is one product of the kernel with
four shifted copies of the upstream gradient, which gives the planes, then put back together.  The
weight gradient is the product of each view with the upstream gradient.
"""
from __future__ import annotations

from ..backend import get_array_module

KERNEL = 4


def fits(x_shape, w_shape, stride, padding, groups):
    """Whether this path computes conv(x, w): stride 2, a 4x4 kernel, even padded sizes."""
    h, w = x_shape[2:]
    return (stride == 2 and tuple(w_shape[2:]) == (KERNEL, KERNEL) and groups == 1
            and (h + 2 * padding) % 2 == 0 and (w + 2 * padding) % 2 == 0)


def _geometry(x_shape, padding):
    """Plane height and width (half the padded size) and the output size."""
    n, c, h, w = x_shape
    ph, pw = (h + 2 * padding) // 2, (w + 2 * padding) // 2
    return ph, pw, ph - KERNEL // 2 + 1, pw - KERNEL // 2 + 1


def _plane_slices(size, padding, parity):
    """For one axis: where in the plane (start) and which input indices (first, count) go."""
    start = (padding - parity + 1) // 2                # first plane index whose padded pixel is inside
    first = 2 * start + parity - padding                # the input index it holds
    return start, first, len(range(first, size, 2))


def parity_planes(x, padding):
    """The zero-padded input's parity planes as a (4 C, N * ph * pw + pw + 1) matrix: row (p, q, c)
    holds P[p, q] of channel c for every image in turn, then zeros for the shifted reads.  Tap
    (2i + p, 2j + q) of every output pixel, in (n, Y, X) order, is the view starting at i pw + j."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    ph, pw, _, _ = _geometry(x.shape, padding)
    size = n * ph * pw
    planes = xp.zeros((2, 2, c, size + pw + 1), dtype=x.dtype)
    images = planes[:, :, :, :size].reshape(2, 2, c, n, ph, pw)
    x_t = x.transpose(1, 0, 2, 3)
    for p in range(2):
        t0, r0, rows = _plane_slices(h, padding, p)
        for q in range(2):
            u0, c0, cols = _plane_slices(w, padding, q)
            images[p, q, :, :, t0:t0 + rows, u0:u0 + cols] = x_t[:, :, r0::2, c0::2]
    return planes.reshape(4 * c, size + pw + 1)


def _taps(planes, pw, size):
    """The four shifted views (i, j) of the planes, each a (4 C, size) matrix BLAS reads in place
    (rows `size` long, a row stride a little longer): no copy of the 16 taps is made."""
    return {(i, j): planes[:, i * pw + j:i * pw + j + size] for i in range(2) for j in range(2)}


def _to_images(y, n, ph, pw, ho, wo):
    """(O, N * ph * pw) in tile layout -> (N, O, ho, wo), dropping the extra row and column."""
    xp = get_array_module(y)
    o = y.shape[0]
    out = xp.empty((n, o, ho, wo), dtype=y.dtype)
    out.transpose(1, 0, 2, 3)[...] = y.reshape(o, n, ph, pw)[:, :, :ho, :wo]
    return out


def _from_images(gy, ph, pw):
    """(N, O, ho, wo) -> (O, N * ph * pw) in tile layout, zero on the extra row and column."""
    xp = get_array_module(gy)
    n, o, ho, wo = gy.shape
    rows = xp.zeros((o, n, ph, pw), dtype=gy.dtype)
    rows[:, :, :ho, :wo] = gy.transpose(1, 0, 2, 3)
    return rows.reshape(o, n * ph * pw)


def conv(x, w, padding, planes=None):
    """Stride-2 correlation of x (N, C, H, W) with w (O, C, 4, 4); `planes`: x's parity planes if known.
    One product per shift (i, j): w's taps (2i + p, 2j + q) as an (O, 4 C) matrix times that view."""
    n, c = x.shape[:2]
    o = w.shape[0]
    ph, pw, ho, wo = _geometry(x.shape, padding)
    planes = parity_planes(x, padding) if planes is None else planes
    kernel = w.reshape(o, c, 2, 2, 2, 2).transpose(2, 4, 0, 3, 5, 1).reshape(2, 2, o, 4 * c)   # (i, j, o, pqc)
    y = None
    for (i, j), view in _taps(planes, pw, n * ph * pw).items():
        if y is None:
            y = kernel[i, j] @ view
        else:
            y += kernel[i, j] @ view
    return _to_images(y, n, ph, pw, ho, wo)


def grad_input(gy, w, x_shape, padding):
    """The adjoint of conv: gy (N, O, ho, wo) -> (N, C, H, W) (also the transposed convolution).

    Plane (p, q) of channel c at position m receives w[o, c, 2i + p, 2j + q] gy[o, m - i pw - j]
    from every tap (i, j).  Shifting the upstream gradient, the smaller operand, four times and
    taking one product gives the planes directly: no scattered additions of 16 shifted views."""
    xp = get_array_module(gy)
    n, c, h, wd = x_shape
    o = w.shape[0]
    ph, pw, ho, wo = _geometry(x_shape, padding)
    size = n * ph * pw
    lead = pw + 1                                      # zeros before the data, for the shifted reads
    g = xp.zeros((o, lead + size), dtype=gy.dtype)
    g[:, lead:].reshape(o, n, ph, pw)[:, :, :ho, :wo] = gy.transpose(1, 0, 2, 3)
    shifted = xp.empty((2, 2, o, size), dtype=gy.dtype)
    for i in range(2):
        for j in range(2):
            start = lead - i * pw - j
            shifted[i, j] = g[:, start:start + size]
    # (C p q rows) x (i j o columns): the kernel with its taps and output channels as columns
    kernel = w.reshape(o, c, 2, 2, 2, 2).transpose(3, 5, 1, 2, 4, 0).reshape(4 * c, 4 * o)
    images = (kernel @ shifted.reshape(4 * o, size)).reshape(2, 2, c, n, ph, pw)
    gx = xp.empty(x_shape, dtype=gy.dtype)
    gx_t = gx.transpose(1, 0, 2, 3)
    for p in range(2):
        t0, r0, rows = _plane_slices(h, padding, p)
        for q in range(2):
            u0, c0, cols = _plane_slices(wd, padding, q)
            gx_t[:, :, r0::2, c0::2] = images[p, q, :, :, t0:t0 + rows, u0:u0 + cols]
    return gx


def grad_weight(x, gy, padding, planes=None):
    """dL/dw (O, C, 4, 4) of conv(x, w); `planes`: x's parity planes if the forward kept them."""
    n, c = x.shape[:2]
    o = gy.shape[1]
    ph, pw, _, _ = _geometry(x.shape, padding)
    planes = parity_planes(x, padding) if planes is None else planes
    g_t = _from_images(gy, ph, pw).T                                  # (tiles, O)
    # (4 C, tiles) @ (tiles, O): OpenBLAS runs this orientation ~1.5x faster than (O, tiles) @ (tiles, 4 C)
    grads = get_array_module(gy).empty((2, 2, 4 * c, o), dtype=gy.dtype)
    for (i, j), view in _taps(planes, pw, n * ph * pw).items():
        grads[i, j] = view @ g_t
    # (i, j, p, q, c, o) -> (o, c, 2i + p, 2j + q)
    return grads.reshape(2, 2, 2, 2, c, o).transpose(5, 4, 0, 2, 1, 3).reshape(o, c, KERNEL, KERNEL)
