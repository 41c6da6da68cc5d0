"""The four ways a convolution is computed — Winograd F(2x2, 3x3), 1x1 "pointwise", channels-last
"flat shift", and generic im2col — against the definition, written here as a loop over kernel taps.

Each path computes the same three Functions (conv, its input gradient, its weight gradient); any
difference beyond float64 rounding is a bug in that path.  The gradient checks in
test_ops_gradcheck.py exercise whichever path is the default; these tests cover the others."""
import numpy as np
import pytest

from stylegan_np.ops import conv as C
from stylegan_np.testing import host

PATHS = ["winograd", "pointwise", "flat", "stride2", "im2col"]


def direct_conv(x, w, pad, stride=1):
    """y[n,o,h,v] = sum_{c,i,j} xpad[n,c,stride h+i,stride v+j] w[o,c,i,j]."""
    kh, kw = w.shape[2:]
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (xpad.shape[2] - kh) // stride + 1, (xpad.shape[3] - kw) // stride + 1
    y = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for i in range(kh):
        for j in range(kw):
            taps = xpad[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]
            y += np.einsum("nchv,oc->nohv", taps, w[:, :, i, j])
    return y


def direct_grads(x, w, gy, pad, stride=1):
    """dL/dx and dL/dw of L = sum(gy * conv(x, w)), by the same loop run backwards."""
    kh, kw = w.shape[2:]
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = gy.shape[2:]
    gxpad, gw = np.zeros_like(xpad), np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            rows, cols = slice(i, i + stride * ho, stride), slice(j, j + stride * wo, stride)
            gxpad[:, :, rows, cols] += np.einsum("nohv,oc->nchv", gy, w[:, :, i, j])
            gw[:, :, i, j] = np.einsum("nohv,nchv->oc", gy, xpad[:, :, rows, cols])
    h, v = x.shape[2:]
    return gxpad[:, :, pad:pad + h, pad:pad + v], gw


CASES = [((2, 3, 8, 8), 4, 3, 1), ((2, 3, 5, 5), 4, 3, 1), ((2, 4, 6, 3), 2, 3, 0), ((1, 2, 4, 4), 3, 1, 0),
         ((2, 2, 5, 4), 2, 3, 2), ((3, 2, 7, 1), 2, 3, 1), ((1, 2, 2, 2), 2, 3, 2),
         ((3, 4, 5, 6), 2, 1, 0)]


def check_path_against_definition(xp, path, shape, out_ch, k, pad, stride, seed):
    """The three Functions, computed with `path`, against the loops above."""
    r = np.random.default_rng(seed)
    x = r.standard_normal(shape)
    w = r.standard_normal((out_ch, shape[1], k, k))
    expected = direct_conv(x, w, pad, stride)
    gy = r.standard_normal(expected.shape)
    gx_expected, gw_expected = direct_grads(x, w, gy, pad, stride)
    xd, wd, gyd = xp.asarray(x), xp.asarray(w), xp.asarray(gy)
    with C.forced_path(path):
        y = C.Conv2d(stride, pad, 1).forward(xd, wd)
        gx = C.Conv2dGradInput(shape, stride=stride, padding=pad, groups=1).forward(gyd, wd)
        gw = C.Conv2dGradWeight(w.shape, stride=stride, padding=pad, groups=1).forward(xd, gyd)
    np.testing.assert_allclose(host(y), expected, atol=1e-12)
    np.testing.assert_allclose(host(gx), gx_expected, atol=1e-12)
    np.testing.assert_allclose(host(gw), gw_expected, atol=1e-12)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("shape, out_ch, k, pad", CASES)
def test_conv_path_matches_definition(xp, path, shape, out_ch, k, pad):
    check_path_against_definition(xp, path, shape, out_ch, k, pad, stride=1, seed=0)


STRIDE2_CASES = [((2, 3, 8, 8), 4, 1), ((2, 3, 6, 4), 2, 1), ((1, 2, 4, 6), 3, 0), ((2, 2, 5, 5), 2, 1),
                 ((1, 3, 2, 2), 2, 1), ((2, 2, 6, 6), 3, 2), ((1, 2, 7, 7), 2, 1)]


