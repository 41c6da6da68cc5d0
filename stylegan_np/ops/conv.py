"""Convolution as matrix multiplication (im2col), its transpose, and depthwise FIR filtering (blur).

Layouts: images NCHW, conv weights (out_channels, in_channels / groups, kh, kw) as in PyTorch.

im2col gathers, for every output pixel, the kh*kw*C input numbers its kernel sees into a column, so
that the convolution becomes one matrix product: (O, C*kh*kw) @ (C*kh*kw, N*Ho*Wo).  col2im is its
adjoint: it adds every column entry back onto the pixel it came from.  Both loop only over the kh*kw
kernel taps (9 for a 3x3 kernel), never over pixels.

Three Functions close the algebra under differentiation (each one's backward uses the other two):
  Conv2d(x, W)                   y   = conv(x, W)
  Conv2dGradInput(gy, W)         gx  = conv^T(gy, W)        (the transposed, "upsampling" convolution)
  Conv2dGradWeight(x, gy)        gW  = sum over pixels of gy x patches
Each is linear in each argument, which is why the gradient of each is again one of the three.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from . import conv_stride2, winograd


def _output_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def im2col(x, kh, kw, stride=1, padding=0):
    """Columns of kernel patches: (N, C, H, W) -> (C, kh, kw, N, Ho, Wo)."""
    ### BEGIN SOLUTION ch02_im2col: col[c, i, j, n, a, b] = x_padded[n, c, a * stride + i, b * stride + j], with a loop over the kernel taps only
    xp = get_array_module(x)
    n, c, h, w = x.shape
    ho, wo = _output_size(h, kh, stride, padding), _output_size(w, kw, stride, padding)
    if padding:
        x = xp.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    col = xp.empty((c, kh, kw, n, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            # Tap (i, j) of every patch is the input shifted by (i, j), sampled every `stride` pixels.
            col[:, i, j] = x[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride].transpose(1, 0, 2, 3)
    return col
    ### END SOLUTION


def col2im(col, x_shape, stride=1, padding=0):
    """The adjoint of im2col: add each column entry back onto its source pixel -> (N, C, H, W)."""
    ### BEGIN SOLUTION ch02_col2im: the adjoint of im2col: x_padded[n, c, a * stride + i, b * stride + j] += col[c, i, j, n, a, b], then crop the padding
    xp = get_array_module(col)
    n, c, h, w = x_shape
    _, kh, kw, _, ho, wo = col.shape
    x = xp.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            x[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += col[:, i, j].transpose(1, 0, 2, 3)
    return x[:, :, padding:padding + h, padding:padding + w]
    ### END SOLUTION


# --- the fast path: stride 1, one group, channels-last "flat shift" -----------------------------
# OpenBLAS is several times faster on a tall-skinny product (pixels x channels) than on the wide
# (channels x pixels) one im2col builds, and the copy that builds the 9x larger column matrix costs
# as much as the product.  For stride 1 we avoid both: pad the input once in channels-last layout and
# flatten it to a (N*Hp*Wp, C) matrix X.  Output pixel p then needs rows p + i*Wp + j of X for kernel
# tap (i, j) — a fixed row offset per tap — so the convolution is one product X @ W_all with all taps'
# weights side by side, followed by kh*kw shifted additions.  Rows that land in the padding are junk
# and are cropped (or zeroed, going backwards).  The generic im2col path above computes the same
# numbers, and tests/test_conv_paths.py checks that the two agree.

def _use_flat_path(stride, groups):
    return stride == 1 and groups == 1


# Which algorithm computes a convolution.  On NumPy, 3x3 stride-1 convolutions use Winograd's
# F(2x2, 3x3) (winograd.py: 2.25x fewer multiplications; 1.5-2x faster than flat shift at the
# StyleGAN bench's sizes).  On CuPy it is not used: its ~60 small array operations per call would
# each be a kernel launch, and a GPU is launch-bound at these sizes, not multiplication-bound.
# Tests force each path in turn with `forced_path` to check that all of them agree.
_forced_path = None


class forced_path:
    """Context manager: compute every convolution with one path ("winograd", "pointwise", "flat",
    "stride2" or "im2col") where that path applies (tests use it to compare the paths)."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        global _forced_path
        self.previous, _forced_path = _forced_path, self.name

    def __exit__(self, *exc):
        global _forced_path
        _forced_path = self.previous


