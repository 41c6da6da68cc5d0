"""AdaIN's arithmetic as one operation: y = instance_norm(x) * scale + shift (StyleGAN, eq. 1).

`norm.instance_norm` builds the same value from primitive ops: nine graph nodes forward, about
twenty backward, for every styled layer of every generator pass.  At the main job's sizes (16 images
of 4x4 to 16x16, 16 to 32 channels) those calls, not the arithmetic, were the cost; fused, it is one
node each way, with the same numbers forward (the same primitives' arithmetic, in the same order).

Backward, with x_hat = (x - mu) r and r = 1 / sqrt(var + eps), both over H and W (n = H W pixels):
    d scale = sum_HW(gy x_hat),   d shift = sum_HW(gy),
    dx = r scale (gy - sum_HW(gy) / n - x_hat sum_HW(gy x_hat) / n)
(the usual normalisation backward, with d x_hat = gy scale).  When a graph is being recorded
(create_graph) the same formula is built from primitive ops, x_hat from `instance_norm` itself, so
that it can be differentiated again; otherwise it runs on plain arrays with x_hat and r kept from
the forward.  tests/test_adain_op.py checks both against the composition.
"""
from __future__ import annotations

from ..autograd import Function, Tensor, is_grad_enabled
from .elementwise import rsqrt
from .norm import instance_norm
from .reductions import mean, sum as sum_
from .shape import sum_to
from .short_axes import sum_axes


def _sum_to_shape(array, shape):
    """A raw array summed down to `shape` (undoing the broadcast of scale or shift)."""
    lead = array.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and array.shape[lead + i] != 1)
    summed = sum_axes(array, axes, keepdims=True) if axes else array
    return summed.reshape(shape)


class AdaptiveInstanceNorm(Function):
    """instance_norm(x, eps) * scale + shift, for x (N, C, H, W) and scale, shift broadcastable to
    (N, C, 1, 1)."""

    def __init__(self, eps=1e-8):
        self.eps = eps

    def forward(self, x, scale, shift):
        t = x.dtype.type
        per_pixel = t(1.0 / (x.shape[2] * x.shape[3]))
        centred = x - sum_axes(x, (2, 3), keepdims=True) * per_pixel
        variance = sum_axes(centred * centred, (2, 3), keepdims=True) * per_pixel
        self.r = 1.0 / self.xp_of(x).sqrt(variance + t(self.eps))
        # x_hat = centred * r is kept for backward; y = x_hat * scale + shift.  (Folding r into scale
        # would save a pass but change the rounding of the composition this op reproduces.)
        self.x_hat = centred
        self.x_hat *= self.r
        y = self.x_hat * scale
        y += shift
        return y

    def release(self):
        super().release()
        self.x_hat = self.r = None

    def backward(self, gy):
        x, scale, shift = self.inputs
        want_x, want_scale, want_shift = self.needs_input_grad
        if not is_grad_enabled():                          # nothing is recorded: plain arrays
            g, x_hat = gy.data, self.x_hat
            per_pixel = g.dtype.type(1.0 / (g.shape[2] * g.shape[3]))
            g_sum = sum_axes(g, (2, 3), keepdims=True)
            g_x_hat = sum_axes(g * x_hat, (2, 3), keepdims=True)
            gx = None
            if want_x:
                gx = g - g_sum * per_pixel
                gx -= x_hat * (g_x_hat * per_pixel)
                gx *= self.r * scale.data
            return (Tensor(gx) if want_x else None,
                    Tensor(_sum_to_shape(g_x_hat, scale.shape)) if want_scale else None,
                    Tensor(_sum_to_shape(g_sum, shift.shape)) if want_shift else None)
        x_hat = instance_norm(x, self.eps)
        gx = None
        if want_x:
            r = rsqrt(mean((x - mean(x, axis=(2, 3), keepdims=True)) ** 2, axis=(2, 3), keepdims=True) + self.eps)
            gx = (r * scale) * (gy - mean(gy, axis=(2, 3), keepdims=True)
                                - x_hat * mean(gy * x_hat, axis=(2, 3), keepdims=True))
        g_scale = sum_to(sum_(gy * x_hat, axis=(2, 3), keepdims=True), scale.shape) if want_scale else None
        g_shift = sum_to(sum_(gy, axis=(2, 3), keepdims=True), shift.shape) if want_shift else None
        return gx, g_scale, g_shift


def adaptive_instance_norm(x, scale, shift, eps: float = 1e-8):
    """instance_norm(x, eps) * scale + shift as one graph node (StyleGAN eq. 1, given the style)."""
    return AdaptiveInstanceNorm(eps)(x, scale, shift)
