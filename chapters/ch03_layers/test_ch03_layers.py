"""Chapter 3 grading tests: the equalized-learning-rate dense layer, the convolution's backward pass
and Adam.

Expected values: the layer's formula y = x (c W)^T + lr_mul b in NumPy with c = gain lr_mul / sqrt(fan_in)
written here (not read from the layer); the gradients of a linear map by hand (dL/dW = c u^T x for
L = sum(y u)); the convolution's gradients by loops over every index and by central differences
(`gradcheck`); Adam from Kingma & Ba's algorithm 1, re-implemented here step by step.
"""
import itertools
import math

import numpy as np
import pytest

from stylegan_np import Tensor, backend, conv2d, default_dtype
from stylegan_np.gradcheck import gradcheck
from stylegan_np.nn import Linear, Parameter
from stylegan_np.optim import Adam
from stylegan_np.testing import host


def T(xp, array, requires_grad=False):
    return Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


def activation_np(y, activation):
    if activation == "lrelu":
        return np.where(y > 0, y, 0.2 * y) * math.sqrt(2)
    if activation == "relu":
        return np.maximum(y, 0)
    if activation == "tanh":
        return np.tanh(y)
    return y


# --- ch03_equalized_linear ------------------------------------------------------------------------

@pytest.mark.ch03_equalized_linear
@pytest.mark.parametrize("lr_mul, gain, activation, equalized", [
    (1.0, 1.0, None, True), (0.01, math.sqrt(2), "lrelu", True), (0.5, 2.0, "tanh", True),
    (1.0, 1.0, "relu", False), (0.1, 1.0, None, False)])
