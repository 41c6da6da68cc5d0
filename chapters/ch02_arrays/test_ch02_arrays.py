"""Chapter 2 grading tests: convolution as matrix multiplication (im2col), its adjoint (col2im), and
the general convolution built on them.

The expected arrays are built here with plain Python loops over every index, straight from the
definitions:
    col[c, i, j, n, a, b] = x_padded[n, c, a * stride + i, b * stride + j]          (im2col)
    x_padded[n, c, a * stride + i, b * stride + j] += col[c, i, j, n, a, b]          (col2im)
    y[n, o, a, b] = sum_{c in o's group, i, j} x_padded[n, c, a s + i, b s + j] W[o, c, i, j]
The convolution's tests force the general path (`forced_path("im2col")`; stride 1 with one group
otherwise takes a faster path) and give it an im2col made of these loops, so they grade your
Conv2d.forward alone.
"""
import itertools

import numpy as np
import pytest

from stylegan_np import backend, conv2d, tensor
from stylegan_np.checks import check, close, run, same
from stylegan_np.ops import conv
from stylegan_np.ops.conv import col2im, forced_path, im2col


def out_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def im2col_loops(x, kh, kw, stride, padding):
    n, c, h, w = x.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = out_size(h, kh, stride, padding), out_size(w, kw, stride, padding)
    col = np.zeros((c, kh, kw, n, ho, wo), dtype=x.dtype)
    for ci, i, j, ni, a, b in itertools.product(range(c), range(kh), range(kw), range(n), range(ho), range(wo)):
        col[ci, i, j, ni, a, b] = xpad[ni, ci, a * stride + i, b * stride + j]
    return col


def col2im_loops(col, x_shape, stride, padding):
    c, kh, kw, n, ho, wo = col.shape
    _, _, h, w = x_shape
    xpad = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=col.dtype)
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


def describe(kh, kw, stride, padding):
    return f"kernel {kh}x{kw}, stride {stride}, padding {padding}"


# --- ch02_im2col ----------------------------------------------------------------------------------

@pytest.mark.ch02_im2col
@pytest.mark.parametrize("kh, kw, stride, padding", GEOMETRIES)
def test_im2col_gathers_every_kernel_tap(xp, rng, kh, kw, stride, padding):
    x = rng.standard_normal((2, 3, 5, 6))
    where = describe(kh, kw, stride, padding)
    col = run(lambda: im2col(xp.asarray(x), kh, kw, stride, padding), "im2col", where)
    expected = im2col_loops(x, kh, kw, stride, padding)
    check(col.shape == expected.shape, f"im2col with {where}: the columns must have shape (C, kh, kw, N, Ho, Wo) "
                                       f"= {expected.shape}, not {col.shape} (Ho = (H + 2p - kh) // stride + 1)")
    same(col, expected, f"im2col with {where}: col[c, i, j, n, a, b] must be x_padded[n, c, a*stride + i, b*stride + j]")


@pytest.mark.ch02_im2col
def test_im2col_keeps_the_dtype_and_the_input(xp, rng):
    x = xp.asarray(rng.standard_normal((1, 2, 4, 4)).astype(np.float32))
    before = backend.to_numpy(x).copy()
    col = im2col(x, 3, 3, 1, 1)
    check(col.dtype == np.float32, f"im2col of a float32 image must stay float32, got {col.dtype}")
    same(x, before, "im2col must not change its input (pad into a new array)")


# --- ch02_col2im ----------------------------------------------------------------------------------

@pytest.mark.ch02_col2im
@pytest.mark.parametrize("kh, kw, stride, padding", GEOMETRIES)
def test_col2im_adds_every_entry_back_onto_its_pixel(xp, rng, kh, kw, stride, padding):
    x_shape = (2, 3, 5, 6)
    ho, wo = out_size(5, kh, stride, padding), out_size(6, kw, stride, padding)
    col = rng.standard_normal((3, kh, kw, 2, ho, wo))
    where = describe(kh, kw, stride, padding)
    x = run(lambda: col2im(xp.asarray(col), x_shape, stride, padding), "col2im", where)
    check(x.shape == x_shape, f"col2im with {where}: the result must be cropped back to x_shape {x_shape}, "
                              f"not {x.shape}")
    close(x, col2im_loops(col, x_shape, stride, padding),
          f"col2im with {where}: every entry must be added (+=) onto its pixel; where patches overlap their "
          "entries add up, they do not overwrite each other", rtol=1e-12, atol=1e-12)


