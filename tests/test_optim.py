"""SGD and Adam against closed forms and a NumPy re-implementation of Kingma & Ba's algorithm 1;
parameters without gradients; state dicts that resume bit for bit."""
import numpy as np
import pytest

import stylegan_np as sg
import stylegan_np.optim as optim
from stylegan_np import backend
from stylegan_np.testing import host


def param(xp, values):
    return sg.Tensor(xp.array(np.array(values, dtype=np.float64)), requires_grad=True)  # a copy


A = np.array([0.5, 1.0, 2.0, 3.0])      # curvatures of the quadratic f(p) = sum(a p^2 / 2)
P0 = np.array([1.0, -2.0, 0.5, 4.0])


def quadratic_step(xp, opt, p):
    opt.zero_grad()
    (sg.Tensor(xp.asarray(A)) * p * p * 0.5).sum().backward()   # gradient a * p
    opt.step()


def test_sgd_without_momentum_closed_form(xp):
    lr = 0.1
    p = param(xp, P0)
    opt = optim.SGD([p], lr=lr)
    for t in range(1, 4):
        quadratic_step(xp, opt, p)
        np.testing.assert_allclose(host(p), (1 - lr * A) ** t * P0, rtol=1e-14)


def test_sgd_with_momentum_closed_form(xp):
    # v_t = mu v_{t-1} + a p_{t-1};  p_t = p_{t-1} - lr v_t.  Per coordinate (p, v) evolves linearly:
    # [p_t, v_t] = M [p_{t-1}, v_{t-1}] with M = [[1 - lr a, -lr mu], [a, mu]], so state_t = M^t state_0.
    lr, mu = 0.1, 0.9
    p = param(xp, P0)
    opt = optim.SGD([p], lr=lr, momentum=mu)
    for t in range(1, 4):
        quadratic_step(xp, opt, p)
        expected = [(np.linalg.matrix_power(np.array([[1 - lr * a, -lr * mu], [a, mu]]), t) @ [p0, 0.0])[0]
                    for a, p0 in zip(A, P0)]
        np.testing.assert_allclose(host(p), expected, rtol=1e-13)
    # and momentum changes the path (the closed form above is not the plain-SGD one)
    assert not np.allclose(host(p), (1 - lr * A) ** 3 * P0)


def adam_reference(p0, grad_fn, steps, lr, beta1, beta2, eps):
    """Kingma & Ba (2015), algorithm 1, transcribed."""
    theta, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    path = []
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(theta.copy())
    return path


C = np.array([0.3, -0.1, 0.0, 1.0])


@pytest.mark.parametrize("betas", [(0.0, 0.99), (0.9, 0.999)])
def test_adam_matches_algorithm_1(xp, betas):
    lr, eps = 0.05, 1e-8
    p = param(xp, P0)
    opt = optim.Adam([p], lr=lr, betas=betas, eps=eps)
    expected = adam_reference(P0, lambda th: th ** 3 + C, 5, lr, *betas, eps)   # f = sum(p^4/4 + c p)
    for t in range(5):
        opt.zero_grad()
        (p * p * p * p * 0.25 + sg.Tensor(xp.asarray(C)) * p).sum().backward()
        opt.step()
        np.testing.assert_allclose(host(p), expected[t], rtol=1e-12, atol=1e-14)


def test_adam_first_step_is_lr_times_sign(xp):
    lr = 0.01
    g = np.array([3.0, -1e-3, 250.0, -0.5])
    p = param(xp, P0)
    opt = optim.Adam([p], lr=lr)
    (p * sg.Tensor(xp.asarray(g))).sum().backward()
    opt.step()
    np.testing.assert_allclose(host(p) - P0, -lr * np.sign(g), rtol=1e-5)


def test_parameter_without_grad_is_untouched_and_its_count_does_not_advance(xp):
    lr = 0.01
    p, q = param(xp, P0), param(xp, [1.0, 2.0])
    opt = optim.Adam([p, q], lr=lr, betas=(0.9, 0.999))
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    np.testing.assert_array_equal(host(q), [1.0, 2.0])
    assert q.grad is None
    # Now q gets its first gradient: its update must be Adam's *first* step, lr * sign(g), which it
    # is only if its bias correction uses t = 1 (with t = 4 the step would be about 0.58 lr).
    opt.zero_grad()
    ((p * p).sum() + (q * sg.Tensor(xp.asarray([2.0, -3.0]))).sum()).backward()
    opt.step()
    np.testing.assert_allclose(host(q), [1.0 - lr, 2.0 + lr], rtol=1e-7)
    assert opt.steps == 4


def _run(xp, opt, p, steps, offset):
    for k in range(steps):
        opt.zero_grad()
        # a gradient that changes with the step and the parameters
        target = sg.Tensor(xp.asarray(np.sin(np.arange(4.0) + offset + k)))
        ((p - target) * (p - target) * (p + 3.0)).sum().backward()
        opt.step()


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.02, betas=(0.0, 0.99)),
    lambda ps: optim.Adam(ps, lr=0.02, betas=(0.9, 0.999)),
    lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9),
], ids=["adam_stylegan", "adam_default", "sgd_momentum"])
def test_state_dict_round_trip_resumes_bit_identically(xp, make):
    p_a = param(xp, P0)
    opt_a = make([p_a])
    _run(xp, opt_a, p_a, 3, offset=0)

    # B starts from A's parameters and A's optimizer state (via NumPy copies, as a checkpoint stores them)
    p_b = param(xp, host(p_a))
    opt_b = make([p_b])
    state = {k: (backend.to_numpy(v).copy() if hasattr(v, "shape") else v) for k, v in opt_a.state_dict().items()}
    opt_b.load_state_dict(state)
    assert opt_b.steps == 3

    # C resumes from the parameters only, with a fresh optimizer: it must drift (the test can fail)
    p_c = param(xp, host(p_a))
    opt_c = make([p_c])

    for p, opt in ((p_a, opt_a), (p_b, opt_b), (p_c, opt_c)):
        _run(xp, opt, p, 4, offset=3)
    np.testing.assert_array_equal(host(p_b), host(p_a))
    assert not np.array_equal(host(p_c), host(p_a))
    assert opt_b.steps == opt_a.steps == 7


def test_load_state_dict_rejects_wrong_shapes(xp):
    p = param(xp, P0)
    opt = optim.Adam([p])
    (p * p).sum().backward()
    opt.step()
    state = dict(opt.state_dict())
    state["state.0.m"] = np.zeros(3)
    with pytest.raises(ValueError, match="state.0.m"):
        optim.Adam([param(xp, P0)]).load_state_dict(state)


def test_optimizer_needs_parameters():
    with pytest.raises(ValueError):
        optim.SGD([], lr=0.1)