def _choose_path(array, x_shape, w_shape, stride, padding, groups):
    """The path for a convolution of an input of `x_shape` with a weight of `w_shape`; `array` (an
    operand) tells the backend."""
    kh, kw = w_shape[2:]
    winograd_fits = (kh, kw) == (3, 3) and stride == 1 and groups == 1 and 0 <= padding <= 2
    pointwise_fits = (kh, kw) == (1, 1) and stride == 1 and padding == 0 and groups == 1
    flat_fits = _use_flat_path(stride, groups)
    stride2_fits = conv_stride2.fits(x_shape, w_shape, stride, padding, groups)
    if _forced_path is not None:
        fits = {"winograd": winograd_fits, "pointwise": pointwise_fits, "flat": flat_fits,
                "stride2": stride2_fits, "im2col": True}[_forced_path]
        return _forced_path if fits else "im2col"
    if stride2_fits:
        return "stride2"
    if pointwise_fits:
        return "pointwise"
    if winograd_fits and get_array_module(array) is np:
        return "winograd"
    return "flat" if flat_fits else "im2col"


# --- 1x1 convolutions (toRGB, fromRGB): one matrix product per image, in NCHW as it stands -------
# A 1x1 convolution mixes channels pixel by pixel: y[n] = W x[n] with x[n] viewed as (C, H*W).
# No copy to another layout is needed, which matters because these layers sit at full resolution
# with 3 channels on one side: the flat path's channels-last copies cost 10-20x the product.

def _pointwise_forward(x, w):
    n, c, h, wd = x.shape
    return get_array_module(x).matmul(w.reshape(w.shape[0], c), x.reshape(n, c, h * wd)).reshape(n, -1, h, wd)


def _pointwise_grad_input(gy, w):
    n, o, h, wd = gy.shape
    w_t = w.reshape(o, w.shape[1]).T
    return get_array_module(gy).matmul(w_t, gy.reshape(n, o, h * wd)).reshape(n, -1, h, wd)


def _pointwise_grad_weight(x, gy):
    """gW = sum over images of gy[n] (O, HW) @ x[n]^T (HW, C)."""
    n, c, h, wd = x.shape
    o = gy.shape[1]
    per_image = get_array_module(x).matmul(gy.reshape(n, o, h * wd), x.reshape(n, c, h * wd).transpose(0, 2, 1))
    return per_image.sum(axis=0).reshape(o, c, 1, 1)