@pytest.mark.ch02_col2im
@pytest.mark.parametrize("kh, kw, stride, padding", GEOMETRIES)
def test_col2im_is_the_adjoint_of_im2col(xp, rng, kh, kw, stride, padding):
    # <im2col(x), c> = <x, col2im(c)> for all x and c: the definition of the adjoint (im2col by loops)
    x_shape = (2, 3, 5, 6)
    x = rng.standard_normal(x_shape)
    ax = im2col_loops(x, kh, kw, stride, padding)
    c = rng.standard_normal(ax.shape)
    back = run(lambda: col2im(xp.asarray(c), x_shape, stride, padding), "col2im", describe(kh, kw, stride, padding))
    close((x * backend.to_numpy(back)).sum(), (ax * c).sum(),
          f"<im2col(x), c> must equal <x, col2im(c)> ({describe(kh, kw, stride, padding)})", rtol=1e-10)


# --- ch02_conv2d ----------------------------------------------------------------------------------

@pytest.fixture
def loop_im2col(monkeypatch):
    """The general path with an im2col made of loops, so that only Conv2d.forward is graded."""
    def im2col_by_loops(x, kh, kw, stride=1, padding=0):
        return backend.get_array_module(x).asarray(im2col_loops(backend.to_numpy(x), kh, kw, stride, padding))
    monkeypatch.setattr(conv, "im2col", im2col_by_loops)
    with forced_path("im2col"):
        yield


def convolve(xp, x, weight, stride, padding, groups):
    y = run(lambda: conv2d(tensor(xp.asarray(x)), tensor(xp.asarray(weight)), stride=stride, padding=padding,
                           groups=groups), "conv2d", f"stride {stride}, padding {padding}, groups {groups}")
    n, _, h, w = x.shape
    o, _, kh, kw = weight.shape
    expected_shape = (n, o, out_size(h, kh, stride, padding), out_size(w, kw, stride, padding))
    check(y.shape == expected_shape, f"conv2d must return (N, O, Ho, Wo) = {expected_shape}, not {y.shape} "
                                     "(was the product reshaped or transposed in the wrong order?)")
    return y


@pytest.mark.ch02_conv2d
@pytest.mark.parametrize("kh, kw, stride, padding", GEOMETRIES)
def test_conv2d_matches_the_definition(xp, rng, kh, kw, stride, padding, loop_im2col):
    x = rng.standard_normal((2, 3, 5, 6))
    weight = rng.standard_normal((4, 3, kh, kw))
    y = convolve(xp, x, weight, stride, padding, 1)
    close(y, conv_loops(x, weight, stride, padding),
          f"conv2d with {describe(kh, kw, stride, padding)}: y[n, o, a, b] = sum over c, i, j of "
          "x_padded[n, c, a s + i, b s + j] W[o, c, i, j]", rtol=1e-10, atol=1e-10)


@pytest.mark.ch02_conv2d
@pytest.mark.parametrize("stride, padding, groups", [(1, 1, 2), (2, 1, 2), (1, 0, 3), (2, 1, 6)])
def test_grouped_convolutions(xp, rng, stride, padding, groups, loop_im2col):
    x = rng.standard_normal((2, 6, 5, 5))
    weight = rng.standard_normal((6, 6 // groups, 3, 3))
    y = convolve(xp, x, weight, stride, padding, groups)
    close(y, conv_loops(x, weight, stride, padding, groups),
          f"conv2d with groups={groups}: output channel o sees only the C/groups input channels of its own group",
          rtol=1e-10, atol=1e-10)


@pytest.mark.ch02_conv2d
def test_float32_stays_float32(xp, rng, loop_im2col):
    x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
    weight = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    y = convolve(xp, x, weight, 2, 1, 1)
    check(y.dtype == np.float32, f"a float32 convolution must return float32, got {y.dtype}")
