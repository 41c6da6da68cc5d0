"""'Same' size for even kernels: blur with an even number of taps and nn.Conv2d with an even kernel and
its default padding return an (H, W) output for an (H, W) input, as their docstrings promise.

The references are independent of our convolution code: scipy.signal.convolve2d(mode="same") for the
blur (what NVlabs/stylegan2's filter_2d computes: pad k // 2 in front, (k - 1) // 2 behind, convolve),
and the textbook loop over TensorFlow's padding='SAME' ((k - 1) // 2 in front, k // 2 behind) for
Conv2d.  Both are also checked numerically to first and second order (D blurs, and R1
differentiates D's gradient)."""
import math

import numpy as np
import pytest
import scipy.signal

import stylegan_np as sg
from stylegan_np import nn
from stylegan_np.gradcheck import gradcheck, gradgradcheck
from stylegan_np.testing import T, host


def scipy_blur(x, taps):
    taps = np.asarray(taps, dtype=np.float64)
    kernel = np.outer(taps, taps) / np.outer(taps, taps).sum()
    return np.stack([[scipy.signal.convolve2d(x[n, c], kernel, mode="same") for c in range(x.shape[1])]
                     for n in range(x.shape[0])])


@pytest.mark.parametrize("taps", [(1, 2, 1), (1, 3, 3, 1), (1, 1), (1, 4, 6, 4, 1), (1, 2, 3, 4)])
@pytest.mark.parametrize("size", [(7, 6), (4, 4)])
def test_blur_keeps_the_size_and_matches_scipy_same(xp, rng, taps, size):
    x = rng.standard_normal((2, 3) + size)
    y = host(sg.blur(T(xp, x), taps))
    assert y.shape == x.shape
    np.testing.assert_allclose(y, scipy_blur(x, taps), rtol=1e-12, atol=1e-14)


def test_even_blur_of_an_impulse_is_the_kernel_at_nvlabs_offset(xp):
    """An impulse at (3, 3) spreads over rows and columns 2..5 with (1, 3, 3, 1): k // 2 = 2 zeros in
    front put the kernel's first tap one pixel before the impulse (written out by hand, not by scipy)."""
    impulse = np.zeros((1, 1, 8, 8))
    impulse[0, 0, 3, 3] = 1.0
    out = host(sg.blur(T(xp, impulse), (1, 3, 3, 1)))[0, 0]
    expected = np.zeros((8, 8))
    expected[2:6, 2:6] = np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("taps", [(1, 3, 3, 1), (1, 1)])
def test_even_blur_layer_gradients(xp, rng, taps):
    x = xp.asarray(rng.standard_normal((2, 2, 5, 5)))
    layer = nn.Blur(taps)
    assert gradcheck(layer, [x], name=f"Blur{taps}")
    assert gradgradcheck(layer, [x], name=f"Blur{taps}")


def tf_same_conv(x, w, stride):
    """Cross-correlation with TensorFlow's 'SAME' padding at stride 1 ((k-1)//2 before, k//2 after),
    one output number at a time."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    before, after = (k - 1) // 2, k // 2
    xpad = np.pad(x, ((0, 0), (0, 0), (before, after), (before, after)))
    ho, wo = (h + before + after - k) // stride + 1, (wd + before + after - k) // stride + 1
    out = np.zeros((n, o, ho, wo))
    for s in range(n):
        for oc in range(o):
            for i in range(ho):
                for j in range(wo):
                    out[s, oc, i, j] = (xpad[s, :, i * stride:i * stride + k, j * stride:j * stride + k] * w[oc]).sum()
    return out


@pytest.mark.parametrize("kernel, stride, size", [(2, 1, 5), (4, 1, 6), (4, 1, 5), (4, 2, 8), (3, 1, 5)])
def test_conv2d_layer_default_padding_is_same(xp, rng, kernel, stride, size):
    with sg.default_dtype(np.float64):
        layer = nn.Conv2d(3, 2, kernel, stride=stride, bias=False)
    x = rng.standard_normal((2, 3, size, size))
    y = host(layer(T(xp, x)))
    assert y.shape == (2, 2, math.ceil(size / stride), math.ceil(size / stride))
    w_eff = host(layer.weight) / math.sqrt(3 * kernel * kernel)
    np.testing.assert_allclose(y, tf_same_conv(x, w_eff, stride), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", [2, 4])
def test_conv2d_layer_with_even_kernel_gradients(xp, rng, kernel):
    with sg.default_dtype(np.float64):
        layer = nn.Conv2d(2, 3, kernel)
    layer.bias.data = xp.asarray(rng.standard_normal(3))
    x = xp.asarray(rng.standard_normal((2, 2, 4, 4)))
    assert gradcheck(layer, [x], name=f"Conv2d k={kernel}")
    assert gradgradcheck(layer, [x], name=f"Conv2d k={kernel}")