def _to_padded_rows(x, padding, pad_after=0):
    """(N, C, H, W) -> (N*Hp*Wp, C) channels-last rows of the zero-padded image, and (Hp, Wp)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    hp, wp = h + 2 * padding + pad_after, w + 2 * padding + pad_after
    rows = xp.zeros((n, hp, wp, c), dtype=x.dtype)
    rows[:, padding:padding + h, padding:padding + w, :] = x.transpose(0, 2, 3, 1)
    return rows.reshape(n * hp * wp, c), hp, wp


def _tap_offsets(kh, kw, wp):
    return [(i * kw + j, i * wp + j) for i in range(kh) for j in range(kw)]


def _flat_conv_forward(x, w, padding):
    xp = get_array_module(x)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    rows, hp, wp = _to_padded_rows(x, padding)
    ho, wo = hp - kh + 1, wp - kw + 1
    taps = xp.matmul(rows, w.transpose(1, 2, 3, 0).reshape(c, kh * kw * o)).reshape(-1, kh * kw, o)
    length = rows.shape[0] - ((kh - 1) * wp + (kw - 1))
    acc = xp.zeros((rows.shape[0], o), dtype=x.dtype)
    for tap, offset in _tap_offsets(kh, kw, wp):
        acc[:length] += taps[offset:offset + length, tap]
    out = acc.reshape(n, hp, wp, o)[:, :ho, :wo, :]
    return xp.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _gy_rows(gy, hp, wp):
    """Upstream gradient (N, O, Ho, Wo) as (N*Hp*Wp, O) rows, zero on the junk (padding) rows."""
    xp = get_array_module(gy)
    n, o, ho, wo = gy.shape
    rows = xp.zeros((n, hp, wp, o), dtype=gy.dtype)
    rows[:, :ho, :wo, :] = gy.transpose(0, 2, 3, 1)
    return rows.reshape(n * hp * wp, o)


def _flat_conv_grad_input(gy, w, x_shape, padding):
    xp = get_array_module(gy)
    n, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    hp, wp = h + 2 * padding, wd + 2 * padding
    g = _gy_rows(gy, hp, wp)
    length = g.shape[0] - ((kh - 1) * wp + (kw - 1))
    spread = xp.matmul(g[:length], w.transpose(0, 2, 3, 1).reshape(o, kh * kw * c)).reshape(length, kh * kw, c)
    gx = xp.zeros((g.shape[0], c), dtype=gy.dtype)
    for tap, offset in _tap_offsets(kh, kw, wp):
        gx[offset:offset + length] += spread[:, tap]
    gx = gx.reshape(n, hp, wp, c)[:, padding:padding + h, padding:padding + wd, :]
    return xp.ascontiguousarray(gx.transpose(0, 3, 1, 2))


def _flat_conv_grad_weight(x, gy, w_shape, padding):
    xp = get_array_module(x)
    o, c, kh, kw = w_shape
    rows, hp, wp = _to_padded_rows(x, padding)
    g = _gy_rows(gy, hp, wp)
    length = rows.shape[0] - ((kh - 1) * wp + (kw - 1))
    gw = xp.empty((kh * kw, c, o), dtype=x.dtype)
    for tap, offset in _tap_offsets(kh, kw, wp):
        xp.matmul(rows[offset:offset + length].T, g[:length], out=gw[tap])
    return xp.ascontiguousarray(gw.reshape(kh, kw, c, o).transpose(3, 2, 0, 1))


# A convolution's input transform (Winograd's V, or the stride-2 path's parity planes) is kept from
# the forward pass for the weight gradient when it is at most this big: it saves the gradient one of
# its two transforms, ~15% of a weight gradient at the main job's sizes.  Bigger ones (bench32's)
# would cost too much memory between forward and backward.
KEEP_TRANSFORM_BYTES = 4 << 20


class _ConvFunction(Function):
    """Shared settings of the three convolution Functions.

    `scale` multiplies the weight: equalized learning rate's run-time scale c (nn.Conv2d), taken
    here instead of as a Mul node on the weight in the graph.  conv(x, c W) is linear in c W, so
    each of the three Functions computes with c W (or scales its result by c, for the weight
    gradient) and passes `scale` on to the Functions of its backward, like stride and padding."""

    def __init__(self, stride=1, padding=0, groups=1, scale=1.0, input_transform=None):
        self.stride, self.padding, self.groups, self.scale = stride, padding, groups, scale
        self.input_transform = input_transform   # (path, the forward input's transform): Conv2dGradWeight

    def settings(self):
        return dict(stride=self.stride, padding=self.padding, groups=self.groups, scale=self.scale)

    def scaled(self, array):
        """`array` times the scale (a weight before the product, or a weight gradient after it)."""
        return array if self.scale == 1.0 else array * array.dtype.type(self.scale)

    def release(self):
        super().release()
        self.input_transform = None


class Conv2d(_ConvFunction):
    def _keep(self, path, transform):
        """Keep the input's transform (with the path that made it) for the weight gradient, if it is
        small enough."""
        if transform.nbytes <= KEEP_TRANSFORM_BYTES:
            self.input_transform = (path, transform)
        return transform

    def settings(self):
        # The weight gradient (built by backward with these settings) reuses the input transform.
        return dict(super().settings(), input_transform=self.input_transform)

    def forward(self, x, w):
        return self._forward(x, self.scaled(w))

    def _forward(self, x, w):
        path = _choose_path(x, x.shape, w.shape, self.stride, self.padding, self.groups)
        if path == "winograd":
            v = self._keep(path, winograd.input_transform(x, self.padding))
            return winograd.conv3x3(x, w, self.padding, v)
        if path == "stride2":
            planes = self._keep(path, conv_stride2.parity_planes(x, self.padding))
            return conv_stride2.conv(x, w, self.padding, planes)
        if path == "pointwise":
            return _pointwise_forward(x, w)
        if path == "flat":
            return _flat_conv_forward(x, w, self.padding)
        ### BEGIN SOLUTION ch02_conv2d: the general path (any stride, padding and groups): im2col, then one matrix product per group
        xp = self.xp_of(x)
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        g = self.groups
        col = im2col(x, kh, kw, self.stride, self.padding)
        ho, wo = col.shape[-2:]
        col = col.reshape(g, cg * kh * kw, n * ho * wo)
        y = xp.matmul(w.reshape(g, o // g, cg * kh * kw), col)           # (G, O/G, N*Ho*Wo)
        return xp.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))
        ### END SOLUTION

    def backward(self, gy):
        ### BEGIN SOLUTION ch03_conv_backward: the gradients of conv(x, W) with respect to x and W, each only when it is needed
        x, w = self.inputs
        gx = Conv2dGradInput(x.shape, **self.settings())(gy, w) if self.needs_input_grad[0] else None
        gw = Conv2dGradWeight(w.shape, **self.settings())(x, gy) if self.needs_input_grad[1] else None
        return gx, gw
        ### END SOLUTION


class Conv2dGradInput(_ConvFunction):
    """gx = conv^T(gy, W): the gradient of a convolution with respect to its input.  As a layer of
    its own this is the transposed convolution, which upsamples when stride > 1."""

    def __init__(self, x_shape, **settings):
        super().__init__(**settings)
        self.x_shape = tuple(x_shape)

    def forward(self, gy, w):
        w = self.scaled(w)
        path = _choose_path(gy, self.x_shape, w.shape, self.stride, self.padding, self.groups)
        if path != "im2col" and self._is_conv_output(gy, w):
            if path == "stride2":
                return conv_stride2.grad_input(gy, w, self.x_shape, self.padding)
            if path == "pointwise":
                return _pointwise_grad_input(gy, w)
            if path == "flat":
                return _flat_conv_grad_input(gy, w, self.x_shape, self.padding)
            # The adjoint of a 3x3 correlation with padding p is the correlation with the kernel
            # flipped in space, in and out channels swapped, and padding 2 - p.
            flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
            return winograd.conv3x3(gy, flipped, 2 - self.padding)
        ### BEGIN SOLUTION ch03_conv_backward: the general path of dL/dx: spread every output pixel's gradient back over its patch (columns, then col2im), per group
        xp = self.xp_of(gy)
        n, _, ho, wo = gy.shape
        o, cg, kh, kw = w.shape
        g = self.groups
        gy_mat = gy.transpose(1, 0, 2, 3).reshape(g, o // g, n * ho * wo)
        w_mat = w.reshape(g, o // g, cg * kh * kw).transpose(0, 2, 1)    # (G, C/G*kh*kw, O/G)
        gcol = xp.matmul(w_mat, gy_mat).reshape(cg * g, kh, kw, n, ho, wo)
        return col2im(gcol, self.x_shape, self.stride, self.padding)
        ### END SOLUTION

    def _is_conv_output(self, gy, w):
        """The fast paths assume gy is exactly conv's output size for x_shape (true for a gradient;
        a transposed convolution with output_padding is not, and takes the generic path)."""
        h, wd = self.x_shape[2:]
        kh, kw = w.shape[2:]
        return gy.shape[2:] == (_output_size(h, kh, self.stride, self.padding),
                                _output_size(wd, kw, self.stride, self.padding))

    def backward(self, ggx):
        gy, w = self.inputs
        g_gy = conv2d(ggx, w, **self.settings()) if self.needs_input_grad[0] else None
        g_w = Conv2dGradWeight(w.shape, **self.settings())(ggx, gy) if self.needs_input_grad[1] else None
        return g_gy, g_w


class Conv2dGradWeight(_ConvFunction):
    """gW = sum over batch and pixels of (upstream gradient) x (input patch)."""

    def __init__(self, w_shape, **settings):
        super().__init__(**settings)
        self.w_shape = tuple(w_shape)

    def forward(self, x, gy):
        return self.scaled(self._forward(x, gy))

    def _forward(self, x, gy):
        path = _choose_path(x, x.shape, self.w_shape, self.stride, self.padding, self.groups)
        kept, self.input_transform = self.input_transform, None       # used once, then let go
        kept = kept[1] if kept is not None and kept[0] == path else None
        if path == "winograd":
            return winograd.conv3x3_grad_weight(x, gy, self.padding, kept)
        if path == "stride2":
            return conv_stride2.grad_weight(x, gy, self.padding, kept)
        if path == "pointwise":
            return _pointwise_grad_weight(x, gy)
        if path == "flat":
            return _flat_conv_grad_weight(x, gy, self.w_shape, self.padding)
        ### BEGIN SOLUTION ch03_conv_backward: the general path of dL/dW: every weight meets the input patches it multiplied (im2col), weighted by the output gradient, per group
        xp = self.xp_of(x)
        o, cg, kh, kw = self.w_shape
        g = self.groups
        n, _, ho, wo = gy.shape
        col = im2col(x, kh, kw, self.stride, self.padding).reshape(g, cg * kh * kw, n * ho * wo)
        gy_mat = gy.transpose(1, 0, 2, 3).reshape(g, o // g, n * ho * wo)
        return xp.matmul(gy_mat, col.transpose(0, 2, 1)).reshape(self.w_shape)
        ### END SOLUTION

    def backward(self, ggw):
        x, gy = self.inputs
        g_x = Conv2dGradInput(x.shape, **self.settings())(gy, ggw) if self.needs_input_grad[0] else None
        g_gy = conv2d(x, ggw, **self.settings()) if self.needs_input_grad[1] else None
        return g_x, g_gy


def _check_conv_shapes(x, w, groups, what):
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"{what}: input must be (N, C, H, W) and weight 4-D, got {x.shape} and {w.shape}")


def conv2d(x, weight, bias=None, stride=1, padding=0, groups=1, scale=1.0):
    """2-D cross-correlation (what deep learning calls convolution), weight (O, C/groups, kh, kw),
    with the weight multiplied by `scale` (equalized learning rate's run-time scale)."""
    _check_conv_shapes(x, weight, groups, "conv2d")
    if x.shape[1] != weight.shape[1] * groups or weight.shape[0] % groups:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels but weight {weight.shape} with "
                         f"groups={groups} expects {weight.shape[1] * groups}")
    y = Conv2d(stride, padding, groups, scale)(x, weight)
    return y if bias is None else y + bias.reshape((1, -1, 1, 1))


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1):
    """Transposed convolution, weight (C_in, C_out/groups, kh, kw) as in PyTorch: the adjoint of
    conv2d with that weight, so each input pixel paints a weighted copy of the kernel, `stride`
    pixels apart.  Output size (H - 1) * stride - 2 * padding + kh + output_padding."""
    ### BEGIN SOLUTION ch05_conv_transpose: the adjoint of conv2d with the same weight; output size (H - 1) * stride - 2 * padding + k + output_padding
    _check_conv_shapes(x, weight, groups, "conv_transpose2d")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"conv_transpose2d: input has {x.shape[1]} channels, weight expects {weight.shape[0]}")
    n, _, h, w = x.shape
    _, cg, kh, kw = weight.shape
    out_shape = (n, cg * groups, (h - 1) * stride - 2 * padding + kh + output_padding,
                 (w - 1) * stride - 2 * padding + kw + output_padding)
    y = Conv2dGradInput(out_shape, stride=stride, padding=padding, groups=groups)(x, weight)
    return y if bias is None else y + bias.reshape((1, -1, 1, 1))
    ### END SOLUTION


