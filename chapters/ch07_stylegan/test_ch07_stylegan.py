"""Chapter 7 grading tests: StyleGAN's mapping network, noise inputs, AdaIN, and the R1 penalty.

Expected values:
* mapping: pixel norm z / sqrt(mean(z^2) + 1e-8), then each dense layer y = lrelu(x (c W)^T + lr_mul b) sqrt(2)
  with c = lr_mul / sqrt(fan_in), all in NumPy; and the invariance f(s z) = f(z) for s > 0 that the
  pixel norm gives.
* noise: x + s_c n with one N(0, 1) map n per sample shared by the channels, drawn here from a
  generator seeded like the one handed to the layer; the derivatives (1, and sum of gy n) by hand.
* AdaIN (StyleGAN eq. 1): y_s (x - mu(x)) / sigma(x) + y_b with (y_s, y_b) = A(w), in NumPy.
* R1 (Mescheder et al. 2018, eq. 9): (gamma / 2) E ||dD/dx||^2; for D(x) = <a, x> it is
  (gamma / 2) ||a||^2 with derivative gamma a; for D(x) = <c, x^2> / 2 the gradient is c x; for
  ProGAN's D the gradient is taken by central differences.
Every StyleGAN generator here runs at alpha = 1, psi = 1 and without style mixing (chapter 8).
"""
import math

import numpy as np
import pytest

from stylegan_np import Tensor, backend, default_dtype, instance_norm
from stylegan_np import sum as tsum
from stylegan_np.gradcheck import gradcheck
from stylegan_np.losses import r1_penalty
from stylegan_np.models import MappingNetwork, ProgressiveDiscriminator, StyleGANGenerator
from stylegan_np.nn import AdaIN, NoiseInjection
from stylegan_np.ops import reshape
from stylegan_np.testing import host, T

ZW = 8


def stylegan(resolution=8, **kw):
    with default_dtype(np.float64):
        return StyleGANGenerator(resolution, z_dim=ZW, w_dim=ZW, channels=3, fmap_base=32, fmap_max=8,
                                 mapping_layers=2, **kw)


def lrelu(x):
    return np.where(x > 0, x, 0.2 * x) * math.sqrt(2)


# --- ch07_mapping ---------------------------------------------------------------------------------

@pytest.mark.ch07_mapping
def test_mapping_is_pixel_norm_then_dense_layers(xp, rng):
    with default_dtype(np.float64):
        f = MappingNetwork(z_dim=6, w_dim=5, layers=3, lr_mul=0.01)
    for layer in f.net:
        layer.bias.data = xp.asarray(rng.standard_normal(layer.bias.shape) * 50)  # stored / lr_mul
    z = rng.standard_normal((4, 6)) * 3
    x = z / np.sqrt((z * z).mean(axis=1, keepdims=True) + 1e-8)
    for layer in f.net:
        W, b = host(layer.weight), host(layer.bias)
        x = lrelu(x @ (0.01 / math.sqrt(W.shape[1]) * W).T + 0.01 * b)
    w = f(T(xp, z))
    assert w.shape == (4, 5)
    np.testing.assert_allclose(host(w), x, rtol=1e-10, atol=1e-12)


@pytest.mark.ch07_mapping
def test_mapping_ignores_the_length_of_z(xp, rng):
    G = stylegan()
    z = rng.standard_normal((3, ZW))
    w = host(G.map(T(xp, z)))
    assert w.shape == (3, ZW)
    np.testing.assert_allclose(host(G.map(T(xp, 7.5 * z))), w, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(host(G.mapping(T(xp, 0.5 * z))), w, rtol=1e-6, atol=1e-8)
    assert not np.allclose(host(G.map(T(xp, z[::-1].copy()))), w)


# --- ch07_noise_injection -------------------------------------------------------------------------

@pytest.mark.ch07_noise_injection
def test_noise_injection_with_given_noise(xp, rng):
    inj = NoiseInjection(3)
    s = rng.standard_normal(3)
    inj.weight.data = xp.asarray(s)
    x, n = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 1, 4, 5))
    y = inj(T(xp, x), T(xp, n))
    np.testing.assert_allclose(host(y), x + s[None, :, None, None] * n, rtol=1e-12)
    # a fresh layer has strength 0: it passes x through
    np.testing.assert_array_equal(host(NoiseInjection(3)(T(xp, x), T(xp, n))), x)


