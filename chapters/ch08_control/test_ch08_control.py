"""Chapter 8 grading tests: controlling StyleGAN through W — the running average of w, style mixing
and the truncation trick.

Expected values:
* w_avg is an exponential moving average of batch means: from zero, after k updates with the same
  batch it is (1 - beta^k) mean(w); for a sequence of batches the recursion is run here in NumPy.
* style mixing (section 3.1): layer i reads f(z) for i < crossover and f(z_mix) after, compared with
  the mapping of each latent computed on its own; crossover = number of layers is no mixing at all
  and crossover = 0 is the other latent's image.
* truncation (section 3.3): w' = w_avg + psi (w - w_avg) on the layers before `cutoff`, in NumPy;
  psi = 0 gives every sample the same (average) image.
"""
import numpy as np
import pytest

from stylegan_np import Tensor, backend, default_dtype
from stylegan_np.models import StyleGANGenerator
from stylegan_np.testing import host, T

ZW = 8


def stylegan(resolution=8, **kw):
    with default_dtype(np.float64):
        return StyleGANGenerator(resolution, z_dim=ZW, w_dim=ZW, channels=3, fmap_base=32, fmap_max=8,
                                 mapping_layers=2, **kw)


# --- ch08_w_avg -----------------------------------------------------------------------------------

@pytest.mark.ch08_w_avg
def test_w_avg_is_the_moving_average_of_batch_means(xp, rng):
    G = stylegan(w_avg_beta=0.9)
    w = rng.standard_normal((5, ZW))
    for k in range(1, 4):
        G.update_w_avg(T(xp, w))
        np.testing.assert_allclose(host(G.w_avg), (1 - 0.9 ** k) * w.mean(axis=0), rtol=1e-10)
    expected = host(G.w_avg)
    for _ in range(4):
        batch = rng.standard_normal((3, ZW)) + 2.0
        G.update_w_avg(T(xp, batch))
        expected = 0.9 * expected + 0.1 * batch.mean(axis=0)
    np.testing.assert_allclose(host(G.w_avg), expected, rtol=1e-10)
    assert host(G.w_avg).shape == (ZW,)


@pytest.mark.ch08_w_avg
def test_styles_track_w_avg_outside_the_graph(xp, rng):
    G = stylegan(w_avg_beta=0.995)
    z = T(xp, rng.standard_normal((4, ZW)))
    w = host(G.map(z))
    ws = G.styles(z, track_w_avg=True)
    np.testing.assert_allclose(host(G.w_avg), 0.005 * w.mean(axis=0), rtol=1e-8, atol=1e-14)
    # a buffer, not a function of the parameters: no graph behind it, saved with the model
    assert G.w_avg.creator is None and not G.w_avg.requires_grad
    np.testing.assert_allclose(backend.to_numpy(G.state_dict()["w_avg"]), host(G.w_avg), rtol=0)
    assert all(p is not G.w_avg for p in G.parameters())
    # the styles themselves are still differentiable
    assert ws[0].requires_grad


# --- ch08_style_mixing ----------------------------------------------------------------------------

@pytest.mark.ch08_style_mixing
@pytest.mark.parametrize("res, crossover", [(8, 0), (8, 1), (8, 3), (8, 4), (4, 1)])
def test_mixing_switches_w_at_the_crossover(xp, rng, res, crossover):
    G = stylegan(8)
    z, z2 = T(xp, rng.standard_normal((3, ZW))), T(xp, rng.standard_normal((3, ZW)))
    w, w2 = host(G.map(z)), host(G.map(z2))
    ws = G.styles(z, res, z_mix=z2, crossover=crossover)
    assert len(ws) == G.layers_at(res)
    for i, wi in enumerate(ws):
        np.testing.assert_allclose(host(wi), w if i < crossover else w2, rtol=1e-12, atol=1e-14)


@pytest.mark.ch08_style_mixing
def test_mixed_images(xp, rng):
    G = stylegan(8)
    z, z2 = T(xp, rng.standard_normal((2, ZW))), T(xp, rng.standard_normal((2, ZW)))
    a, b = host(G(z, noise=False)), host(G(z2, noise=False))
    np.testing.assert_allclose(host(G(z, z_mix=z2, crossover=G.num_layers, noise=False)), a, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(host(G(z, z_mix=z2, crossover=0, noise=False)), b, rtol=1e-12, atol=1e-14)
    mixed = host(G(z, z_mix=z2, crossover=2, noise=False))  # coarse styles from z, fine ones from z2
    assert not np.allclose(mixed, a) and not np.allclose(mixed, b)


# --- ch08_truncation ------------------------------------------------------------------------------

@pytest.mark.ch08_truncation
@pytest.mark.parametrize("psi", [0.0, 0.5, 0.7, -0.5, 1.5])
def test_truncation_pulls_every_w_towards_the_average(xp, rng, psi):
    G = stylegan(8)
    w_avg = rng.standard_normal(ZW)
    G.w_avg.data = xp.asarray(w_avg)
    z = T(xp, rng.standard_normal((3, ZW)))
    w = host(G.map(z))
    ws = G.styles(z, psi=psi)
    assert len(ws) == G.num_layers
    for wi in ws:
        assert wi.shape == (3, ZW)
        np.testing.assert_allclose(host(wi), w_avg + psi * (w - w_avg), rtol=1e-12, atol=1e-14)


@pytest.mark.ch08_truncation
@pytest.mark.parametrize("cutoff", [0, 1, 2, 4])
def test_truncation_cutoff(xp, rng, cutoff):
    G = stylegan(8)
    w_avg = rng.standard_normal(ZW)
    G.w_avg.data = xp.asarray(w_avg)
    z = T(xp, rng.standard_normal((2, ZW)))
    w = host(G.map(z))
    ws = G.styles(z, psi=0.3, cutoff=cutoff)
    for i, wi in enumerate(ws):
        expected = w_avg + 0.3 * (w - w_avg) if i < cutoff else w
        np.testing.assert_allclose(host(wi), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.ch08_truncation
def test_psi_zero_draws_the_average_image_for_everyone(xp, rng):
    G = stylegan(8)
    G.w_avg.data = xp.asarray(rng.standard_normal(ZW))
    z = T(xp, rng.standard_normal((3, ZW)))
    img = host(G(z, psi=0.0, noise=False))
    for k in range(1, 3):
        np.testing.assert_allclose(img[k], img[0], rtol=1e-12, atol=1e-14)
    assert not np.allclose(host(G(z, noise=False))[1], host(G(z, noise=False))[0])


@pytest.mark.ch08_truncation
def test_truncation_after_mixing(xp, rng):
    G = stylegan(8)
    w_avg = rng.standard_normal(ZW)
    G.w_avg.data = xp.asarray(w_avg)
    z, z2 = T(xp, rng.standard_normal((2, ZW))), T(xp, rng.standard_normal((2, ZW)))
    w, w2 = host(G.map(z)), host(G.map(z2))
    ws = G.styles(z, z_mix=z2, crossover=1, psi=0.5)
    for i, wi in enumerate(ws):
        np.testing.assert_allclose(host(wi), w_avg + 0.5 * ((w if i < 1 else w2) - w_avg), rtol=1e-12, atol=1e-14)
