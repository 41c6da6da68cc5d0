"""Elementwise operations and activations, with NumPy broadcasting.

Broadcasting in forward means summing in backward: if `a` of shape (3, 1) was broadcast against
`b` of shape (3, 4), every column of the upstream gradient contributed to the one column of `a`,
so `a`'s gradient is the upstream gradient summed back to (3, 1) — `sum_to`.

Each backward is written with differentiable ops (never raw arrays), so it can be differentiated
again; constants (masks, slopes) are wrapped as Tensors that do not require grad.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function, Tensor, as_tensor
from .shape import sum_to


def _const(array) -> Tensor:
    """A constant Tensor: part of a formula, never differentiated."""
    return Tensor(array)


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        return sum_to(gy, a.shape), sum_to(gy, b.shape)


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        return sum_to(gy, a.shape), sum_to(-gy, b.shape)


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        ### BEGIN SOLUTION ch01_mul_backward: the gradients of a * b with respect to a and b, each with its input's shape
        a, b = self.inputs
        ga = sum_to(gy * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb
        ### END SOLUTION


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = gy / b
        gb = sum_to(-ga * a / b, b.shape) if self.needs_input_grad[1] else None  # d(a/b)/db = -a/b^2
        return sum_to(ga, a.shape), gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """x ** c for a constant exponent c: d/dx = c * x^(c-1)."""

    def __init__(self, exponent: float):
        self.exponent = exponent

    def forward(self, x):
        return x ** self.exponent

    def backward(self, gy):
        x, = self.inputs
        c = self.exponent
        if c == 2:  # the common case (squares in norms and penalties) without a general power
            return gy * x * 2.0
        return gy * c * x ** (c - 1)


class Exp(Function):
    def forward(self, x):
        return self.xp_of(x).exp(x)

    def backward(self, gy):
        ### BEGIN SOLUTION ch01_exp_log_backward: the gradient of exp(x), written with Tensor operations
        return gy * self.output  # d/dx e^x = e^x
        ### END SOLUTION


class Log(Function):
    def forward(self, x):
        return self.xp_of(x).log(x)

    def backward(self, gy):
        ### BEGIN SOLUTION ch01_exp_log_backward: the gradient of log(x), written with Tensor operations
        x, = self.inputs
        return gy / x
        ### END SOLUTION


class Sqrt(Function):
    def forward(self, x):
        return self.xp_of(x).sqrt(x)

    def backward(self, gy):
        return gy * 0.5 / self.output  # d/dx sqrt(x) = 1 / (2 sqrt(x))


class Rsqrt(Function):
    """1/sqrt(x), the heart of every normalisation: d/dx x^(-1/2) = -1/2 x^(-3/2) = -y / (2x)."""

    def forward(self, x):
        return 1.0 / self.xp_of(x).sqrt(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * self.output * -0.5 / x


class Abs(Function):
    def forward(self, x):
        return self.xp_of(x).abs(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * _const(x.xp.sign(x.data))


class Maximum(Function):
    """Elementwise max(a, b); at ties the gradient goes to `a`."""

    def forward(self, a, b):
        return self.xp_of(a).maximum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        a_wins = (a.data >= b.data).astype(gy.dtype)
        return sum_to(gy * _const(a_wins), a.shape), sum_to(gy * _const(1 - a_wins), b.shape)


class Where(Function):
    """where(condition, a, b): `condition` is a constant boolean array."""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return self.xp_of(a).where(self.condition, a, b)

    def backward(self, gy):
        a, b = self.inputs
        mask = self.xp_of(gy.data).broadcast_to(self.condition, gy.shape).astype(gy.dtype)
        return sum_to(gy * _const(mask), a.shape), sum_to(gy * _const(1 - mask), b.shape)


class ReLU(Function):
    def forward(self, x):
        return self.xp_of(x).maximum(x, 0)

    def backward(self, gy):
        x, = self.inputs
        return gy * _const((x.data > 0).astype(gy.dtype))


def leaky_relu_derivative(x, slope, gain=1.0):
    """The derivative of gain * leaky_relu(x, slope), an array like x: gain where x > 0, else
    gain * slope.  On NumPy as gain * slope + (gain - gain * slope) * [x > 0], ~4x faster than
    xp.where with scalar branches; CuPy keeps the where, which is two kernel launches instead of
    four (a GPU at our sizes is bound by launches, not arithmetic)."""
    xp = backend.get_array_module(x)
    low = gain * slope
    if xp is not np:
        return xp.where(x > 0, x.dtype.type(gain), x.dtype.type(low))
    d = xp.greater(x, 0).astype(x.dtype)
    d *= x.dtype.type(gain - low)
    d += x.dtype.type(low)
    return d


class LeakyReLU(Function):
    """gain * x for x > 0, gain * slope * x otherwise.  The derivative is a constant mask of `gain`
    and `gain * slope`.  StyleGAN2 multiplies every leaky ReLU by sqrt(2) (StyleGAN puts the same
    factor into the weights instead: see nn.layers.activate); taking that gain here saves one pass
    over the activations and one node of the graph per layer."""

    def __init__(self, slope: float = 0.2, gain: float = 1.0):
        self.slope, self.gain = slope, gain

    def forward(self, x):
        y = leaky_relu_derivative(x, self.slope, self.gain)
        y *= x
        return y

    def backward(self, gy):
        x, = self.inputs
        return gy * _const(leaky_relu_derivative(x.data, self.slope, self.gain))


class Tanh(Function):
    def forward(self, x):
        return self.xp_of(x).tanh(x)

    def backward(self, gy):
        y = self.output
        return gy * (1 - y * y)


class Sigmoid(Function):
    def forward(self, x):
        xp = self.xp_of(x)
        return 0.5 * (xp.tanh(0.5 * x) + 1)  # equal to 1/(1+e^-x), and never overflows

    def backward(self, gy):
        y = self.output
        return gy * y * (1 - y)


class Softplus(Function):
    """log(1 + e^x), computed as logaddexp(0, x) so that large |x| neither overflows nor loses digits.
    The GAN losses are softplus of D's logits; d/dx softplus(x) = sigmoid(x)."""

    def forward(self, x):
        return self.xp_of(x).logaddexp(0, x)

    def backward(self, gy):
        x, = self.inputs
        return gy * sigmoid(x)


