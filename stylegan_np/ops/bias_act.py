"""Bias and activation as one operation: y = act(x + s b) * gain, the bias b broadcast along axis 1.

Every equalized layer ends this way (nn.Conv2d; NVlabs' `apply_bias` then `leaky_relu` times sqrt(2)).
As separate ops it is a reshape, a scale, an add and an activation: four graph nodes forward and
six backward, each a pass over the activations or a Python call.  At the main job's sizes (16 images
of 4x4 to 16x16) a layer's arrays are small enough that those calls, not the arithmetic, are the
cost.  Fused, it is one node and one pass each way.

The derivative of a leaky ReLU is a constant mask (gain where x + s b > 0, gain * slope elsewhere),
so the backward multiplies by that mask: with the graph recorded (create_graph, as in R1) through the
ordinary Mul and SumTo ops, so that a gradient of it can be taken again; without, on plain arrays.
tests/test_bias_act.py checks both against the composition of primitive ops.
"""
from __future__ import annotations

from ..autograd import Function, Tensor, is_grad_enabled
from .elementwise import leaky_relu_derivative
from .shape import reshape, sum_to
from .short_axes import sum_axes


class BiasActivation(Function):
    """act(x + bias_scale * b) * gain for b of shape (C,) and x (N, C, ...); act is a leaky ReLU with
    `slope`, or the identity when slope is None (then gain must be 1)."""

    def __init__(self, bias_scale=1.0, slope=None, gain=1.0):
        if slope is None and gain != 1.0:
            raise ValueError("bias_act: a gain needs an activation (slope)")
        self.bias_scale, self.slope, self.gain = bias_scale, slope, gain

    def _channel_shape(self, x):
        return (1, -1) + (1,) * (x.ndim - 2)

    def forward(self, x, b):
        b = b if self.bias_scale == 1.0 else b * b.dtype.type(self.bias_scale)
        y = x + b.reshape(self._channel_shape(x))
        if self.slope is not None:
            # The activation's derivative, kept for backward (a mask of gain and gain * slope).
            self.mask = leaky_relu_derivative(y, self.slope, self.gain)
            y *= self.mask
        return y

    def release(self):
        super().release()
        self.mask = None

    def backward(self, gy):
        x, b = self.inputs
        want_x, want_b = self.needs_input_grad
        kept = tuple(i for i in range(x.ndim) if i != 1)             # axes the bias was broadcast on
        if not is_grad_enabled():                                    # nothing is recorded: plain arrays
            g = gy.data if self.slope is None else gy.data * self.mask
            gb = None
            if want_b:
                gb = sum_axes(g, kept)
                gb = Tensor(gb if self.bias_scale == 1.0 else gb * gb.dtype.type(self.bias_scale))
            return (Tensor(g) if want_x else None), gb
        g = gy if self.slope is None else gy * Tensor(self.mask)
        gb = None
        if want_b:
            gb = reshape(sum_to(g, tuple(1 if i in kept else n for i, n in enumerate(x.shape))), b.shape)
            gb = gb if self.bias_scale == 1.0 else gb * self.bias_scale
        return (g if want_x else None), gb


def bias_act(x, b, bias_scale=1.0, slope=None, gain=1.0):
    """act(x + bias_scale * b) * gain along axis 1; slope None is the identity, else a leaky ReLU."""
    return BiasActivation(bias_scale, slope, gain)(x, b)
