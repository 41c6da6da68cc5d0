"""Layers with equalized learning rate, and the small layers StyleGAN and ProGAN are made of.

Equalized learning rate (ProGAN, section 4.1): weights are stored as N(0, 1) / lr_mul and multiplied
at run time by  c = gain * lr_mul / sqrt(fan_in)  (He's constant).  The scale sits inside the graph,
so Adam — which normalises each parameter's step by its own gradient scale — sees parameters of equal
dynamic range and every layer learns at the same speed.  lr_mul < 1 (StyleGAN's mapping network uses
0.01) slows a layer down: its stored weight is large, its effective weight the same, its step 100x
smaller in effect.  Biases are stored unscaled and multiplied by lr_mul.  This follows NVlabs/stylegan
(`get_weight`: init_std = 1/lrmul, runtime_coef = he_std * lrmul).
"""
from __future__ import annotations

import math

from .. import backend
from ..autograd import get_default_dtype
from ..ops import (adaptive_instance_norm, bias_act, blur, concat, conv2d, conv2d_downsample, conv_transpose2d,
                   instance_norm, leaky_relu, linear, mean, pad, randn, relu, reshape, sqrt, tanh, tile,
                   upsample_conv2d)
from .module import Module, Parameter

LRELU_GAIN = math.sqrt(2.0)  # keeps the activations' second moment through a leaky ReLU (He et al.)


def activate(x, activation):
    """Apply a named activation: 'lrelu' is leaky ReLU(0.2) times sqrt(2), 'relu', 'tanh', or None for
    linear.

    Where the sqrt(2) sits is StyleGAN2's choice (its bias_act multiplies after the activation), not
    StyleGAN's: there it is part of the weights' He scale, gain / sqrt(fan_in) with gain sqrt(2), so a
    layer computes lrelu(sqrt2 conv(x) + noise + bias) where ours computes sqrt2 lrelu(conv(x) + noise
    + bias).  The two describe the same functions (leaky ReLU is positively homogeneous), but here the
    bias and the noise strength are multiplied by sqrt(2) on their way out, so with Adam, which moves
    each parameter by about lr whatever its scale, they take sqrt(2)-times larger effective steps."""
    if activation is None or activation == "linear":
        return x
    if activation == "lrelu":
        return leaky_relu(x, 0.2, gain=LRELU_GAIN)
    if activation == "relu":
        return relu(x)
    if activation == "tanh":
        return tanh(x)
    raise ValueError(f"unknown activation {activation!r}: use 'lrelu', 'relu', 'tanh' or None")


def _normal(shape, std):
    return backend.rng().standard_normal(shape, dtype=get_default_dtype()) * std


def _full(shape, value):
    return backend.xp().full(shape, value, dtype=get_default_dtype())


class Linear(Module):
    """y = x @ (c W)^T + lr_mul * b, with W (out, in) stored N(0, 1)/lr_mul when equalized.

    With equalized=False the weight is stored already scaled (plain He initialisation), the way most
    frameworks do it; chapter 3 compares the two."""

    def __init__(self, in_features, out_features, bias=True, lr_mul=1.0, gain=1.0, bias_init=0.0,
                 activation=None, equalized=True):
        super().__init__()
        he_std = gain / math.sqrt(in_features)
        init_std, self.w_scale = (1.0 / lr_mul, he_std * lr_mul) if equalized else (he_std / lr_mul, lr_mul)
        self.weight = Parameter(_normal((out_features, in_features), init_std))
        self.bias = Parameter(_full((out_features,), bias_init / lr_mul)) if bias else None
        self.lr_mul, self.activation = lr_mul, activation
        self.in_features, self.out_features = in_features, out_features

    def forward(self, x):
        ### BEGIN SOLUTION ch03_equalized_linear: the dense layer with its run-time weight scale inside the graph, then the activation
        y = x @ (self.weight * self.w_scale).T
        if self.bias is not None:
            y = y + self.bias * self.lr_mul
        return activate(y, self.activation)
        ### END SOLUTION


class DenseToMaps(Module):
    """A latent to `channels` feature maps of size x size: an equalized dense layer without a bias,
    reshaped to (N, C, size, size), then one bias per channel.  This is ProGAN's first layer as NVlabs
    writes it (dense, reshape, apply_bias, whose bias has one entry per channel, as a convolution's
    has) — not a dense layer's bias, which would give every pixel of every map its own."""

    def __init__(self, in_features, channels, size=4, gain=1.0, activation=None):
        super().__init__()
        self.dense = Linear(in_features, channels * size * size, bias=False, gain=gain)
        self.bias = Parameter(_full((channels,), 0.0))
        self.channels, self.size, self.activation = channels, size, activation

    def forward(self, x):
        maps = reshape(self.dense(x), (x.shape[0], self.channels, self.size, self.size))
        return activate(maps + reshape(self.bias, (1, -1, 1, 1)), self.activation)