class FIRFilter2d(Function):
    """Depthwise filtering of every channel with one fixed 2-D kernel (stride 1): the blur in
    StyleGAN's up- and down-sampling layers.  The kernel is a constant, not learned.

    The adjoint of correlating with k and padding p is correlating with k flipped and padding k-1-p,
    so the backward is the same Function with the flipped kernel.  A separable kernel, outer(a, b)
    like the blur's binomial one, is applied as a row pass with b and a column pass with a: 3 + 3
    taps instead of 9 for a 3x3 kernel."""

    def __init__(self, kernel, padding):
        self.kernel = np.asarray(kernel, dtype=np.float64)
        self.padding = _before_after(padding)       # ((top, bottom), (left, right))
        sizes = self.kernel.shape
        if not all(0 <= p <= k - 1 for pair, k in zip(self.padding, sizes) for p in pair):
            raise ValueError(f"fir_filter2d: padding must lie between 0 and kernel size - 1, got {padding}")
        self.factors = _rank_one_factors(self.kernel)

    def forward(self, x):
        xp = self.xp_of(x)
        kh, kw = self.kernel.shape
        (top, bottom), (left, right) = self.padding
        xpad = xp.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right))) if top or bottom or left or right else x
        ho, wo = xpad.shape[2] - kh + 1, xpad.shape[3] - kw + 1
        if self.factors is not None:
            column_taps, row_taps = self.factors
            rows = _weighted_shifts(xpad, row_taps, wo, axis=3)
            return _weighted_shifts(rows, column_taps, ho, axis=2)
        y = xp.zeros(x.shape[:2] + (ho, wo), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                if self.kernel[i, j] != 0:
                    y += float(self.kernel[i, j]) * xpad[:, :, i:i + ho, j:j + wo]
        return y

    def backward(self, gy):
        # y[i] = sum_t k[t] x[i + t - before]: the adjoint correlates gy with the flipped kernel,
        # padded by k - 1 - before in front and k - 1 - after behind (which gives back x's size).
        flipped = self.kernel[::-1, ::-1]
        padding = tuple((k - 1 - before, k - 1 - after)
                        for (before, after), k in zip(self.padding, self.kernel.shape))
        return FIRFilter2d(flipped, padding)(gy)


def _before_after(padding):
    """fir_filter2d's padding as ((top, bottom), (left, right)), from p, (ph, pw) or that form itself."""
    if isinstance(padding, int):
        return ((padding, padding),) * 2
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)


