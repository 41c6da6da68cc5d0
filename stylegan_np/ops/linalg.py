"""Matrix multiplication of any rank, with broadcasting over the leading (batch) axes."""
from __future__ import annotations

from ..autograd import Function, Tensor, is_grad_enabled
from .reductions import sum as _sum
from .shape import reshape, sum_to, swapaxes


class MatMul(Function):
    """C = A @ B over the last two axes.  dL/dA = dL/dC @ B^T and dL/dB = A^T @ dL/dC, each summed
    back over batch axes that broadcasting added (so a weight shared by a batch gets the batch's sum)."""

    def forward(self, a, b):
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError("matmul needs inputs of at least two dimensions; reshape a vector to (1, n) or (n, 1)")
        return self.xp_of(a).matmul(a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(matmul(gy, swapaxes(b, -1, -2)), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(matmul(swapaxes(a, -1, -2), gy), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def matmul(a, b):
    return MatMul()(a, b)


class Linear(Function):
    """y = x @ (c W)^T + s b as one node: a dense layer with equalized learning rate's run-time
    scales c (weight) and s (bias) taken inside, x (..., in), W (out, in), b (out,) or absent.

    As primitive ops (nn.Linear, which the course builds) that is a scale, a transpose, a product,
    a scale and an add forward and about ten nodes backward; the mapping network, the style
    affines and D's dense layers run ~35 of them per training step of the main job, at sizes
    (16 x 128) where the calls, not the arithmetic, cost.  The same numbers forward (c W is formed
    first, as there).  Backward on plain arrays when no graph is recorded; with create_graph (R1
    through D's dense layers) the same formulas from primitive ops, so it can be differentiated again.
    """

    def __init__(self, weight_scale=1.0, bias_scale=1.0):
        self.weight_scale, self.bias_scale = weight_scale, bias_scale

    def forward(self, x, w, b=None):
        y = x @ (w * w.dtype.type(self.weight_scale)).T
        if b is not None:
            y += b * b.dtype.type(self.bias_scale)
        return y

    def backward(self, gy):
        x, w = self.inputs[:2]
        want = self.needs_input_grad
        c, s = self.weight_scale, self.bias_scale
        if not is_grad_enabled():                              # nothing is recorded: plain arrays
            g = gy.data
            gx = g @ (w.data * w.dtype.type(c)) if want[0] else None
            gw = None
            if want[1]:
                rows = g.reshape(-1, g.shape[-1])
                gw = (rows.T @ x.data.reshape(-1, x.shape[-1])) * w.dtype.type(c)
            grads = [None if a is None else Tensor(a) for a in (gx, gw)]
            if len(self.inputs) == 3:
                grads.append(Tensor(g.reshape(-1, g.shape[-1]).sum(axis=0) * g.dtype.type(s)) if want[2] else None)
            return tuple(grads)
        rows = reshape(gy, (-1, gy.shape[-1]))
        grads = [matmul(gy, w * c) if want[0] else None,
                 matmul(swapaxes(rows, 0, 1), reshape(x, (-1, x.shape[-1]))) * c if want[1] else None]
        if len(self.inputs) == 3:
            grads.append(_sum(rows, axis=0) * s if want[2] else None)
        return tuple(grads)


def linear(x, weight, bias=None, weight_scale=1.0, bias_scale=1.0):
    """x @ (weight_scale * weight)^T + bias_scale * bias, one graph node (see Linear)."""
    if x.ndim < 2 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: needs an input (..., {weight.shape[1]}) for the weight {weight.shape}, "
                         f"got {x.shape}")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Linear(weight_scale, bias_scale)(*inputs)
