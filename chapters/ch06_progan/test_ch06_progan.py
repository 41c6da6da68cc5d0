"""Chapter 6 grading tests: ProGAN's fade-in, minibatch standard deviation and the WGAN-GP loss.

Expected values:
* fade-in: lerp(a, b, t) = (1 - t) a + t b in NumPy and its derivatives (1 - t, t, b - a) by hand;
  at alpha = 0 a growing network must be exactly the smaller one (G: its image upsampled by
  numpy.repeat; D: the smaller D on the 2x2-averaged image), and in between the blend of the two.
* minibatch stddev: ProGAN section 3 in NumPy loops over groups (sample i in group i % M).
* WGAN-GP (Gulrajani et al. 2017, eq. 3, with ProGAN's drift term): for a discriminator linear in its
  input, D(x) = <a, x> + b, the gradient is `a` for every sample, so the penalty is
  lambda (||a|| - 1)^2 whatever the interpolation weights; its derivative with respect to `a` follows
  by hand.  With fakes equal to reals x_hat is the real image whatever u is, so for ProGAN's own D the
  gradient norm can be taken by central differences.
"""
import math

import numpy as np
import pytest

from stylegan_np import Tensor, avg_pool2d, backend, default_dtype, lerp
from stylegan_np import sum as tsum
from stylegan_np.gradcheck import gradcheck
from stylegan_np.losses import d_wgan_gp
from stylegan_np.models import ProGANGenerator, ProgressiveDiscriminator
from stylegan_np.nn import MinibatchStddev
from stylegan_np.ops import reshape
from stylegan_np.testing import host, T

Z = 8


def progan_g(resolution=16):
    with default_dtype(np.float64):
        return ProGANGenerator(resolution, z_dim=Z, channels=3, fmap_base=64, fmap_max=8)


def progan_d(resolution=16, channels=3, mbstd=1):
    with default_dtype(np.float64):
        return ProgressiveDiscriminator(resolution, channels, fmap_base=64, fmap_max=8, mbstd_group_size=mbstd)


# --- ch06_fade_in ---------------------------------------------------------------------------------

@pytest.mark.ch06_fade_in
def test_lerp_is_the_blend_and_exact_at_both_ends(xp, rng):
    # values of very different sizes, where a + (b - a) * 1 is not b in floating point
    a = (rng.standard_normal((3, 2, 4, 4)) * 10.0 ** rng.integers(-6, 6, (3, 2, 4, 4))).astype(np.float32)
    b = (rng.standard_normal((3, 2, 4, 4)) * 10.0 ** rng.integers(-6, 6, (3, 2, 4, 4))).astype(np.float32)
    ta, tb = Tensor(xp.asarray(a)), Tensor(xp.asarray(b))
    np.testing.assert_array_equal(host(lerp(ta, tb, 0.0)), a)
    np.testing.assert_array_equal(host(lerp(ta, tb, 1.0)), b)
    t = rng.uniform(0, 1, (3, 1, 1, 1))
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    np.testing.assert_allclose(host(lerp(T(xp, a64), T(xp, b64), T(xp, t))), (1 - t) * a64 + t * b64, rtol=1e-12)


@pytest.mark.ch06_fade_in
def test_lerp_gradients(xp, rng):
    # d/da = 1 - t, d/db = t, d/dt = b - a (summed over the axes t was broadcast along)
    a_np, b_np, t_np = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.uniform(0, 1, (2, 1))
    gy = rng.standard_normal((2, 3))
    a, b, t = T(xp, a_np, True), T(xp, b_np, True), T(xp, t_np, True)
    lerp(a, b, t).backward(T(xp, gy))
    np.testing.assert_allclose(host(a.grad), (1 - t_np) * gy, rtol=1e-12)
    np.testing.assert_allclose(host(b.grad), t_np * gy, rtol=1e-12)
    np.testing.assert_allclose(host(t.grad), ((b_np - a_np) * gy).sum(axis=1, keepdims=True), rtol=1e-12)


