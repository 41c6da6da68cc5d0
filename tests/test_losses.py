"""GAN losses and gradient penalties against formulas written independently here: softplus as
log1p(exp(x)) in float64, R1 (Mescheder et al. 2018) with dD/dx by central differences, WGAN-GP
(Gulrajani et al. 2017) with a D that is linear in its input so that ||dD/dx|| is known in closed form,
and the second-order path (the penalty's gradient with respect to D's weights) by central differences."""
import numpy as np
import pytest

import stylegan_np as sg
import stylegan_np.nn as nn
from stylegan_np import backend, losses
from stylegan_np.models import ProgressiveDiscriminator
from stylegan_np.ops import reshape
from stylegan_np.testing import host


def T(xp, array, requires_grad=False):
    return sg.Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


def softplus(x):
    return np.log1p(np.exp(np.asarray(x, dtype=np.float64)))


def central_difference(f, array, eps=1e-6):
    """d f / d array, element by element; `array` is perturbed in place and restored."""
    out = np.zeros(array.shape)
    flat = array.reshape(-1)
    for k in range(flat.size):
        v = flat[k].item()
        flat[k] = v + eps
        plus = f()
        flat[k] = v - eps
        minus = f()
        flat[k] = v
        out.reshape(-1)[k] = (plus - minus) / (2 * eps)
    return out


def tiny_d(res=8, channels=2, mbstd=1):
    """A small float64 progressive D; mbstd off (group 1) so that samples do not see each other and
    dD(x_i)/dx_i is the per-sample gradient of the papers' formulas."""
    with sg.default_dtype(np.float64):
        return ProgressiveDiscriminator(res, channels, fmap_base=16, fmap_max=4, mbstd_group_size=mbstd)


# --- logistic losses ------------------------------------------------------------------------------

def test_d_logistic_and_g_nonsaturating_match_numpy(xp, rng):
    d_real = rng.standard_normal((6, 1)) * 4
    d_fake = rng.standard_normal((6, 1)) * 4
    loss_d = losses.d_logistic(T(xp, d_real), T(xp, d_fake))
    expected = softplus(d_fake).mean() + softplus(-d_real).mean()
    np.testing.assert_allclose(float(loss_d.item()), expected, rtol=1e-12)
    # -log(1 - sigmoid(f)) - log(sigmoid(r)), the original form
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    np.testing.assert_allclose(float(loss_d.item()),
                               np.mean(-np.log(1 - sig(d_fake))) + np.mean(-np.log(sig(d_real))), rtol=1e-10)
    loss_g = losses.g_nonsaturating(T(xp, d_fake))
    np.testing.assert_allclose(float(loss_g.item()), softplus(-d_fake).mean(), rtol=1e-12)


def test_logistic_loss_gradients_are_sigmoids(xp, rng):
    d_real_np, d_fake_np = rng.standard_normal((5, 1)) * 3, rng.standard_normal((5, 1)) * 3
    d_real, d_fake = T(xp, d_real_np, True), T(xp, d_fake_np, True)
    losses.d_logistic(d_real, d_fake).backward()
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    np.testing.assert_allclose(host(d_fake.grad), sig(d_fake_np) / 5, rtol=1e-12)
    np.testing.assert_allclose(host(d_real.grad), -sig(-d_real_np) / 5, rtol=1e-12)
    d_fake = T(xp, d_fake_np, True)
    losses.g_nonsaturating(d_fake).backward()
    np.testing.assert_allclose(host(d_fake.grad), -sig(-d_fake_np) / 5, rtol=1e-12)


def test_logistic_losses_are_finite_for_huge_logits(xp):
    # softplus(x) = x + softplus(-x): for x = 800 that is 800 + log1p(e^-800) = 800 (e^800 overflows)
    loss = losses.d_logistic(T(xp, [[-800.0], [1.0]]), T(xp, [[800.0], [-1.0]]))
    expected = (800.0 + softplus(-1.0)) / 2 + (800.0 + softplus(-1.0)) / 2
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)
    assert losses.g_nonsaturating(T(xp, [[800.0]])).item() == pytest.approx(np.exp(-800.0), abs=1e-300)
    np.testing.assert_allclose(losses.g_nonsaturating(T(xp, [[-800.0]])).item(), 800.0, rtol=1e-12)


def test_wgan_g_loss(xp, rng):
    d_fake = rng.standard_normal((4, 1))
    np.testing.assert_allclose(losses.g_wgan(T(xp, d_fake)).item(), -d_fake.mean(), rtol=1e-12)