class FusedLinear(Linear):
    """nn.Linear computed by one graph node (ops.linalg.linear), and one bias_act node when the
    activation is a leaky ReLU, instead of about six forward and ten backward: the same parameters
    and the same numbers.  nn.Linear is the layer as the course builds it, from primitive ops; the
    StyleGAN paths that run it dozens of times per step (mapping network, style affines, D's dense
    layers) use this one.  tests/test_fused_ops.py checks that the two agree."""

    def forward(self, x):
        if self.activation == "lrelu" and self.bias is not None:
            return bias_act(linear(x, self.weight, None, self.w_scale), self.bias, self.lr_mul, 0.2, LRELU_GAIN)
        return activate(linear(x, self.weight, self.bias, self.w_scale, self.lr_mul), self.activation)


class Conv2d(Module):
    """Equalized-LR 2-D convolution, 'same' padding by default; weight (out, in/groups, k, k).

    'Same' pads k // 2 on every side for an odd kernel.  An even kernel needs k - 1 in all, which
    does not split evenly: as TensorFlow's padding='SAME' (NVlabs's conv2d) and PyTorch's
    padding='same', (k - 1) // 2 go before and k // 2 after, so the output keeps the input's size
    at stride 1 (and is ceil(H / stride) at larger strides).

    resample="down" is this 3x3 convolution followed by 2x2 average pooling, resample="up" 2x nearest
    upsampling followed by it: the same numbers (up to float rounding) and the same 3x3 parameter,
    computed as one stride-2 convolution with a 4x4 kernel (ops/resample_conv.py, NVlabs'
    fused_scale), 2.25x fewer multiplications.  A bias is added after the pooling, which is the same
    as before it (pooling commutes with a per-channel constant), as NVlabs does."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=None, groups=1,
                 bias=True, lr_mul=1.0, gain=1.0, activation=None, equalized=True, resample=None):
        super().__init__()
        if resample not in (None, "down", "up"):
            raise ValueError(f"resample must be None, 'down' or 'up', got {resample!r}")
        if resample is not None and (kernel_size, stride, groups, padding) != (3, 1, 1, None):
            raise ValueError("resample needs a 3x3 kernel with the default stride, groups and padding")
        self.resample = resample
        fan_in = in_channels // groups * kernel_size * kernel_size
        he_std = gain / math.sqrt(fan_in)
        init_std, self.w_scale = (1.0 / lr_mul, he_std * lr_mul) if equalized else (he_std / lr_mul, lr_mul)
        self.weight = Parameter(_normal((out_channels, in_channels // groups, kernel_size, kernel_size), init_std))
        self.bias = Parameter(_full((out_channels,), 0.0)) if bias else None
        self.stride, self.groups = stride, groups
        self.padding = kernel_size // 2 if padding is None else padding
        # An even kernel's 'same' padding is uneven, which conv2d's one number cannot say: pad first.
        self.uneven_padding = None
        if padding is None and kernel_size % 2 == 0:
            self.padding, self.uneven_padding = 0, ((kernel_size - 1) // 2, kernel_size // 2)
        self.lr_mul, self.activation = lr_mul, activation

    def forward(self, x):
        if self.uneven_padding is not None:
            x = pad(x, ((0, 0), (0, 0), self.uneven_padding, self.uneven_padding))
        # The scale, the bias and a leaky ReLU are taken by the conv and by one bias_act node, not as
        # separate graph nodes (the same numbers: docs/performance.md, "fewer graph nodes").
        if self.resample == "down":
            y = conv2d_downsample(x, self.weight, scale=self.w_scale)
        elif self.resample == "up":
            y = upsample_conv2d(x, self.weight, scale=self.w_scale)
        else:
            y = conv2d(x, self.weight, stride=self.stride, padding=self.padding, groups=self.groups,
                       scale=self.w_scale)
        if self.bias is None:
            return activate(y, self.activation)
        if self.activation == "lrelu":
            return bias_act(y, self.bias, self.lr_mul, slope=0.2, gain=LRELU_GAIN)
        return activate(bias_act(y, self.bias, self.lr_mul), self.activation)


class ConvTranspose2d(Module):
    """Equalized-LR transposed convolution (DCGAN's upsampling layer); weight (in, out, k, k).

    He's scale divides by the fan-in of an output pixel: the number of products summed into it.  A
    stride-s transposed convolution spreads each input pixel over k x k outputs, s apart, so every
    output receives in_channels * (k / s)^2 of them — 4 in_channels for DCGAN's k = 4, s = 2 — not the
    in_channels * k * k of the weight's shape (which would make the output's std s times too small)."""

    def __init__(self, in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=True,
                 gain=1.0, activation=None, equalized=True):
        super().__init__()
        he_std = gain / math.sqrt(in_channels * kernel_size * kernel_size / (stride * stride))
        init_std, self.w_scale = (1.0, he_std) if equalized else (he_std, 1.0)
        self.weight = Parameter(_normal((in_channels, out_channels, kernel_size, kernel_size), init_std))
        self.bias = Parameter(_full((out_channels,), 0.0)) if bias else None
        self.stride, self.padding, self.activation = stride, padding, activation

    def forward(self, x):
        y = conv_transpose2d(x, self.weight * self.w_scale, stride=self.stride, padding=self.padding)
        if self.bias is not None:
            y = y + reshape(self.bias, (1, -1, 1, 1))
        return activate(y, self.activation)


class NoiseInjection(Module):
    """x + s_c * n, with one N(0, 1) noise map n per sample shared by all channels and a learned
    per-channel scale s initialised to 0 (StyleGAN, section 3.2, 'B' in figure 1)."""

    def __init__(self, channels):
        super().__init__()
        self.weight = Parameter(_full((channels,), 0.0))

    def forward(self, x, noise=None, rng=None):
        ### BEGIN SOLUTION ch07_noise_injection: StyleGAN's noise input 'B': one noise map per sample, scaled per channel
        if noise is None:
            n, _, h, w = x.shape
            noise = randn(n, 1, h, w, dtype=x.dtype, rng=rng)
        return x + reshape(self.weight, (1, -1, 1, 1)) * noise
        ### END SOLUTION


class AdaIN(Module):
    """Adaptive instance normalisation (StyleGAN eq. 1): AdaIN(x, y) = y_s * (x - mu(x)) / sigma(x) + y_b,
    with the style y = (y_s, y_b) an affine transform of w ('A' in figure 1).  The y_s bias starts at 1
    so that a fresh layer passes normalised features through unchanged."""

    def __init__(self, w_dim, channels):
        super().__init__()
        self.channels = channels
        self.style = FusedLinear(w_dim, 2 * channels, gain=1.0)
        self.style.bias.data[:channels] = 1.0

    def forward(self, x, w):
        ### BEGIN SOLUTION ch07_adain: StyleGAN eq. 1 with the style y = (y_s, y_b) = A(w)
        style = self.style(w)
        c = self.channels
        scale = reshape(style[:, :c], (-1, c, 1, 1))
        shift = reshape(style[:, c:], (-1, c, 1, 1))
        return adaptive_instance_norm(x, scale, shift)     # = instance_norm(x) * scale + shift, one graph node
        ### END SOLUTION


class MinibatchStddev(Module):
    """Append the average standard deviation of features across a group of samples as extra feature
    maps (ProGAN section 3), so D can see when G produces too little variety.

    Samples are grouped as in NVlabs: sample i belongs to group i % (N / G)."""

    def __init__(self, group_size=4, num_features=1, eps=1e-8):
        super().__init__()
        self.group_size, self.num_features, self.eps = group_size, num_features, eps

    def forward(self, x):
        ### BEGIN SOLUTION ch06_minibatch_stddev: ProGAN section 3: the group standard deviation, averaged, appended as num_features new channels
        n, c, h, w = x.shape
        g = min(self.group_size, n)
        if n % g:
            raise ValueError(f"minibatch stddev: batch {n} is not divisible by the group size {g}")
        f = self.num_features
        y = reshape(x, (g, n // g, f, c // f, h, w))
        y = y - mean(y, axis=0, keepdims=True)                       # deviation from the group mean
        y = sqrt(mean(y * y, axis=0) + self.eps)                     # std over the group: (M, F, C/F, H, W)
        y = mean(y, axis=(2, 3, 4))                                  # one number per group and feature
        y = tile(reshape(y, (n // g, f, 1, 1)), (g, 1, h, w))        # back to every sample and pixel
        return concat([x, y], axis=1)
        ### END SOLUTION


class Blur(Module):
    """The [1, 2, 1] binomial low-pass filter StyleGAN applies after upsampling and before
    downsampling (section 2, following Zhang 2019), to suppress aliasing."""

    def __init__(self, taps=(1, 2, 1)):
        super().__init__()
        self.taps = tuple(taps)

    def forward(self, x):
        return blur(x, self.taps)