@pytest.mark.ch06_fade_in
@pytest.mark.parametrize("r", [8, 16])
def test_progan_generator_fade_in(xp, rng, r):
    G = progan_g(16)
    z = T(xp, rng.standard_normal((3, Z)))
    old = np.repeat(np.repeat(host(G(z, res=r // 2)), 2, axis=2), 2, axis=3)   # the smaller G, upsampled
    new = host(G(z, res=r, alpha=1.0))
    np.testing.assert_allclose(host(G(z, res=r, alpha=0.0)), old, rtol=1e-13, atol=1e-15)
    assert not np.allclose(old, new)
    for alpha in (0.25, 0.9):
        np.testing.assert_allclose(host(G(z, res=r, alpha=alpha)), (1 - alpha) * old + alpha * new,
                                   rtol=1e-10, atol=1e-12)


@pytest.mark.ch06_fade_in
@pytest.mark.parametrize("r", [8, 16])
def test_progressive_discriminator_fade_in(xp, rng, r):
    D = progan_d(16)
    img = T(xp, rng.standard_normal((2, 3, r, r)))
    smaller = host(D(avg_pool2d(img)))        # the D of the previous stage, on the image averaged 2x2
    np.testing.assert_allclose(host(D(img, alpha=0.0)), smaller, rtol=1e-12, atol=1e-14)
    assert not np.allclose(host(D(img, alpha=1.0)), smaller)
    # in between, the features entering the rest of D are the blend of the old and new paths
    i = D.res_list.index(r)
    old = D.from_rgb[i - 1](avg_pool2d(img))
    new = D.blocks[i - 1](D.from_rgb[i](img))
    x = old * 0.7 + new * 0.3
    for j in range(i - 2, -1, -1):
        x = D.blocks[j](x)
    x = D.dense4(reshape(D.conv4(x), (2, -1)))
    np.testing.assert_allclose(host(D(img, alpha=0.3)), host(D.out(x)), rtol=1e-10, atol=1e-12)


# --- ch06_minibatch_stddev ------------------------------------------------------------------------

def mbstd_loops(x, group_size=4, num_features=1, eps=1e-8):
    """ProGAN section 3: per group of samples, the std of every feature at every pixel, averaged over
    the features (per feature group) and pixels, appended to every sample of the group as new maps."""
    n, c, h, w = x.shape
    g = min(group_size, n)
    m = n // g                              # number of groups; sample i belongs to group i % m
    per = c // num_features
    extra = np.zeros((n, num_features, h, w))
    for i in range(n):
        members = x[[k for k in range(n) if k % m == i % m]]          # (g, c, h, w)
        std = np.sqrt(members.var(axis=0) + eps)                      # population variance
        for f in range(num_features):
            extra[i, f] = std[f * per:(f + 1) * per].mean()
    return np.concatenate([x, extra], axis=1)


@pytest.mark.ch06_minibatch_stddev
@pytest.mark.parametrize("n, group_size, c, num_features", [(8, 4, 3, 1), (6, 2, 2, 1), (4, 4, 4, 2), (2, 4, 3, 1)])
def test_minibatch_stddev_matches_the_definition(xp, rng, n, group_size, c, num_features):
    x = rng.standard_normal((n, c, 3, 2)) * rng.uniform(0.5, 2, (n, 1, 1, 1))
    y = MinibatchStddev(group_size, num_features)(T(xp, x))
    assert y.shape == (n, c + num_features, 3, 2)
    np.testing.assert_allclose(host(y), mbstd_loops(x, group_size, num_features), rtol=1e-10, atol=1e-12)


@pytest.mark.ch06_minibatch_stddev
def test_minibatch_stddev_of_identical_samples_is_sqrt_eps(xp, rng):
    one = rng.standard_normal((1, 2, 4, 4))
    x = np.concatenate([one] * 4)
    y = host(MinibatchStddev(4)(T(xp, x)))
    np.testing.assert_array_equal(y[:, :2], x)            # the input channels pass through unchanged
    np.testing.assert_allclose(y[:, 2], math.sqrt(1e-8), rtol=1e-6)


@pytest.mark.ch06_minibatch_stddev
def test_minibatch_stddev_gradcheck(xp, rng):
    x = xp.asarray(rng.standard_normal((4, 2, 2, 2)))
    assert gradcheck(lambda a: MinibatchStddev(2)(a), [x])


@pytest.mark.ch06_minibatch_stddev
def test_discriminator_samples_see_their_group(xp, rng):
    # batch 4, groups of 2: sample i is grouped with sample i + 2 (i % 2), so D(sample 0) depends on
    # sample 2 but not on sample 1 or 3
    D = progan_d(8, mbstd=2)
    img = rng.standard_normal((4, 3, 8, 8))
    base = host(D(T(xp, img)))
    assert base.shape == (4, 1)
    for k, same_group in ((1, False), (2, True), (3, False)):
        changed = img.copy()
        changed[k] *= 3.0
        out = host(D(T(xp, changed)))
        assert np.isclose(out[0, 0], base[0, 0], rtol=1e-12, atol=1e-14) != same_group


# --- ch06_gradient_penalty ------------------------------------------------------------------------

class LinearD:
    """D(x) = <a, x> + b per sample: dD/dx = a for every input, so ||grad|| = ||a|| exactly."""

    def __init__(self, xp, a, b):
        self.a, self.b = T(xp, a, True), T(xp, b, True)

    def __call__(self, x, alpha=1.0):
        return reshape(tsum(x * self.a, axis=(1, 2, 3)), (-1, 1)) + self.b


@pytest.mark.ch06_gradient_penalty
@pytest.mark.parametrize("gp_lambda, drift", [(10.0, 1e-3), (1.0, 0.0), (5.0, 0.5)])
def test_wgan_gp_loss_for_a_linear_discriminator(xp, rng, gp_lambda, drift):
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal(1)
    reals, fakes = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal((4, 2, 3, 3))
    D = LinearD(xp, a, b)
    loss, penalty, d_real, d_fake = d_wgan_gp(D, T(xp, reals), T(xp, fakes), gp_lambda=gp_lambda, drift=drift)
    dr = (reals * a).sum(axis=(1, 2, 3)) + b
    df = (fakes * a).sum(axis=(1, 2, 3)) + b
    norm = np.sqrt((a * a).sum())
    np.testing.assert_allclose(host(d_real).ravel(), dr, rtol=1e-10)
    np.testing.assert_allclose(host(d_fake).ravel(), df, rtol=1e-10)
    np.testing.assert_allclose(float(penalty.item()), gp_lambda * (norm - 1) ** 2, rtol=1e-9)
    expected = df.mean() - dr.mean() + gp_lambda * (norm - 1) ** 2 + drift * (dr ** 2).mean()
    np.testing.assert_allclose(float(loss.item()), expected, rtol=1e-9)


@pytest.mark.ch06_gradient_penalty
def test_wgan_gp_gradient_reaches_the_weights_through_the_penalty(xp, rng):
    # dL/da = mean(fake) - mean(real) + 2 lambda (||a|| - 1) a / ||a|| + 2 drift mean(D(real) real):
    # the middle term exists only if the penalty's gradient was built with create_graph=True
    a, b = rng.standard_normal((1, 2, 2)), rng.standard_normal(1)
    reals, fakes = rng.standard_normal((3, 1, 2, 2)), rng.standard_normal((3, 1, 2, 2))
    lam, drift = 10.0, 1e-3
    D = LinearD(xp, a, b)
    loss, *_ = d_wgan_gp(D, T(xp, reals), T(xp, fakes), gp_lambda=lam, drift=drift)
    loss.backward()
    dr = (reals * a).sum(axis=(1, 2, 3)) + b
    norm = np.sqrt((a * a).sum())
    ga = (fakes.mean(axis=0) - reals.mean(axis=0) + 2 * lam * (norm - 1) * a / norm
          + 2 * drift * (dr[:, None, None, None] * reals).mean(axis=0))
    np.testing.assert_allclose(host(D.a.grad), ga, rtol=1e-8)
    np.testing.assert_allclose(host(D.b.grad), 2 * drift * dr.mean(keepdims=True), rtol=1e-8)


@pytest.mark.ch06_gradient_penalty
def test_wgan_gp_penalty_of_progan_discriminator_by_central_differences(xp, rng):
    # fakes == reals: x_hat is the real image whatever u is; ||dD/dx|| per sample by central differences
    D = progan_d(4, channels=2)
    reals = rng.standard_normal((2, 2, 4, 4))
    grads = np.zeros_like(reals)
    eps = 1e-6
    for idx in np.ndindex(*reals.shape):
        plus, minus = reals.copy(), reals.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grads[idx] = (host(D(T(xp, plus)))[idx[0], 0] - host(D(T(xp, minus)))[idx[0], 0]) / (2 * eps)
    norms = np.sqrt((grads ** 2).sum(axis=(1, 2, 3)))
    loss, penalty, d_real, d_fake = d_wgan_gp(D, T(xp, reals), T(xp, reals), gp_lambda=10.0, drift=0.0)
    np.testing.assert_allclose(float(penalty.item()), 10.0 * ((norms - 1) ** 2).mean(), rtol=1e-6)
    np.testing.assert_allclose(float(loss.item()), float(penalty.item()), rtol=1e-12, atol=1e-12)