def test_linear_forward_matches_the_formula(xp, rng, lr_mul, gain, activation, equalized):
    in_f, out_f = 5, 3
    with default_dtype(np.float64):
        layer = Linear(in_f, out_f, lr_mul=lr_mul, gain=gain, activation=activation, equalized=equalized)
    layer.bias.data = xp.asarray(rng.standard_normal(out_f))     # a non-zero bias, to see lr_mul on it
    x = rng.standard_normal((4, in_f))
    W, b = host(layer.weight), host(layer.bias)
    c = gain * lr_mul / math.sqrt(in_f) if equalized else lr_mul   # He's constant, applied at run time
    expected = activation_np(x @ (c * W).T + lr_mul * b, activation)
    y = layer(T(xp, x))
    assert y.shape == (4, out_f)
    np.testing.assert_allclose(host(y), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.ch03_equalized_linear
def test_linear_without_bias(xp, rng):
    with default_dtype(np.float64):
        layer = Linear(6, 2, bias=False, gain=3.0)
    x = rng.standard_normal((3, 6))
    expected = x @ (3.0 / math.sqrt(6) * host(layer.weight)).T
    np.testing.assert_allclose(host(layer(T(xp, x))), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.ch03_equalized_linear
def test_the_stored_weight_sees_its_gradient_scaled_by_he_constant(xp, rng):
    # L = sum(y * u), y = x (cW)^T + lr_mul b:  dL/dW = c u^T x,  dL/db = lr_mul sum_n u,  dL/dx = u (cW)
    in_f, out_f, lr_mul = 4, 3, 0.01
    with default_dtype(np.float64):
        layer = Linear(in_f, out_f, lr_mul=lr_mul)
    c = lr_mul / math.sqrt(in_f)
    x_np, u = rng.standard_normal((5, in_f)), rng.standard_normal((5, out_f))
    x = T(xp, x_np, True)
    (layer(x) * T(xp, u)).sum().backward()
    np.testing.assert_allclose(host(layer.weight.grad), c * u.T @ x_np, rtol=1e-10)
    np.testing.assert_allclose(host(layer.bias.grad), lr_mul * u.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(host(x.grad), u @ (c * host(layer.weight)), rtol=1e-10)


# --- ch03_conv_backward ---------------------------------------------------------------------------

def conv_gradients_by_loops(x, weight, gy, stride, padding):
    """dL/dx and dL/dW of L = sum(conv(x, W) * gy), from y[n,o,a,b] = sum x_pad[n,c,as+i,bs+j] W[o,c,i,j]."""
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    gx_pad, gw = np.zeros_like(xpad), np.zeros_like(weight)
    _, _, ho, wo = gy.shape
    for ni, oi, a, b in itertools.product(range(n), range(o), range(ho), range(wo)):
        rows, cols = slice(a * stride, a * stride + kh), slice(b * stride, b * stride + kw)
        gx_pad[ni, :, rows, cols] += gy[ni, oi, a, b] * weight[oi]
        gw[oi] += gy[ni, oi, a, b] * xpad[ni, :, rows, cols]
    return gx_pad[:, :, padding:padding + h, padding:padding + w], gw


@pytest.mark.ch03_conv_backward
@pytest.mark.parametrize("stride, padding", [(1, 1), (1, 0), (2, 1)])
def test_conv_gradients_match_loops(xp, rng, stride, padding):
    x_np, w_np = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    x, w = T(xp, x_np, True), T(xp, w_np, True)
    y = conv2d(x, w, stride=stride, padding=padding)
    gy = rng.standard_normal(y.shape)
    y.backward(T(xp, gy))
    gx, gw = conv_gradients_by_loops(x_np, w_np, gy, stride, padding)
    np.testing.assert_allclose(host(x.grad), gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(host(w.grad), gw, rtol=1e-10, atol=1e-10)


@pytest.mark.ch03_conv_backward
@pytest.mark.parametrize("stride, padding, groups", [(1, 1, 1), (2, 1, 1), (1, 1, 2), (2, 0, 2)])
def test_conv_gradcheck(xp, rng, stride, padding, groups):
    x = xp.asarray(rng.standard_normal((2, 4, 4, 4)))
    w = xp.asarray(rng.standard_normal((2, 4 // groups, 3, 3)))
    assert gradcheck(lambda a, b: conv2d(a, b, stride=stride, padding=padding, groups=groups), [x, w])


@pytest.mark.ch03_conv_backward
def test_conv_gradient_with_respect_to_the_input_only(xp, rng):
    # a constant kernel: only x asks for a gradient (e.g. dD/dx for R1) and it must still be right
    x_np, w_np = rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((3, 2, 3, 3))
    x = T(xp, x_np, True)
    y = conv2d(x, T(xp, w_np), padding=1)
    gy = rng.standard_normal(y.shape)
    y.backward(T(xp, gy))
    np.testing.assert_allclose(host(x.grad), conv_gradients_by_loops(x_np, w_np, gy, 1, 1)[0], rtol=1e-10, atol=1e-10)


# --- ch03_adam ------------------------------------------------------------------------------------

def adam_reference(p, grads, lr, b1, b2, eps):
    """Kingma & Ba (2015), algorithm 1, for one parameter and a list of gradients."""
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def P(xp, array):
    return Parameter(xp.asarray(np.array(array, dtype=np.float64)))  # a copy: Adam updates it in place


@pytest.mark.ch03_adam
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.0, 0.99)])
def test_adam_first_step_is_lr_times_the_sign(xp, rng, betas):
    # after one step m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps): about lr * sign(g)
    p0, g = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    p = P(xp, p0)
    opt = Adam([p], lr=0.01, betas=betas, eps=1e-8)
    p.grad = T(xp, g)
    opt.step()
    np.testing.assert_allclose(host(p), p0 - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12, atol=1e-15)


@pytest.mark.ch03_adam
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.0, 0.99), (0.5, 0.9)])
def test_adam_several_steps_follow_algorithm_1(xp, rng, betas):
    shapes = [(4,), (2, 3)]
    starts = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) * (k + 1) for k in range(6)] for s in shapes]
    params = [P(xp, s) for s in starts]
    opt = Adam(params, lr=0.003, betas=betas, eps=1e-6)
    for k in range(6):
        for p, gs in zip(params, grads):
            p.grad = T(xp, gs[k])
        opt.step()
    for p, s, gs in zip(params, starts, grads):
        np.testing.assert_allclose(host(p), adam_reference(s, gs, 0.003, betas[0], betas[1], 1e-6), rtol=1e-10)


@pytest.mark.ch03_adam
def test_adam_bias_correction_counts_each_parameters_own_updates(xp, rng):
    # b gets no gradient on the first two steps (a layer not yet faded in): its first update must be
    # a first step of Adam (bias correction with t = 1), not a third
    a0, b0 = rng.standard_normal(3), rng.standard_normal(3)
    ga, gb = [rng.standard_normal(3) for _ in range(3)], rng.standard_normal(3)
    a, b = P(xp, a0), P(xp, b0)
    opt = Adam([a, b], lr=0.1, betas=(0.9, 0.99), eps=1e-8)
    for k in range(3):
        a.grad = T(xp, ga[k])
        b.grad = T(xp, gb) if k == 2 else None
        opt.step()
        if k < 2:
            np.testing.assert_array_equal(host(b), b0)
    np.testing.assert_allclose(host(b), b0 - 0.1 * gb / (np.abs(gb) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(host(a), adam_reference(a0, ga, 0.1, 0.9, 0.99, 1e-8), rtol=1e-10)
