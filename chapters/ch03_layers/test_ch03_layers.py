"""Chapter 3 grading tests: the equalized-learning-rate dense layer, Adam, and both gradients of the
convolution.

Expected values: the layer's formula y = x (c W)^T + lr_mul b in NumPy with c = gain lr_mul / sqrt(fan_in)
written here (not read from the layer); the gradients of a linear map by hand (dL/dW = c u^T x for
L = sum(y u)); Adam from Kingma & Ba's algorithm 1, re-implemented here step by step; the
convolution's gradients by loops over every index and by central differences (`gradcheck`), first
and second order.  The convolution tests force the general path (`forced_path("im2col")`), which is
where your code runs (stride 1 with one group otherwise takes faster paths that are given).
"""
import itertools
import math

import numpy as np
import pytest

from stylegan_np import Tensor, conv2d, default_dtype
from stylegan_np.checks import check, close, gradients_agree, host, run
from stylegan_np.nn import Linear, Parameter
from stylegan_np.ops import conv
from stylegan_np.ops.conv import forced_path
from stylegan_np.optim import Adam


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
    y = run(lambda: layer(T(xp, x)), "Linear.forward", "y = x (c W)^T + lr_mul b, then the activation")
    check(y.shape == (4, out_f), f"a (4, {in_f}) batch through Linear({in_f}, {out_f}) must give (4, {out_f}), "
                                 f"not {y.shape}")
    if activation is not None:
        close(y, activation_np(x @ (c * W).T + lr_mul * b, activation),
              f"Linear(activation={activation!r}) must apply activate(y, self.activation) last: is the activation "
              "missing, or applied before the bias?", rtol=1e-10, atol=1e-12)
    close(y, activation_np(x @ (c * W).T + lr_mul * b, activation),
          f"y = x (c W)^T + lr_mul b with c = self.w_scale (lr_mul {lr_mul}, gain {gain}): is the bias missing "
          "its lr_mul, or the weight its scale?", rtol=1e-10, atol=1e-12)


@pytest.mark.ch03_equalized_linear
def test_linear_without_bias(xp, rng):
    with default_dtype(np.float64):
        layer = Linear(6, 2, bias=False, gain=3.0)
    x = rng.standard_normal((3, 6))
    close(layer(T(xp, x)), x @ (3.0 / math.sqrt(6) * host(layer.weight)).T,
          "Linear(bias=False) has no bias term (self.bias is None)", rtol=1e-10, atol=1e-12)


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
    check(layer.weight.grad is not None, "the stored weight received no gradient: multiply the Parameter itself by "
                                         "the scale, inside the graph (not its data, not a detached copy)")
    close(layer.weight.grad, c * u.T @ x_np, "the stored weight's gradient must be c u^T x: the run-time scale "
                                             "belongs inside the graph", rtol=1e-10)
    close(layer.bias.grad, lr_mul * u.sum(axis=0), "the bias's gradient must be lr_mul sum_n u", rtol=1e-10)
    close(x.grad, u @ (c * host(layer.weight)), "the input's gradient must be u (c W)", rtol=1e-10)


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
    close(p, p0 - 0.01 * g / (np.abs(g) + 1e-8),
          "Adam's first step must be lr g / (|g| + eps): with bias correction m_hat = g and v_hat = g^2 "
          "(is the correction missing, or eps inside the square root?)", rtol=1e-12, atol=1e-15)


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
        close(p, adam_reference(s, gs, 0.003, betas[0], betas[1], 1e-6),
              f"six steps of Adam with betas {betas} must follow algorithm 1 (m with beta1, v with beta2, "
              "both bias-corrected with t)", rtol=1e-10)


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
    close(b, b0 - 0.1 * gb / (np.abs(gb) + 1e-8),
          "a parameter's first update must be a first step of Adam: bias-correct with this parameter's own "
          "count of updates (self.counts[i]), not the optimizer's step count", rtol=1e-12)
    close(a, adam_reference(a0, ga, 0.1, 0.9, 0.99, 1e-8), "three steps of Adam", rtol=1e-10)


@pytest.mark.ch03_adam
def test_adam_updates_in_place(xp, rng):
    p = P(xp, rng.standard_normal(3))
    data = p.data
    opt = Adam([p], lr=0.1)
    for _ in range(2):
        p.grad = T(xp, rng.standard_normal(3))
        opt.step()
    check(p.data is data, "Adam must update p.data in place (p.data -= ...): the model and the checkpoints hold "
                          "that very array")
    state = opt.state[0]
    check(set(state) >= {"m", "v"} and not np.allclose(host(state["m"]), 0),
          "Adam's moments must live in its state (self._buffer(i, 'm', ...) and 'v'), updated in place: "
          "checkpoints save them")


# --- ch03_conv_backward ---------------------------------------------------------------------------