@pytest.mark.parametrize("path", ["stride2", "im2col"])
@pytest.mark.parametrize("shape, out_ch, pad", STRIDE2_CASES)
def test_stride2_4x4_convolution_matches_definition(xp, path, shape, out_ch, pad):
    """The resampling convolutions (conv + pool, upsample + conv) are stride-2 with 4x4 kernels;
    odd padded sizes take the im2col path even when stride2 is asked for."""
    check_path_against_definition(xp, path, shape, out_ch, 4, pad, stride=2, seed=5)


def test_winograd_float32_is_accurate():
    """Winograd's transforms add rounding; in float32 at bench sizes it must stay near float64."""
    r = np.random.default_rng(2)
    x = r.standard_normal((4, 32, 16, 16)).astype(np.float32)
    w = r.standard_normal((16, 32, 3, 3)).astype(np.float32)
    with C.forced_path("winograd"):
        y = C.Conv2d(1, 1, 1).forward(x, w)
    expected = direct_conv(x.astype(np.float64), w.astype(np.float64), 1)
    assert y.dtype == np.float32
    assert np.abs(y - expected).max() < 1e-5 * np.abs(expected).max()


def test_numpy_default_is_winograd_for_3x3():
    x = np.zeros((1, 2, 8, 8))
    assert C._choose_path(x, x.shape, (3, 2, 3, 3), stride=1, padding=1, groups=1) == "winograd"
    assert C._choose_path(x, x.shape, (3, 2, 1, 1), stride=1, padding=0, groups=1) == "pointwise"
    assert C._choose_path(x, x.shape, (3, 2, 3, 3), stride=2, padding=1, groups=1) == "im2col"
    assert C._choose_path(x, x.shape, (3, 2, 4, 4), stride=2, padding=1, groups=1) == "stride2"
    assert C._choose_path(x, (1, 2, 7, 7), (3, 2, 4, 4), stride=2, padding=1, groups=1) == "im2col"


def test_winograd_threaded_equals_single_threaded(monkeypatch):
    """The transforms split across threads write disjoint parts of their outputs: same bits."""
    from stylegan_np.ops import threads, winograd
    r = np.random.default_rng(3)
    x, w = r.standard_normal((2, 3, 6, 5)), r.standard_normal((4, 3, 3, 3))
    gy = r.standard_normal((2, 4, 6, 5))
    monkeypatch.setattr(threads, "_count", 1)
    single = winograd.conv3x3(x, w, 1), winograd.conv3x3_grad_weight(x, gy, 1)
    monkeypatch.setattr(threads, "_count", 2)
    monkeypatch.setattr(threads, "MIN_ELEMENTS", 0)
    threaded = winograd.conv3x3(x, w, 1), winograd.conv3x3_grad_weight(x, gy, 1)
    for a, b in zip(single, threaded):
        np.testing.assert_array_equal(a, b)


FIR_KERNELS = {
    "binomial 3x3 (separable)": np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16,
    "4x4 separable, zero taps": np.outer([1.0, 0.0, 3.0, 1.0], [2.0, -1.0, 0.0, 1.0]),
    "2x3 separable": np.outer([1.0, -2.0], [0.5, 1.0, 3.0]),
    "not separable": np.array([[1.0, 2.0], [0.5, -1.0]]),
}


@pytest.mark.parametrize("padding", [(0, 0), (1, 0), (1, 2)])
@pytest.mark.parametrize("name", list(FIR_KERNELS))
def test_fir_filter_matches_definition(xp, name, padding):
    """Depthwise correlation y[n,c,h,v] = sum_ij xpad[n,c,h+i,v+j] k[i,j], separable kernels
    taking the row-then-column path, the others the 2-D one."""
    kernel = FIR_KERNELS[name]
    padding = (min(padding[0], kernel.shape[0] - 1), min(padding[1], kernel.shape[1] - 1))
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 6))
    xpad = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    ho, wo = xpad.shape[2] - kernel.shape[0] + 1, xpad.shape[3] - kernel.shape[1] + 1
    expected = sum(kernel[i, j] * xpad[:, :, i:i + ho, j:j + wo]
                   for i in range(kernel.shape[0]) for j in range(kernel.shape[1]))
    f = C.FIRFilter2d(kernel, padding)
    assert (f.factors is not None) == (name != "not separable")
    np.testing.assert_allclose(host(f.forward(xp.asarray(x))), expected, atol=1e-12)