def _rank_one_factors(kernel):
    """(a, b) with kernel == outer(a, b) when the kernel is separable, else None."""
    i, j = np.unravel_index(np.argmax(np.abs(kernel)), kernel.shape)
    pivot = kernel[i, j]
    if pivot == 0:
        return None
    a, b = kernel[:, j], kernel[i, :] / pivot
    return (a, b) if np.allclose(np.outer(a, b), kernel, rtol=0, atol=1e-12 * abs(pivot)) else None


def _weighted_shifts(x, taps, size, axis):
    """sum_k taps[k] * x[k:k + size along `axis`]: one 1-D pass of a separable filter.  A separable
    kernel (see _rank_one_factors) has a non-zero tap in each direction, so the sum is never empty."""
    y = None
    for k, tap in enumerate(taps):
        if tap != 0:
            term = float(tap) * x[(slice(None),) * axis + (slice(k, k + size),)]
            if y is None:
                y = term
            else:
                y += term
    return y


def fir_filter2d(x, kernel, padding=0):
    """Correlate every channel with `kernel`; padding is p, (ph, pw) or ((top, bottom), (left, right))."""
    return FIRFilter2d(kernel, padding)(x)


def blur(x, taps=(1, 2, 1)):
    """StyleGAN's blur: the separable binomial filter taps x taps, normalised to sum 1, 'same' size.

    As NVlabs/stylegan2's filter_2d: a true convolution (the kernel flipped, which changes nothing
    for symmetric taps) with k // 2 zeros in front and (k - 1) // 2 behind, so an even number of
    taps such as (1, 3, 3, 1) keeps the size too (output pixel i is then centred on input i - 1/2).
    This is scipy.signal.convolve2d(..., mode="same") on every channel."""
    taps = np.asarray(taps, dtype=np.float64)
    kernel = np.outer(taps, taps)[::-1, ::-1]
    k = len(taps)
    return fir_filter2d(x, kernel / kernel.sum(), padding=((k // 2, (k - 1) // 2),) * 2)

