"""Chapter 5 grading tests: the transposed convolution and nearest-neighbour upsampling.

Expected values: the transposed convolution by loops, from its definition (PyTorch's): every input
pixel paints a weighted copy of the kernel, `stride` pixels apart, onto a canvas that is then cropped
by `padding` on each side,
    canvas[n, o, a s + i, b s + j] += x[n, c, a, b] W[c, o, i, j],   y = canvas[p : p + H_out]
with H_out = (H - 1) s - 2 p + k + output_padding;  its adjoint identity <conv(y), x> = <y, conv^T(x)>;
central differences (`gradcheck`); and nearest upsampling as numpy.repeat on both image axes.
"""
import itertools
import math

import numpy as np
import pytest

from stylegan_np import Tensor, avg_pool2d, backend, conv2d, conv_transpose2d, default_dtype, upsample_nearest
from stylegan_np.gradcheck import gradcheck
from stylegan_np.models import DCGANGenerator
from stylegan_np.nn import ConvTranspose2d
from stylegan_np.testing import host, T


def conv_transpose_loops(x, weight, stride, padding, output_padding=0, groups=1):
    n, c_in, h, w = x.shape
    _, cog, k, _ = weight.shape
    c_out = cog * groups
    per_group = c_in // groups
    canvas = np.zeros((n, c_out, (h - 1) * stride + k + output_padding, (w - 1) * stride + k + output_padding))
    for ni, ci, a, b in itertools.product(range(n), range(c_in), range(h), range(w)):
        g = ci // per_group
        canvas[ni, g * cog:(g + 1) * cog, a * stride:a * stride + k, b * stride:b * stride + k] += x[ni, ci, a, b] * weight[ci]
    h_out = (h - 1) * stride - 2 * padding + k + output_padding
    w_out = (w - 1) * stride - 2 * padding + k + output_padding
    return canvas[:, :, padding:padding + h_out, padding:padding + w_out]


# (kernel, stride, padding, output_padding, groups)
SETTINGS = [(4, 2, 1, 0, 1), (3, 1, 0, 0, 1), (3, 1, 1, 0, 1), (3, 2, 1, 1, 1), (3, 2, 0, 0, 1), (4, 2, 1, 0, 2)]


# --- ch05_conv_transpose --------------------------------------------------------------------------