# --- the functional interface ----------------------------------------------------------------

def add(a, b):
    return Add()(a, b)


def sub(a, b):
    return Sub()(a, b)


def mul(a, b):
    return Mul()(a, b)


def div(a, b):
    return Div()(a, b)


def neg(x):
    return Neg()(x)


def pow(x, exponent):
    if isinstance(exponent, Tensor):
        raise TypeError("pow: the exponent must be a Python number (use exp(b * log(a)) for a tensor)")
    return Pow(exponent)(x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def sqrt(x):
    return Sqrt()(x)


def rsqrt(x):
    return Rsqrt()(x)


def abs(x):  # noqa: A001  (mirrors numpy's name)
    return Abs()(x)


def maximum(a, b):
    return Maximum()(a, b)


def minimum(a, b):
    return -maximum(-as_tensor(a), -as_tensor(b))


def where(condition, a, b):
    condition = condition.data if isinstance(condition, Tensor) else condition
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    if like is not None:
        condition = like.xp.asarray(condition)   # a host mask with GPU data moves to the GPU
    return Where(condition)(as_tensor(a, like), as_tensor(b, like))


def relu(x):
    return ReLU()(x)


def leaky_relu(x, slope: float = 0.2, gain: float = 1.0):
    return LeakyReLU(slope, gain)(x)


def tanh(x):
    return Tanh()(x)


def sigmoid(x):
    return Sigmoid()(x)


def softplus(x):
    return Softplus()(x)