# --- R1 -----------------------------------------------------------------------------------------

def numeric_input_gradients(D, x):
    """(N, ...) per-sample dD(x_i)/dx_i by central differences (host float64 array x)."""
    xp = backend.xp()
    grads = np.zeros(x.shape)
    for i in range(x.shape[0]):
        def f(i=i):
            return float(host(D(sg.Tensor(xp.asarray(x))))[i, 0])
        grads[i] = central_difference(f, x[i])
    return grads


@pytest.mark.parametrize("res", [4, 8])
def test_r1_penalty_is_half_gamma_mean_squared_input_gradient(xp, rng, res):
    D = tiny_d(res)
    x = rng.standard_normal((3, 2, res, res))
    gamma = 7.0
    reals = sg.Tensor(xp.asarray(x), requires_grad=True)
    penalty = losses.r1_penalty(D(reals), reals, gamma)
    g = numeric_input_gradients(D, x.copy())
    expected = gamma / 2 * np.mean(np.sum(g.reshape(3, -1) ** 2, axis=1))
    np.testing.assert_allclose(penalty.item(), expected, rtol=1e-6)


def test_r1_penalty_gradient_wrt_d_weights(xp, rng):
    """The second-order path: d(penalty)/d(weight) from backward through the create_graph gradient
    must match central differences of the penalty itself."""
    D = tiny_d(8)
    x = xp.asarray(rng.standard_normal((3, 2, 8, 8)))
    gamma = 5.0

    def penalty():
        reals = sg.Tensor(x, requires_grad=True)
        return losses.r1_penalty(D(reals), reals, gamma)

    for weight in (D.blocks[0].conv0.weight, D.from_rgb[1].weight, D.out.weight):
        D.zero_grad()
        penalty().backward()
        analytic = host(weight.grad)
        assert np.abs(analytic).max() > 0
        data = host(weight)

        def f():
            weight.data = xp.asarray(data)
            return float(penalty().item())
        numeric = central_difference(f, data)
        weight.data = xp.asarray(data)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_r1_penalty_without_create_graph_would_miss_the_weight_gradient(xp, rng):
    """R1's value depends on D's weights only through dD/dx; a penalty computed from a detached
    gradient gives those weights no gradient at all.  r1_penalty must not behave like that."""
    D = tiny_d(4)
    x = xp.asarray(rng.standard_normal((2, 2, 4, 4)))
    reals = sg.Tensor(x, requires_grad=True)
    losses.r1_penalty(D(reals), reals, 1.0).backward()
    assert all(p.grad is not None and np.abs(host(p.grad)).max() > 0
               for p in (D.from_rgb[0].weight, D.conv4.weight, D.dense4.weight, D.out.weight))
    # the output bias does not change dD/dx, so its gradient is exactly zero (or absent)
    assert D.out.bias.grad is None or np.abs(host(D.out.bias.grad)).max() == 0


# --- WGAN-GP --------------------------------------------------------------------------------------

class LinearD(nn.Module):
    """D(x) = <w_eff, x> + b: its input gradient is w_eff everywhere, with norm ||w_eff||."""

    def __init__(self, shape):
        super().__init__()
        self.lin = nn.Linear(int(np.prod(shape)), 1)

    def forward(self, x, alpha=1.0):
        return self.lin(reshape(x, (x.shape[0], -1)))


def linear_d(xp, rng, shape=(2, 4, 4), scale=3.0, bias=0.7):
    with sg.default_dtype(np.float64):
        D = LinearD(shape)
    D.lin.weight.data = xp.asarray(rng.standard_normal(D.lin.weight.shape) * scale)
    D.lin.bias.data = xp.asarray(np.array([bias]))
    w_eff = host(D.lin.weight).ravel() * D.lin.w_scale
    return D, w_eff


def test_wgan_gp_with_a_linear_d_has_the_closed_form_penalty(xp, rng):
    D, w_eff = linear_d(xp, rng)
    reals_np, fakes_np = rng.standard_normal((4, 2, 4, 4)), rng.standard_normal((4, 2, 4, 4))
    lam, eps = 10.0, 1e-3
    loss, penalty, d_real, d_fake = losses.d_wgan_gp(D, T(xp, reals_np), T(xp, fakes_np), gp_lambda=lam,
                                                     drift=eps, rng=backend.generator(3))
    norm = np.linalg.norm(w_eff)
    assert abs(norm - 1) > 0.5                            # the penalty is not trivially zero
    np.testing.assert_allclose(penalty.item(), lam * (norm - 1) ** 2, rtol=1e-9)
    dr = reals_np.reshape(4, -1) @ w_eff + 0.7
    df = fakes_np.reshape(4, -1) @ w_eff + 0.7
    np.testing.assert_allclose(host(d_real).ravel(), dr, rtol=1e-12)
    np.testing.assert_allclose(host(d_fake).ravel(), df, rtol=1e-12)
    np.testing.assert_allclose(loss.item(), df.mean() - dr.mean() + lam * (norm - 1) ** 2 + eps * np.mean(dr ** 2),
                               rtol=1e-9)


