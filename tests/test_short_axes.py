"""short_axes.py: sums over short axes and copies of strided views, against NumPy's own results.

The arrays are big enough (> 4096 elements) for the slicing path to be the one that runs."""
import numpy as np
import pytest

from stylegan_np.ops.short_axes import contiguous, sum_axes
from stylegan_np.testing import host

SUMS = [((4, 6, 8, 2, 8, 2), (3, 5)),          # average pooling's 2x2 blocks
        ((4, 6, 8, 3, 8, 3), (3, 5)),          # 3x3 blocks
        ((4, 6, 8, 2, 8, 2), (0, 3, 5)),       # short and long axes together
        ((2, 4, 16, 16, 4), (4,)),             # a short last axis alone
        ((3, 64, 32), (0,)),                   # a short first axis
        ((5, 64, 32), (0, 2)),                 # only long axes: NumPy's own sum
        ((2, 3, 4, 256), (0, 1, 2, 3))]        # every axis


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape, axes", SUMS)
def test_sum_axes_equals_numpy_sum(xp, shape, axes, keepdims):
    x = np.random.default_rng(0).standard_normal(shape)
    got = sum_axes(xp.asarray(x), axes, keepdims)
    expected = x.sum(axis=axes, keepdims=keepdims)
    assert got.shape == expected.shape
    np.testing.assert_allclose(host(got), expected, rtol=1e-12, atol=1e-12)


def test_sum_axes_of_booleans_counts_like_numpy():
    mask = np.random.default_rng(3).standard_normal((8, 16, 32, 2)) > 0
    np.testing.assert_array_equal(sum_axes(mask, (3,)), mask.sum(axis=3))


def test_sum_axes_accepts_negative_and_repeated_axes():
    x = np.random.default_rng(1).standard_normal((8, 16, 2, 32, 2))
    np.testing.assert_allclose(sum_axes(x, (-1, 2, -3)), x.sum(axis=(2, 4)), rtol=1e-12)


@pytest.mark.parametrize("make_view", [
    lambda xp, y: xp.broadcast_to(y.reshape(4, 6, 8, 1, 16, 1), (4, 6, 8, 2, 16, 2)),   # nearest upsampling
    lambda xp, y: y.transpose(0, 1, 3, 2)[..., :3],                                      # transposed, cut short
    lambda xp, y: y[:, :, ::2, :],                                                       # long last axis
])
def test_contiguous_copies_any_view(xp, make_view):
    y = np.random.default_rng(2).standard_normal((4, 6, 8, 16))
    view = make_view(xp, xp.asarray(y))
    got = contiguous(view)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(host(got), host(xp.ascontiguousarray(view)))


def test_contiguous_returns_a_contiguous_array_itself():
    y = np.zeros((64, 128))
    assert contiguous(y) is y


@pytest.mark.parametrize("shape, axes", [
    ((16, 8, 16, 16), (2, 3)),            # instance norm's means: a trailing block
    ((16, 8, 16, 16), (0, 2, 3)),         # a bias gradient: leading and trailing blocks
    ((32, 64), (0,)),                     # a leading block alone
    ((1, 8, 32, 32), (0, 2, 3)),          # a 1-long axis counts as summed
    ((16, 8, 1, 512), (0, 2, 3)),
    ((8, 64, 16), (1,)),                  # an axis in the middle: NumPy's own sum
    ((4, 16, 8, 16), (0, 2))])            # summed axes with a kept one between them
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sums_over_leading_and_trailing_blocks_equal_numpy(shape, axes, dtype):
    x = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    for keepdims in (False, True):
        got = sum_axes(x, axes, keepdims)
        expected = x.astype(np.float64).sum(axis=axes, keepdims=keepdims)
        assert got.shape == expected.shape and got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-4)