def conv_gradients_by_loops(x, weight, gy, stride, padding, groups=1):
    """dL/dx and dL/dW of L = sum(conv(x, W) * gy), from y[n,o,a,b] = sum x_pad[n,c,as+i,bs+j] W[o,c,i,j]."""
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    gx_pad, gw = np.zeros_like(xpad), np.zeros_like(weight)
    _, _, ho, wo = gy.shape
    per_group = o // groups
    for ni, oi, a, b in itertools.product(range(n), range(o), range(ho), range(wo)):
        g = oi // per_group
        chans, rows, cols = slice(g * cg, (g + 1) * cg), slice(a * stride, a * stride + kh), slice(b * stride, b * stride + kw)
        gx_pad[ni, chans, rows, cols] += gy[ni, oi, a, b] * weight[oi]
        gw[oi] += gy[ni, oi, a, b] * xpad[ni, chans, rows, cols]
    return gx_pad[:, :, padding:padding + h, padding:padding + w], gw


def conv_and_backward(xp, x_np, w_np, gy, stride, padding, groups, x_grad=True, w_grad=True):
    x, w = T(xp, x_np, x_grad), T(xp, w_np, w_grad)
    setting = f"stride {stride}, padding {padding}, groups {groups}"
    y = conv2d(x, w, stride=stride, padding=padding, groups=groups)
    run(lambda: y.backward(T(xp, gy)), "the convolution's backward", setting)
    return x, w


CASES = [(1, 1, 1), (1, 0, 1), (2, 1, 1), (2, 0, 1), (1, 1, 2), (2, 1, 2), (3, 2, 4)]


@pytest.mark.ch03_conv_backward
@pytest.mark.parametrize("stride, padding, groups", CASES)
def test_conv_gradients_match_loops(xp, rng, stride, padding, groups):
    x_np, w_np = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((4, 4 // groups, 3, 3))
    with forced_path("im2col"):
        y_shape = conv2d(T(xp, x_np), T(xp, w_np), stride=stride, padding=padding, groups=groups).shape
        gy = rng.standard_normal(y_shape)
        x, w = conv_and_backward(xp, x_np, w_np, gy, stride, padding, groups)
    gx, gw = conv_gradients_by_loops(x_np, w_np, gy, stride, padding, groups)
    setting = f"stride {stride}, padding {padding}, groups {groups}"
    check(x.grad is not None and w.grad is not None, "Conv2d.backward must return (dL/dx, dL/dW) when both are needed")
    close(x.grad, gx, f"dL/dx ({setting}): every output pixel spreads gy * W back over the input patch it was "
                      "computed from (is col2im given this convolution's stride and padding?)", rtol=1e-10, atol=1e-10)
    close(w.grad, gw, f"dL/dW ({setting}): W[o, c, i, j] collects gy[n, o, a, b] x_padded[n, c, a s + i, b s + j] over "
                      "every n, a, b (is each group's weight paired with its own channels?)", rtol=1e-10, atol=1e-10)


@pytest.mark.ch03_conv_backward
def test_only_the_needed_gradient_is_computed(xp, rng, monkeypatch):
    # R1 differentiates D with respect to its input only: the weight's gradient must not be computed
    calls = []
    original = conv.Conv2dGradWeight.forward
    monkeypatch.setattr(conv.Conv2dGradWeight, "forward", lambda self, *a: calls.append(1) or original(self, *a))
    x_np, w_np = rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((3, 2, 3, 3))
    gy = rng.standard_normal((1, 3, 2, 2))
    with forced_path("im2col"):
        x, w = conv_and_backward(xp, x_np, w_np, gy, 2, 1, 1, w_grad=False)
    check(not calls, "Conv2d.backward computed dL/dW although the weight needs no gradient: look at "
                     "self.needs_input_grad")
    close(x.grad, conv_gradients_by_loops(x_np, w_np, gy, 2, 1)[0], "dL/dx with a constant weight",
          rtol=1e-10, atol=1e-10)


@pytest.mark.ch03_conv_backward
@pytest.mark.parametrize("stride, padding, groups", [(1, 1, 1), (2, 1, 2)])
def test_conv_gradcheck_first_and_second_order(xp, rng, stride, padding, groups):
    # second order: R1 and WGAN-GP differentiate the convolution's gradients again
    x = xp.asarray(rng.standard_normal((2, 4, 4, 4)))
    w = xp.asarray(rng.standard_normal((2, 4 // groups, 3, 3)))
    f = lambda a, b: conv2d(a, b, stride=stride, padding=padding, groups=groups)  # noqa: E731
    with forced_path("im2col"):
        gradients_agree(f, [x, w], f"the convolution's gradients disagree with central differences (stride "
                                   f"{stride}, groups {groups})")
        gradients_agree(f, [x, w], f"the gradients of the convolution's gradients disagree with central "
                                   f"differences (stride {stride}, groups {groups}): Conv2dGradInput and "
                                   "Conv2dGradWeight must be right for every setting", second_order=True)