@pytest.mark.ch05_conv_transpose
@pytest.mark.parametrize("k, stride, padding, output_padding, groups", SETTINGS)
def test_conv_transpose_paints_the_kernel_from_every_pixel(xp, rng, k, stride, padding, output_padding, groups):
    x = rng.standard_normal((2, 4, 3, 4))
    weight = rng.standard_normal((4, 6 // groups, k, k))
    y = conv_transpose2d(T(xp, x), T(xp, weight), stride=stride, padding=padding,
                         output_padding=output_padding, groups=groups)
    expected = conv_transpose_loops(x, weight, stride, padding, output_padding, groups)
    assert y.shape == expected.shape == (2, 6, (3 - 1) * stride - 2 * padding + k + output_padding,
                                         (4 - 1) * stride - 2 * padding + k + output_padding)
    np.testing.assert_allclose(host(y), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.ch05_conv_transpose
@pytest.mark.parametrize("k, stride, padding", [(4, 2, 1), (3, 1, 1), (3, 2, 0)])
def test_conv_transpose_is_the_adjoint_of_conv(xp, rng, k, stride, padding):
    x = rng.standard_normal((2, 3, 4, 4))             # lives on conv's output grid
    weight = rng.standard_normal((3, 2, k, k))        # conv: 2 -> 3 channels; transposed: 3 -> 2
    y_shape = (2, 2, (4 - 1) * stride - 2 * padding + k, (4 - 1) * stride - 2 * padding + k)
    y = rng.standard_normal(y_shape)
    conv_y = host(conv2d(T(xp, y), T(xp, weight), stride=stride, padding=padding))
    assert conv_y.shape == x.shape
    lhs = (conv_y * x).sum()
    rhs = (y * host(conv_transpose2d(T(xp, x), T(xp, weight), stride=stride, padding=padding))).sum()
    np.testing.assert_allclose(rhs, lhs, rtol=1e-10)


@pytest.mark.ch05_conv_transpose
@pytest.mark.parametrize("k, stride, padding", [(4, 2, 1), (3, 1, 1)])
def test_conv_transpose_gradcheck(xp, rng, k, stride, padding):
    x = xp.asarray(rng.standard_normal((1, 2, 3, 3)))
    weight = xp.asarray(rng.standard_normal((2, 2, k, k)))
    assert gradcheck(lambda a, b: conv_transpose2d(a, b, stride=stride, padding=padding), [x, weight])


@pytest.mark.ch05_conv_transpose
def test_dcgan_upsamples_with_transposed_convolutions(xp, rng):
    # the layer: equalized weight scale 1 / sqrt(in * k * k), bias per output channel
    with default_dtype(np.float64):
        layer = ConvTranspose2d(3, 2, kernel_size=4, stride=2, padding=1)
    layer.bias.data = xp.asarray(rng.standard_normal(2))
    x = rng.standard_normal((2, 3, 5, 5))
    expected = conv_transpose_loops(x, host(layer.weight) / math.sqrt(3 * 16), 2, 1)
    expected = expected + host(layer.bias)[None, :, None, None]
    np.testing.assert_allclose(host(layer(T(xp, x))), expected, rtol=1e-10, atol=1e-10)
    # the generator: 4x4 -> 8x8 -> 16x16, each step doubling the size; tanh keeps it in [-1, 1]
    G = DCGANGenerator(resolution=16, z_dim=8, channels=3, fmap_base=64, fmap_max=8)
    img = host(G(Tensor(xp.asarray(rng.standard_normal((2, 8)).astype(np.float32)))))
    assert img.shape == (2, 3, 16, 16)
    assert np.all(np.abs(img) <= 1) and np.isfinite(img).all()


# --- ch05_upsample_nearest ------------------------------------------------------------------------

@pytest.mark.ch05_upsample_nearest
@pytest.mark.parametrize("factor", [2, 3])
def test_upsample_copies_every_pixel_into_a_block(xp, rng, factor):
    x = rng.standard_normal((2, 3, 4, 5))
    y = upsample_nearest(T(xp, x), factor)
    expected = np.repeat(np.repeat(x, factor, axis=2), factor, axis=3)
    assert y.shape == (2, 3, 4 * factor, 5 * factor)
    np.testing.assert_array_equal(host(y), expected)
    # the default is a factor of 2, and a block average brings the original back
    if factor == 2:
        np.testing.assert_array_equal(host(upsample_nearest(T(xp, x))), expected)
        np.testing.assert_allclose(host(avg_pool2d(y, 2)), x, rtol=1e-12)


@pytest.mark.ch05_upsample_nearest
@pytest.mark.parametrize("factor", [2, 3])
def test_upsample_gradient_sums_each_block(xp, rng, factor):
    # every input pixel was copied into an f x f block: its gradient is the sum of that block's gradients
    x = T(xp, rng.standard_normal((2, 2, 3, 4)), True)
    gy = rng.standard_normal((2, 2, 3 * factor, 4 * factor))
    upsample_nearest(x, factor).backward(T(xp, gy))
    expected = gy.reshape(2, 2, 3, factor, 4, factor).sum(axis=(3, 5))
    np.testing.assert_allclose(host(x.grad), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.ch05_upsample_nearest
def test_upsample_gradcheck(xp, rng):
    assert gradcheck(lambda a: upsample_nearest(a, 2) * upsample_nearest(a, 2), [xp.asarray(rng.standard_normal((1, 2, 3, 3)))])
