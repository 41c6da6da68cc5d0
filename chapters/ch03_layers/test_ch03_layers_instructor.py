"""Chapter 3, instructor-only grading tests: shapes and settings the public tests do not use."""
import math

import numpy as np
import pytest

from stylegan_np import Tensor, conv2d, default_dtype
from stylegan_np.checks import close, host
from stylegan_np.nn import Linear
from stylegan_np.ops.conv import forced_path
from stylegan_np.optim import Adam

from test_ch03_layers import P, T, adam_reference, conv_and_backward, conv_gradients_by_loops


@pytest.mark.ch03_equalized_linear
def test_linear_on_a_batch_of_one_and_float32(xp, rng):
    layer = Linear(7, 4, lr_mul=0.25, gain=math.sqrt(2), activation="lrelu")
    x = rng.standard_normal((1, 7)).astype(np.float32)
    c = math.sqrt(2) * 0.25 / math.sqrt(7)
    W, b = host(layer.weight).astype(np.float64), host(layer.bias).astype(np.float64)
    y = layer(Tensor(xp.asarray(x)))
    z = x @ (c * W).T + 0.25 * b
    close(y, np.where(z > 0, z, 0.2 * z) * math.sqrt(2), "Linear on float32 input", rtol=1e-5, atol=1e-6)


@pytest.mark.ch03_adam
def test_adam_with_a_large_learning_rate_and_eps(xp, rng):
    p0 = rng.standard_normal(5)
    grads = [rng.standard_normal(5) * 1e-3 for _ in range(4)]
    p = P(xp, p0)
    opt = Adam([p], lr=0.5, betas=(0.8, 0.95), eps=1e-2)
    for g in grads:
        p.grad = T(xp, g)
        opt.step()
    close(p, adam_reference(p0, grads, 0.5, 0.8, 0.95, 1e-2),
          "Adam with eps 1e-2 and tiny gradients: eps is added to sqrt(v_hat), outside the square root", rtol=1e-10)


@pytest.mark.ch03_conv_backward
@pytest.mark.parametrize("kh, kw, stride, padding, groups", [(2, 3, 1, 0, 1), (3, 2, 3, 1, 2), (1, 1, 2, 0, 4)])
def test_conv_gradients_other_kernels(xp, rng, kh, kw, stride, padding, groups):
    x_np, w_np = rng.standard_normal((3, 4, 7, 6)), rng.standard_normal((8, 4 // groups, kh, kw))
    with forced_path("im2col"):
        y_shape = conv2d(T(xp, x_np), T(xp, w_np), stride=stride, padding=padding, groups=groups).shape
        gy = rng.standard_normal(y_shape)
        x, w = conv_and_backward(xp, x_np, w_np, gy, stride, padding, groups)
    gx, gw = conv_gradients_by_loops(x_np, w_np, gy, stride, padding, groups)
    close(x.grad, gx, f"dL/dx for a {kh}x{kw} kernel, stride {stride}, padding {padding}, groups {groups}",
          rtol=1e-10, atol=1e-10)
    close(w.grad, gw, f"dL/dW for a {kh}x{kw} kernel, stride {stride}, padding {padding}, groups {groups}",
          rtol=1e-10, atol=1e-10)


@pytest.mark.ch03_conv_backward
def test_default_paths_still_give_the_right_gradients(xp, rng):
    # without forcing: Conv2d.backward must hand its settings to the gradient Functions
    x_np, w_np = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    with default_dtype(np.float64):
        for stride, padding in ((1, 1), (1, 0), (2, 1)):
            y_shape = conv2d(T(xp, x_np), T(xp, w_np), stride=stride, padding=padding).shape
            gy = rng.standard_normal(y_shape)
            x, w = conv_and_backward(xp, x_np, w_np, gy, stride, padding, 1)
            gx, gw = conv_gradients_by_loops(x_np, w_np, gy, stride, padding)
            close(x.grad, gx, f"dL/dx on the default path, stride {stride}, padding {padding}", rtol=1e-9, atol=1e-9)
            close(w.grad, gw, f"dL/dW on the default path, stride {stride}, padding {padding}", rtol=1e-9, atol=1e-9)