def test_wgan_gp_drift_term_is_epsilon_mean_squared_real_logit(xp, rng):
    D, w_eff = linear_d(xp, rng)
    reals, fakes = T(xp, rng.standard_normal((4, 2, 4, 4))), T(xp, rng.standard_normal((4, 2, 4, 4)))
    run = lambda drift: losses.d_wgan_gp(D, reals, fakes, drift=drift, rng=backend.generator(0))  # noqa: E731
    without, _, d_real, _ = run(0.0)
    with_drift = run(0.25)[0]
    np.testing.assert_allclose(with_drift.item() - without.item(), 0.25 * np.mean(host(d_real) ** 2), rtol=1e-9)


def test_wgan_gp_loss_gradient_wrt_linear_d_weight(xp, rng):
    D, w_eff = linear_d(xp, rng)
    reals_np, fakes_np = rng.standard_normal((4, 2, 4, 4)), rng.standard_normal((4, 2, 4, 4))
    reals, fakes = T(xp, reals_np), T(xp, fakes_np)
    lam, eps = 10.0, 1e-2

    def loss():
        return losses.d_wgan_gp(D, reals, fakes, gp_lambda=lam, drift=eps, rng=backend.generator(1))[0]

    loss().backward()
    analytic = host(D.lin.weight.grad).ravel()
    data = host(D.lin.weight)

    def f():
        D.lin.weight.data = xp.asarray(data)
        return float(loss().item())
    numeric = central_difference(f, data).ravel()
    D.lin.weight.data = xp.asarray(data)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    # and the closed form: c * [mean(f) - mean(r) + 2 lam (|w| - 1) w/|w| + 2 eps mean(D(r) r)]
    c = D.lin.w_scale
    r, fk = reals_np.reshape(4, -1), fakes_np.reshape(4, -1)
    dr = r @ w_eff + 0.7
    norm = np.linalg.norm(w_eff)
    closed = c * (fk.mean(0) - r.mean(0) + 2 * lam * (norm - 1) * w_eff / norm + 2 * eps * (dr[:, None] * r).mean(0))
    np.testing.assert_allclose(analytic, closed, rtol=1e-8, atol=1e-10)


def test_wgan_gp_penalty_of_a_real_network_at_the_interpolates(xp, rng):
    """Non-linear D: the penalty is taken at x_hat = lerp(fake, real, u), u ~ U[0, 1) per sample from
    the given rng; dD/dx at x_hat by central differences."""
    D = tiny_d(4)
    reals_np, fakes_np = rng.standard_normal((3, 2, 4, 4)), rng.standard_normal((3, 2, 4, 4))
    lam = 2.0
    _, penalty, _, _ = losses.d_wgan_gp(D, T(xp, reals_np), T(xp, fakes_np), gp_lambda=lam,
                                        rng=backend.generator(9))
    u = host(backend.generator(9).random((3, 1, 1, 1), dtype=np.float64))
    x_hat = fakes_np * (1 - u) + reals_np * u
    g = numeric_input_gradients(D, x_hat)
    norms = np.sqrt(np.sum(g.reshape(3, -1) ** 2, axis=1))
    np.testing.assert_allclose(penalty.item(), lam * np.mean((norms - 1) ** 2), rtol=1e-6)


def test_wgan_gp_loss_gradient_wrt_a_network_weight(xp, rng):
    D = tiny_d(4)
    reals, fakes = T(xp, rng.standard_normal((3, 2, 4, 4))), T(xp, rng.standard_normal((3, 2, 4, 4)))

    def loss():
        return losses.d_wgan_gp(D, reals, fakes, rng=backend.generator(2))[0]

    weight = D.from_rgb[0].weight
    loss().backward()
    analytic = host(weight.grad)
    data = host(weight)

    def f():
        weight.data = xp.asarray(data)
        return float(loss().item())
    numeric = central_difference(f, data)
    weight.data = xp.asarray(data)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