@pytest.mark.ch07_noise_injection
def test_noise_injection_draws_one_map_per_sample(xp, rng):
    inj = NoiseInjection(4)
    s = np.array([0.5, -1.0, 2.0, 3.0])
    inj.weight.data = xp.asarray(s)
    x = rng.standard_normal((3, 4, 5, 6))
    y = host(inj(T(xp, x), rng=backend.generator(7)))
    n = backend.to_numpy(backend.generator(7).standard_normal((3, 1, 5, 6)))   # the same draw, by hand
    np.testing.assert_allclose(y, x + s[None, :, None, None] * n, rtol=1e-10, atol=1e-12)
    per_channel = (y - x) / s[None, :, None, None]
    for c in range(1, 4):                                  # one map, shared by every channel
        np.testing.assert_allclose(per_channel[:, c], per_channel[:, 0], rtol=1e-10, atol=1e-12)
    assert not np.allclose(host(inj(T(xp, x), rng=backend.generator(8))), y)


@pytest.mark.ch07_noise_injection
def test_noise_injection_gradients(xp, rng):
    # y = x + s_c n: dL/dx = gy, dL/ds_c = sum over samples and pixels of gy n
    inj = NoiseInjection(2)
    inj.weight.data = xp.asarray(rng.standard_normal(2))
    x = T(xp, rng.standard_normal((3, 2, 4, 4)), True)
    n, gy = rng.standard_normal((3, 1, 4, 4)), rng.standard_normal((3, 2, 4, 4))
    inj(x, T(xp, n)).backward(T(xp, gy))
    np.testing.assert_allclose(host(x.grad), gy, rtol=1e-12)
    np.testing.assert_allclose(host(inj.weight.grad), (gy * n).sum(axis=(0, 2, 3)), rtol=1e-10)


@pytest.mark.ch07_noise_injection
def test_generator_depends_on_noise_only_through_the_strengths(xp, rng):
    G = stylegan()
    z = T(xp, rng.standard_normal((2, ZW)))
    a = host(G(z, rng=backend.generator(1)))
    np.testing.assert_array_equal(host(G(z, rng=backend.generator(2))), a)   # strengths start at 0
    for layer in G.layers:
        layer.noise.weight.data = xp.asarray(rng.uniform(0.5, 1.0, layer.noise.weight.shape))
    b = host(G(z, rng=backend.generator(1)))
    assert not np.allclose(b, host(G(z, rng=backend.generator(2))))
    np.testing.assert_array_equal(host(G(z, rng=backend.generator(1))), b)


# --- ch07_adain -----------------------------------------------------------------------------------

def instance_norm_np(x, eps=1e-8):
    mu = x.mean(axis=(2, 3), keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)


