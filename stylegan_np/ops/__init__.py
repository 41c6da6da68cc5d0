"""The differentiable operations, grouped by kind, and the operators they give `Tensor`.

Primitive ops are `Function` subclasses (forward and backward side by side); everything else —
mean, var, stack, tile, upsampling, pooling, bilinear resize, instance and pixel norm, lerp — is a
composition of primitives, so its gradient of any order follows from theirs.
"""
from ..autograd import Tensor
from .adain import adaptive_instance_norm
from .bias_act import bias_act
from .conv import (blur, col2im, conv2d, conv_transpose2d, fir_filter2d, im2col)
from .elementwise import (abs, add, div, exp, leaky_relu, log, maximum, minimum, mul, neg, pow,
                          relu, rsqrt, sigmoid, softplus, sqrt, sub, tanh, where)
from .linalg import linear, matmul
from .norm import instance_norm, lerp, pixel_norm
from .random import ones, rand, randn, randn_like, tensor, zeros
from .reductions import max, mean, sum, var
from .resample import avg_pool2d, resize_bilinear, upsample_nearest
from .resample_conv import conv2d_downsample, upsample_conv2d
from .shape import (broadcast_to, concat, expand_dims, flatten, getitem, pad, repeat, reshape,
                    stack, sum_to, swapaxes, tile, transpose)


def _reflected(op):
    return lambda self, other: op(other, self)


def _compare(name):
    """Comparisons give plain boolean tensors: they are not differentiable."""
    def method(self, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(getattr(self.data, name)(other))
    return method


def _install_tensor_methods():
    """Give Tensor its operators and methods (x + y, x @ w, x.sum(), x.reshape(...), ...)."""
    T = Tensor
    T.__add__, T.__radd__ = add, _reflected(add)
    T.__sub__, T.__rsub__ = sub, _reflected(sub)
    T.__mul__, T.__rmul__ = mul, _reflected(mul)
    T.__truediv__, T.__rtruediv__ = div, _reflected(div)
    T.__matmul__, T.__rmatmul__ = matmul, _reflected(matmul)
    T.__neg__, T.__pow__ = neg, pow
    T.__getitem__ = getitem
    for name in ("__lt__", "__le__", "__gt__", "__ge__"):
        setattr(T, name, _compare(name))
    T.sum, T.mean, T.var, T.max = sum, mean, var, max
    T.exp, T.log, T.sqrt, T.rsqrt, T.abs, T.tanh, T.sigmoid = exp, log, sqrt, rsqrt, abs, tanh, sigmoid
    T.relu, T.leaky_relu, T.softplus = relu, leaky_relu, softplus
    T.reshape = lambda self, *shape: reshape(self, shape[0] if len(shape) == 1 and
                                             isinstance(shape[0], (tuple, list)) else shape)
    T.transpose = lambda self, *axes: transpose(self, axes[0] if len(axes) == 1 and
                                                isinstance(axes[0], (tuple, list)) else (axes or None))
    T.T = property(lambda self: transpose(self))
    T.broadcast_to, T.sum_to, T.flatten = broadcast_to, sum_to, flatten


_install_tensor_methods()
