"""Perceptual path length: slerp, the percentile filter, and generators whose PPL is known exactly."""
import numpy as np
import pytest

from stylegan_np.metrics.ppl import filtered_mean, lerp, path_distances, perceptual_path_length, slerp
from stylegan_np.metrics.warp import path_bend


def test_slerp_moves_at_constant_angular_speed():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 7)), rng.standard_normal((5, 7))
    unit_a = a / np.linalg.norm(a, axis=1, keepdims=True)
    unit_b = b / np.linalg.norm(b, axis=1, keepdims=True)
    total = np.arccos(np.sum(unit_a * unit_b, axis=1))
    for t in (0.0, 0.3, 0.5, 1.0):
        p = slerp(a, b, np.full(5, t))
        np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(np.arccos(np.clip(np.sum(p * unit_a, axis=1), -1, 1)), t * total, atol=1e-7)
        np.testing.assert_allclose(np.arccos(np.clip(np.sum(p * unit_b, axis=1), -1, 1)), (1 - t) * total, atol=1e-7)
    np.testing.assert_allclose(slerp(a, b, np.zeros(5)), unit_a, atol=1e-12)
    np.testing.assert_allclose(slerp(a, b, np.ones(5)), unit_b, atol=1e-12)


def test_filtered_mean_drops_the_outer_percentiles():
    values = np.concatenate([np.arange(1.0, 999.0), [1e6, 1e9]])     # 1000 values, two outliers
    # Sorted positions 0..999: the 1st percentile sits at 9.99, rounded down to the value 10; the
    # 99th at 989.01, rounded up to position 990, the value 991.  Kept: 10..991, mean 500.5.
    assert filtered_mean(values) == pytest.approx(500.5)
    assert filtered_mean(np.full(50, 3.0)) == 3.0


class LinearGenerator:
    """A fake Sampler whose images are linear in w = z @ M: image = w @ A (reshaped), no noise.
    It records the z it maps, so the test can compute the exact PPL of every pair."""

    has_w = True

    def __init__(self, z_dim=6, scale=1.0, seed=0):
        rng = np.random.default_rng(seed)
        self.z_dim = z_dim
        self.M = rng.standard_normal((z_dim, z_dim))
        self.A = rng.standard_normal((z_dim, 3 * 4 * 4)) * scale
        self.mapped = []

    def latents(self, n, rng):
        return rng.standard_normal((n, self.z_dim))

    def noise(self, n, rng):
        return None

    def map(self, z):
        self.mapped.append(z)
        return z @ self.M

    def from_w(self, w, noise=None):
        return (np.asarray(w, np.float64) @ self.A).reshape(-1, 3, 4, 4)

    def from_z(self, z, noise=None):
        return self.from_w(np.asarray(z, np.float64) @ self.M)


class LinearFeatures:
    """A fake FeatureExtractor: features are a fixed linear function of the pixels."""

    def __init__(self, dim=5, seed=1):
        self.B = np.random.default_rng(seed).standard_normal((3 * 4 * 4, dim))
        self.feature_std = np.ones(dim)

    def features(self, images):
        return np.asarray(images, np.float64).reshape(len(images), -1) @ self.B


@pytest.mark.parametrize("sampling", ["full", "end"])
def test_ppl_in_w_of_a_generator_linear_in_w(sampling):
    # lerp(w1, w2, t + eps) - lerp(w1, w2, t) = eps (w2 - w1) whatever t is, so every pair's
    # d / eps^2 is exactly |(w2 - w1) A B|^2: the full and end variants agree.
    G, phi = LinearGenerator(), LinearFeatures()
    values = path_distances(G, phi, "w", sampling, n=300)
    z1, z2 = G.mapped
    expected = np.sum(((z2 - z1) @ G.M @ G.A @ phi.B) ** 2, axis=1)
    # w is rounded to float32 on its way into G: a step of 1e-4 |w2 - w1| then carries a rounding
    # error of ~1e-7 |w|, about 0.1% of it (the same holds for the paper's float32 PPL).
    np.testing.assert_allclose(values, expected, rtol=1e-2)
    assert perceptual_path_length(G, phi, "w", sampling, n=300) == pytest.approx(filtered_mean(expected), rel=2e-3)
    assert np.std(expected) > 0.1 * np.mean(expected)          # the pairs differ: the test can fail


def test_ppl_scales_with_the_square_of_the_generator():
    phi = LinearFeatures()
    small = perceptual_path_length(LinearGenerator(scale=1.0), phi, "w", n=200)
    large = perceptual_path_length(LinearGenerator(scale=3.0), phi, "w", n=200)
    assert large == pytest.approx(9.0 * small, rel=1e-3)


def test_ppl_of_a_constant_generator_is_zero():
    G = LinearGenerator(scale=0.0)
    assert perceptual_path_length(G, LinearFeatures(), "w", n=100) == 0.0
    assert perceptual_path_length(G, LinearFeatures(), "z", n=100) == 0.0


def test_ppl_in_z_follows_the_sphere():
    # End points (t = 0): slerp leaves z1's direction along the unit vector towards z2's, at angular
    # speed angle(z1, z2), so slerp(eps) - slerp(0) = eps * angle * towards (+ O(eps^2)), and with
    # a generator linear in z a pair's d / eps^2 is |angle * towards @ A B|^2.
    G, phi = LinearGenerator(), LinearFeatures()
    G.M = np.eye(G.z_dim)
    values = path_distances(G, phi, "z", "end", n=200)
    rng = np.random.default_rng([0, 0, 1])                  # the stream path_distances uses
    z1, z2 = G.latents(200, rng), G.latents(200, rng)
    unit1 = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
    unit2 = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
    towards = unit2 - np.sum(unit1 * unit2, axis=1, keepdims=True) * unit1
    towards /= np.linalg.norm(towards, axis=1, keepdims=True)
    angle = np.arccos(np.sum(unit1 * unit2, axis=1))
    # At t = 0 the path leaves unit1 along `towards` at speed `angle`.
    expected = np.sum((angle[:, None] * towards @ G.A @ phi.B) ** 2, axis=1)
    np.testing.assert_allclose(values, expected, rtol=2e-3)


def test_path_bend():
    straight = np.stack([np.linspace(0, 1, 5), np.linspace(0, 2, 5)], axis=1)[None]
    assert path_bend(straight) == pytest.approx(0.0, abs=1e-12)
    detour = np.array([[[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]])      # length 2 sqrt 2, chord 2
    assert path_bend(detour) == pytest.approx(np.sqrt(2) - 1)
    assert lerp(np.zeros((1, 2)), np.ones((1, 2)), np.array([0.25]))[0, 0] == 0.25
