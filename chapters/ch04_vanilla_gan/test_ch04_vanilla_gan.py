"""Chapter 4 grading tests: the GAN losses of Goodfellow et al. (2014), non-saturating form.

    L_D = mean softplus(D(fake)) + mean softplus(-D(real))   = -mean log(1 - sigmoid(D(fake))) - mean log sigmoid(D(real))
    L_G = mean softplus(-D(fake))                            = -mean log sigmoid(D(fake))

Expected values: the two forms above in float64 NumPy, the values at logits 0 (log 2 per term), the
derivatives d softplus(x)/dx = sigmoid(x) by hand, and one short training run in which D, trained on
L_D, learns to tell two point clouds apart and G, trained on L_G, raises D's opinion of its samples.
"""
import math

import numpy as np
import pytest

from stylegan_np import Tensor, backend, default_dtype
from stylegan_np.losses import d_logistic, g_nonsaturating
from stylegan_np.models import MLPDiscriminator, MLPGenerator
from stylegan_np.optim import Adam
from stylegan_np.testing import host, T


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.ch04_gan_losses
def test_losses_match_both_forms_of_the_formula(xp, rng):
    d_real, d_fake = rng.standard_normal((7, 1)) * 3, rng.standard_normal((7, 1)) * 3
    loss_d = float(d_logistic(T(xp, d_real), T(xp, d_fake)).item())
    loss_g = float(g_nonsaturating(T(xp, d_fake)).item())
    np.testing.assert_allclose(loss_d, np.log1p(np.exp(d_fake)).mean() + np.log1p(np.exp(-d_real)).mean(), rtol=1e-12)
    np.testing.assert_allclose(loss_d, -np.log(1 - sigmoid(d_fake)).mean() - np.log(sigmoid(d_real)).mean(), rtol=1e-9)
    np.testing.assert_allclose(loss_g, -np.log(sigmoid(d_fake)).mean(), rtol=1e-9)


@pytest.mark.ch04_gan_losses
def test_losses_at_an_undecided_and_at_a_confident_discriminator(xp):
    zero = T(xp, np.zeros((4, 1)))
    # D(x) = 0 is sigmoid 1/2 on everything: each softplus term is log 2
    np.testing.assert_allclose(float(d_logistic(zero, zero).item()), 2 * math.log(2), rtol=1e-12)
    np.testing.assert_allclose(float(g_nonsaturating(zero).item()), math.log(2), rtol=1e-12)
    # logits of size 800 overflow exp() in float64: softplus must stay finite (softplus(x) = x for large x)
    big = T(xp, np.full((3, 1), 800.0))
    np.testing.assert_allclose(float(d_logistic(-big, big).item()), 1600.0, rtol=1e-12)
    np.testing.assert_allclose(float(g_nonsaturating(-big).item()), 800.0, rtol=1e-12)
    assert 0.0 <= float(d_logistic(big, -big).item()) < 1e-300     # a perfect D: e^-800 underflows to 0


@pytest.mark.ch04_gan_losses
def test_loss_gradients_are_sigmoids(xp, rng):
    # d softplus(x)/dx = sigmoid(x), and each term is a mean over the batch of N
    n = 5
    r_np, f_np = rng.standard_normal((n, 1)) * 2, rng.standard_normal((n, 1)) * 2
    r, f = T(xp, r_np, True), T(xp, f_np, True)
    d_logistic(r, f).backward()
    np.testing.assert_allclose(host(f.grad), sigmoid(f_np) / n, rtol=1e-10)
    np.testing.assert_allclose(host(r.grad), -sigmoid(-r_np) / n, rtol=1e-10)
    f2 = T(xp, f_np, True)
    g_nonsaturating(f2).backward()
    np.testing.assert_allclose(host(f2.grad), -sigmoid(-f_np) / n, rtol=1e-10)
    # non-saturating: where D rejects the fake confidently (f = -10) G still gets a gradient of ~1/n,
    # whereas the original minimax loss log(1 - sigmoid(f)) would give only sigmoid(-10)/n ~ 5e-5/n
    f3 = T(xp, np.full((n, 1), -10.0), True)
    g_nonsaturating(f3).backward()
    assert np.all(np.abs(host(f3.grad)) > 0.99 / n)


@pytest.mark.ch04_gan_losses
def test_a_short_training_run_moves_d_and_g_the_right_way(xp, rng):
    with default_dtype(np.float64):
        D = MLPDiscriminator(in_shape=(2,), hidden=16, layers=2)
        G = MLPGenerator(z_dim=4, out_shape=(2,), hidden=16, layers=2)
    reals = T(xp, rng.standard_normal((32, 2)) * 0.3 + 2.0)
    z = T(xp, rng.standard_normal((32, 4)))
    fakes = G(z).detach()
    opt_d = Adam(D.parameters(), lr=0.01, betas=(0.5, 0.99))
    first = None
    for _ in range(40):
        opt_d.zero_grad()
        loss = d_logistic(D(reals), D(fakes))
        loss.backward()
        opt_d.step()
        first = float(loss.item()) if first is None else first
    assert float(d_logistic(D(reals), D(fakes)).item()) < 0.5 * first
    assert host(D(reals)).mean() > 0 > host(D(fakes)).mean()
    # now G, against the frozen D: its loss must fall, i.e. D must rate its samples higher
    D.requires_grad_(False)
    opt_g = Adam(G.parameters(), lr=0.01, betas=(0.5, 0.99))
    before = float(g_nonsaturating(D(G(z))).item())
    for _ in range(20):
        opt_g.zero_grad()
        g_nonsaturating(D(G(z))).backward()
        opt_g.step()
    assert float(g_nonsaturating(D(G(z))).item()) < 0.8 * before