@pytest.mark.ch07_adain
def test_instance_norm(xp, rng):
    x = rng.standard_normal((2, 3, 4, 5)) * rng.uniform(0.1, 5, (2, 3, 1, 1)) + rng.uniform(-3, 3, (2, 3, 1, 1))
    y = host(instance_norm(T(xp, x)))
    np.testing.assert_allclose(y, instance_norm_np(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.mean(axis=(2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(2, 3)), 1, rtol=1e-6)


@pytest.mark.ch07_adain
def test_adain_matches_equation_1(xp, rng):
    with default_dtype(np.float64):
        layer = AdaIN(w_dim=5, channels=3)
    x, w = rng.standard_normal((2, 3, 4, 4)) * 2 + 1, rng.standard_normal((2, 5))
    # A: the style is a dense layer of w (equalized, gain 1); its bias starts at 1 for y_s, 0 for y_b
    Ws, bs = host(layer.style.weight), host(layer.style.bias)
    np.testing.assert_array_equal(bs, [1, 1, 1, 0, 0, 0])
    style = w @ (Ws / math.sqrt(5)).T + bs
    expected = instance_norm_np(x) * style[:, :3, None, None] + style[:, 3:, None, None]
    np.testing.assert_allclose(host(layer(T(xp, x), T(xp, w))), expected, rtol=1e-10, atol=1e-12)
    # with w = 0 the style is the bias: scale 1, shift 0, so a fresh AdaIN only normalises
    np.testing.assert_allclose(host(layer(T(xp, x), T(xp, np.zeros((2, 5))))), instance_norm_np(x), rtol=1e-10, atol=1e-12)
    # the input's own scale is normalised away: only the style sets it
    np.testing.assert_allclose(host(layer(T(xp, 10 * x), T(xp, w))), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.ch07_adain
def test_adain_gradcheck(xp, rng):
    with default_dtype(np.float64):
        layer = AdaIN(w_dim=3, channels=2)
    x, w = xp.asarray(rng.standard_normal((2, 2, 3, 3))), xp.asarray(rng.standard_normal((2, 3)))
    assert gradcheck(lambda a, b: layer(a, b), [x, w])


@pytest.mark.ch07_adain
def test_synthesis_network_runs_and_grows(xp, rng):
    # the whole generator, alpha = 1, psi = 1, no mixing, no noise
    G = stylegan(8)
    assert G.num_layers == 4                    # 2 log2(8) - 2 styled layers
    z = rng.standard_normal((3, ZW))
    img = host(G(T(xp, z), noise=False))
    assert img.shape == (3, 3, 8, 8) and np.isfinite(img).all()
    # each image depends on its own latent only (instance norm and AdaIN work per sample)
    np.testing.assert_allclose(host(G(T(xp, z[1:2]), noise=False)), img[1:2], rtol=1e-10, atol=1e-12)
    # the styles reach the image: another w, another image
    assert not np.allclose(host(G(T(xp, z[::-1].copy()), noise=False)), img)
    # the 4x4 stage, and the fade-in of chapter 6 at alpha = 0: the 4x4 image upsampled
    small = host(G(T(xp, z), res=4, noise=False))
    assert small.shape == (3, 3, 4, 4)
    np.testing.assert_allclose(host(G(T(xp, z), res=8, alpha=0.0, noise=False)),
                               np.repeat(np.repeat(small, 2, axis=2), 2, axis=3), rtol=1e-12, atol=1e-14)


# --- ch07_r1 --------------------------------------------------------------------------------------

@pytest.mark.ch07_r1
@pytest.mark.parametrize("gamma", [10.0, 1.0])
def test_r1_of_a_linear_discriminator(xp, rng, gamma):
    # D(x) = <a, x>: dD/dx = a for every sample, R1 = gamma/2 ||a||^2, dR1/da = gamma a
    a_np = rng.standard_normal((2, 3, 3))
    a = T(xp, a_np, True)
    reals = T(xp, rng.standard_normal((4, 2, 3, 3)), True)
    d_real = reshape(tsum(reals * a, axis=(1, 2, 3)), (-1, 1))
    penalty = r1_penalty(d_real, reals, gamma)
    np.testing.assert_allclose(float(penalty.item()), gamma / 2 * (a_np ** 2).sum(), rtol=1e-10)
    penalty.backward()
    np.testing.assert_allclose(host(a.grad), gamma * a_np, rtol=1e-10)


@pytest.mark.ch07_r1
def test_r1_of_a_quadratic_discriminator(xp, rng):
    # D(x) = <c, x^2> / 2: dD/dx = c x, R1 = gamma/2 mean_n ||c x_n||^2, dR1/dc = gamma c mean_n x_n^2
    gamma = 4.0
    c_np, x_np = rng.standard_normal((1, 2, 2)), rng.standard_normal((3, 1, 2, 2))
    c = T(xp, c_np, True)
    reals = T(xp, x_np, True)
    d_real = reshape(tsum(reals * reals * c, axis=(1, 2, 3)) * 0.5, (-1, 1))
    penalty = r1_penalty(d_real, reals, gamma)
    expected = gamma / 2 * ((c_np * x_np) ** 2).sum(axis=(1, 2, 3)).mean()
    np.testing.assert_allclose(float(penalty.item()), expected, rtol=1e-10)
    penalty.backward()
    np.testing.assert_allclose(host(c.grad), gamma * c_np * (x_np ** 2).mean(axis=0), rtol=1e-10)


@pytest.mark.ch07_r1
def test_r1_of_progan_discriminator_by_central_differences(xp, rng):
    with default_dtype(np.float64):
        D = ProgressiveDiscriminator(4, 2, fmap_base=64, fmap_max=8, mbstd_group_size=1)
    x = rng.standard_normal((2, 2, 4, 4))
    grads = np.zeros_like(x)
    eps = 1e-6
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grads[idx] = (host(D(T(xp, plus)))[idx[0], 0] - host(D(T(xp, minus)))[idx[0], 0]) / (2 * eps)
    reals = T(xp, x, True)
    penalty = r1_penalty(D(reals), reals, gamma=10.0)
    np.testing.assert_allclose(float(penalty.item()), 5.0 * (grads ** 2).sum(axis=(1, 2, 3)).mean(), rtol=1e-6)
    penalty.backward()                      # and it reaches every weight of D (a gradient of a gradient)
    weights = [p for name, p in D.named_parameters() if name.endswith("weight")]
    assert weights and all(p.grad is not None and np.any(host(p.grad) != 0) for p in weights)
