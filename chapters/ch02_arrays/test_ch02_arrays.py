"""Chapter 2 grading tests: convolution as matrix multiplication (im2col) and its adjoint (col2im).

The expected arrays are built here with plain Python loops over every index, straight from the
definitions:
    col[c, i, j, n, a, b] = x_padded[n, c, a * stride + i, b * stride + j]          (im2col)
    x_padded[n, c, a * stride + i, b * stride + j] += col[c, i, j, n, a, b]          (col2im)
and the convolution from  y[n, o, a, b] = sum_{c, i, j} x_padded[n, c, a s + i, b s + j] W[o, c, i, j].
"""
import itertools

import numpy as np
import pytest

from stylegan_np import backend, conv2d, tensor
from stylegan_np.ops.conv import Conv2dGradInput, col2im, im2col
from stylegan_np.testing import host


def out_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def im2col_loops(x, kh, kw, stride, padding):
    n, c, h, w = x.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = out_size(h, kh, stride, padding), out_size(w, kw, stride, padding)
    col = np.zeros((c, kh, kw, n, ho, wo))
    for ci, i, j, ni, a, b in itertools.product(range(c), range(kh), range(kw), range(n), range(ho), range(wo)):
        col[ci, i, j, ni, a, b] = xpad[ni, ci, a * stride + i, b * stride + j]
    return col


def col2im_loops(col, x_shape, stride, padding):
    c, kh, kw, n, ho, wo = col.shape
    _, _, h, w = x_shape
    xpad = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    for ci, i, j, ni, a, b in itertools.product(range(c), range(kh), range(kw), range(n), range(ho), range(wo)):
        xpad[ni, ci, a * stride + i, b * stride + j] += col[ci, i, j, ni, a, b]
    return xpad[:, :, padding:padding + h, padding:padding + w]


def conv_loops(x, weight, stride, padding, groups=1):
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = out_size(h, kh, stride, padding), out_size(w, kw, stride, padding)
    y = np.zeros((n, o, ho, wo))
    per_group = o // groups
    for ni, oi, a, b in itertools.product(range(n), range(o), range(ho), range(wo)):
        g = oi // per_group
        patch = xpad[ni, g * cg:(g + 1) * cg, a * stride:a * stride + kh, b * stride:b * stride + kw]
        y[ni, oi, a, b] = (patch * weight[oi]).sum()
    return y


# (kh, kw, stride, padding) on a 5 x 6 input
GEOMETRIES = [(3, 3, 1, 1), (3, 3, 2, 1), (2, 3, 1, 0), (3, 2, 2, 0), (4, 4, 2, 1), (1, 1, 1, 0)]


# --- ch02_im2col ----------------------------------------------------------------------------------

@pytest.mark.ch02_im2col
@pytest.mark.parametrize("kh, kw, stride, padding", GEOMETRIES)
def test_im2col_gathers_every_kernel_tap(xp, rng, kh, kw, stride, padding):
    x = rng.standard_normal((2, 3, 5, 6))
    col = im2col(xp.asarray(x), kh, kw, stride, padding)
    expected = im2col_loops(x, kh, kw, stride, padding)
    assert col.shape == expected.shape
    np.testing.assert_array_equal(host(col), expected)


@pytest.mark.ch02_im2col
@pytest.mark.parametrize("stride, padding, groups", [(2, 1, 1), (2, 0, 1), (1, 1, 2), (2, 1, 2)])
def test_strided_and_grouped_convolutions_go_through_im2col(xp, rng, stride, padding, groups):
    # stride 1 with one group takes a separate fast path; these settings use im2col + one matmul
    x = rng.standard_normal((2, 4, 6, 5))
    weight = rng.standard_normal((6, 4 // groups, 3, 3))
    y = conv2d(tensor(xp.asarray(x)), tensor(xp.asarray(weight)), stride=stride, padding=padding, groups=groups)
    np.testing.assert_allclose(host(y), conv_loops(x, weight, stride, padding, groups), rtol=1e-10, atol=1e-10)


# --- ch02_col2im ----------------------------------------------------------------------------------

@pytest.mark.ch02_col2im
@pytest.mark.parametrize("kh, kw, stride, padding", GEOMETRIES)
def test_col2im_adds_every_entry_back_onto_its_pixel(xp, rng, kh, kw, stride, padding):
    x_shape = (2, 3, 5, 6)
    ho, wo = out_size(5, kh, stride, padding), out_size(6, kw, stride, padding)
    col = rng.standard_normal((3, kh, kw, 2, ho, wo))
    x = col2im(xp.asarray(col), x_shape, stride, padding)
    assert x.shape == x_shape
    np.testing.assert_allclose(host(x), col2im_loops(col, x_shape, stride, padding), rtol=1e-12, atol=1e-12)


@pytest.mark.ch02_col2im
@pytest.mark.parametrize("kh, kw, stride, padding", GEOMETRIES)
def test_col2im_is_the_adjoint_of_im2col(xp, rng, kh, kw, stride, padding):
    # <im2col(x), c> = <x, col2im(c)> for all x and c: the definition of the adjoint (im2col by loops)
    x_shape = (2, 3, 5, 6)
    x = rng.standard_normal(x_shape)
    ax = im2col_loops(x, kh, kw, stride, padding)
    c = rng.standard_normal(ax.shape)
    lhs = (ax * c).sum()
    rhs = (x * host(col2im(xp.asarray(c), x_shape, stride, padding))).sum()
    np.testing.assert_allclose(rhs, lhs, rtol=1e-10)


@pytest.mark.ch02_col2im
@pytest.mark.parametrize("stride, padding", [(2, 1), (2, 0), (3, 1)])
def test_input_gradient_of_a_strided_convolution_goes_through_col2im(xp, rng, stride, padding):
    # dL/dx for L = sum(conv(x, W) * gy): every output pixel spreads gy * W back over its patch
    x_shape = (2, 3, 7, 6)
    weight = rng.standard_normal((4, 3, 3, 3))
    ho, wo = out_size(7, 3, stride, padding), out_size(6, 3, stride, padding)
    gy = rng.standard_normal((2, 4, ho, wo))
    gx_pad = np.zeros((2, 3, 7 + 2 * padding, 6 + 2 * padding))
    for ni, oi, a, b in itertools.product(range(2), range(4), range(ho), range(wo)):
        gx_pad[ni, :, a * stride:a * stride + 3, b * stride:b * stride + 3] += gy[ni, oi, a, b] * weight[oi]
    expected = gx_pad[:, :, padding:padding + 7, padding:padding + 6]
    gx = Conv2dGradInput(x_shape, stride=stride, padding=padding)(tensor(xp.asarray(gy)), tensor(xp.asarray(weight)))
    np.testing.assert_allclose(host(gx), expected, rtol=1e-10, atol=1e-10)
