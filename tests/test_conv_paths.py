"""The fast stride-1 convolution path ("flat shift", channels-last) against the generic im2col path.

Both compute the same three Functions (conv, its input gradient, its weight gradient); any difference
beyond float64 rounding is a bug in one of them."""
import numpy as np
import pytest

from stylegan_np.ops import conv as C


def _generic(fn_class, *arrays, **kw):
    """Run a conv Function's generic (im2col) forward by asking for it with groups given as 1 but
    forcing the generic branch."""
    original = C._use_flat_path
    C._use_flat_path = lambda stride, groups: False
    try:
        return fn_class(**kw).forward(*arrays)
    finally:
        C._use_flat_path = original


@pytest.mark.parametrize("shape, out_ch, k, pad", [((2, 3, 5, 5), 4, 3, 1), ((2, 4, 6, 3), 2, 3, 0),
                                                   ((1, 2, 4, 4), 3, 1, 0), ((2, 2, 5, 4), 2, 3, 2)])
def test_flat_path_matches_im2col(xp, shape, out_ch, k, pad):
    r = np.random.default_rng(0)
    x = xp.asarray(r.standard_normal(shape))
    w = xp.asarray(r.standard_normal((out_ch, shape[1], k, k)))
    y_fast = C.Conv2d(1, pad, 1).forward(x, w)
    y_generic = _generic(C.Conv2d, x, w, stride=1, padding=pad, groups=1)
    assert y_fast.shape == y_generic.shape
    np.testing.assert_allclose(xp.asnumpy(y_fast) if xp.__name__ == "cupy" else y_fast,
                               xp.asnumpy(y_generic) if xp.__name__ == "cupy" else y_generic, atol=1e-12)

    gy = xp.asarray(r.standard_normal(y_fast.shape))
    gx_fast = C.Conv2dGradInput(shape, stride=1, padding=pad, groups=1).forward(gy, w)
    gx_generic = _generic(C.Conv2dGradInput, gy, w, x_shape=shape, stride=1, padding=pad, groups=1)
    gw_fast = C.Conv2dGradWeight(w.shape, stride=1, padding=pad, groups=1).forward(x, gy)
    gw_generic = _generic(C.Conv2dGradWeight, x, gy, w_shape=w.shape, stride=1, padding=pad, groups=1)
    to_np = (lambda a: a.get()) if xp.__name__ == "cupy" else (lambda a: a)
    np.testing.assert_allclose(to_np(gx_fast), to_np(gx_generic), atol=1e-12)
    np.testing.assert_allclose(to_np(gw_fast), to_np(gw_generic), atol=1e-12)


def test_conv_matches_direct_loop():
    """Both paths against the definition y[n,o,h,w] = sum_{c,i,j} x[n,c,h+i,w+j] W[o,c,i,j] + padding."""
    r = np.random.default_rng(1)
    x = r.standard_normal((2, 3, 4, 5))
    w = r.standard_normal((2, 3, 3, 3))
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((2, 2, 4, 5))
    for h in range(4):
        for v in range(5):
            expected[:, :, h, v] = np.einsum("ncij,ocij->no", xpad[:, :, h:h + 3, v:v + 3], w)
    np.testing.assert_allclose(C.Conv2d(1, 1, 1).forward(x, w), expected, atol=1e-12)
    np.testing.assert_allclose(_generic(C.Conv2d, x, w, stride=1, padding=1, groups=1), expected, atol=1e-12)
