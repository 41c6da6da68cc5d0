"""Tests for stylegan_np.metrics.swd: the ProGAN sliced Wasserstein distance.

Expected values come from facts independent of the implementation: closed forms of the 1-D
Wasserstein distance, the CDF form of W1, hand-computed filter responses, and orderings that
any sensible distance between distributions must respect.
"""

import numpy as np
import pytest

from stylegan_np.metrics import (
    SlicedWasserstein,
    extract_descriptors,
    laplacian_pyramid,
    pyramid_down,
    pyramid_up,
    random_directions,
    reconstruct_laplacian_pyramid,
    sliced_wasserstein,
    sliced_wasserstein_projected,
    wasserstein_1d,
)

# Small settings keep every test fast; the statistics are still stable at these sizes.
FAST = dict(n_descriptors_per_image=32, n_directions=64, n_repeats=2)


def smooth_images(n, resolution, seed, channels=3):
    """Random smooth images: a few low-frequency cosine waves per channel, squashed into (-1, 1)."""
    rng = np.random.default_rng(seed)
    waves = 4
    coords = np.arange(resolution) / resolution
    fy = rng.integers(0, 3, size=(n, channels, waves, 1, 1))
    fx = rng.integers(0, 3, size=(n, channels, waves, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, channels, waves, 1, 1))
    amplitude = rng.normal(0, 0.6, size=(n, channels, waves, 1, 1))
    grid = fy * coords[:, None] + fx * coords[None, :]
    images = (amplitude * np.cos(2 * np.pi * grid + phase)).sum(axis=2)
    return np.tanh(images).astype(np.float32)


# --------------------------------------------------------------------------------------------
# The 1-D core and the projection core
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shift", [-2.0, 0.3, 5.0])
def test_w1_of_a_shifted_sample_is_the_shift(shift):
    # Moving every point by c moves all the mass by |c|: W1(x, x + c) = |c|.
    x = np.random.default_rng(1).standard_normal(1000)
    assert wasserstein_1d(x, x + shift) == pytest.approx(abs(shift), rel=1e-12)


def test_w1_ignores_order_and_matches_a_hand_computed_value():
    x = np.random.default_rng(2).standard_normal(500)
    assert wasserstein_1d(x, np.random.default_rng(3).permutation(x)) == 0.0
    # {0, 1, ..., n-1} against {0, 2, ..., 2(n-1)} given in reverse order: sorted pairs differ
    # by i, so W1 = mean(i) = (n - 1) / 2.
    n = 11
    assert wasserstein_1d(np.arange(n), 2.0 * np.arange(n)[::-1]) == pytest.approx((n - 1) / 2)


def test_w1_equals_the_integral_of_the_cdf_difference():
    # An independent formula: W1 = integral over t of |F_x(t) - F_y(t)| dt.
    rng = np.random.default_rng(4)
    x = rng.standard_normal(300)
    y = rng.exponential(1.5, 300)
    points = np.sort(np.concatenate([x, y]))
    cdf_x = np.searchsorted(np.sort(x), points, side="right") / x.size
    cdf_y = np.searchsorted(np.sort(y), points, side="right") / y.size
    integral = np.sum(np.abs(cdf_x - cdf_y)[:-1] * np.diff(points))
    assert wasserstein_1d(x, y) == pytest.approx(integral, rel=1e-10)


def test_w1_is_batched_along_the_other_axes():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 200))
    y = rng.standard_normal((3, 200)) + np.array([[0.0], [1.0], [-3.0]])
    batched = wasserstein_1d(x, y, axis=-1)
    assert batched.shape == (3,)
    np.testing.assert_allclose(batched, [wasserstein_1d(x[i], y[i]) for i in range(3)], rtol=1e-12)
    np.testing.assert_allclose(wasserstein_1d(x.T, y.T, axis=0), batched, rtol=1e-12)


def test_projection_core_of_a_translated_set_is_the_mean_projected_shift():
    # If b = a + v, every projection on direction d is shifted by <d, v>, so its W1 is
    # |<d, v>| and the sliced distance is the mean of |<d, v>| over the directions.
    rng = np.random.default_rng(6)
    a = rng.standard_normal((2000, 20)).astype(np.float32)
    v = rng.standard_normal(20).astype(np.float32)
    directions = random_directions(20, 300, np.random.default_rng(7))  # > 1 chunk of 128
    expected = np.mean(np.abs(directions.T.astype(np.float64) @ v))
    assert sliced_wasserstein_projected(a, a + v, directions) == pytest.approx(expected, rel=1e-4)
    # Along a single coordinate axis the sliced distance is that coordinate's 1-D W1.
    e0 = np.zeros((20, 1), np.float32)
    e0[0] = 1.0
    b = rng.standard_normal((2000, 20)).astype(np.float32) * 2.0
    assert sliced_wasserstein_projected(a, b, e0) == pytest.approx(wasserstein_1d(a[:, 0], b[:, 0]), rel=1e-5)


def test_random_directions_are_unit_vectors_and_seeded():
    d = random_directions(147, 50, np.random.default_rng(8))
    assert d.shape == (147, 50) and d.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(d, axis=0), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(d, random_directions(147, 50, np.random.default_rng(8)))


# --------------------------------------------------------------------------------------------
# Laplacian pyramid
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resolution, levels", [(64, [64, 32, 16]), (32, [32, 16]), (16, [16]), (8, [8]), (4, [4])]
)
def test_levels_go_down_to_16x16(resolution, levels):
    assert SlicedWasserstein(resolution).levels == levels
    images = np.zeros((2, 1, resolution, resolution), np.float32)
    pyramid = laplacian_pyramid(images, len(levels))
    assert [level.shape for level in pyramid] == [(2, 1, r, r) for r in levels]


@pytest.mark.parametrize("resolution", [2, 12, 0])
def test_bad_resolutions_are_refused(resolution):
    with pytest.raises(ValueError):
        SlicedWasserstein(resolution)


def test_pyramid_reconstructs_the_image():
    images = np.random.default_rng(9).uniform(-1, 1, (4, 3, 64, 64)).astype(np.float32)
    pyramid = laplacian_pyramid(images, 3)
    np.testing.assert_allclose(reconstruct_laplacian_pyramid(pyramid), images, rtol=0, atol=1e-6)
    # And the detail levels are not trivially zero (the reconstruction is not a tautology of
    # the last level alone).
    assert np.abs(pyramid[0]).mean() > 0.1


def test_binomial_filter_responses_by_hand():
    # Down: a unit impulse at (8, 8) of a 16x16 image lands on output pixel (4, 4) with weight
    # (6/16)^2; the output grid samples every second pixel, so the neighbours one output
    # pixel away see the outer tap 1/16 along that axis.  The output grid covers 1/4 of the
    # blurred mass (1, 4, 6, 4, 1 -> 1 + 6 + 1 = 8 of 16 per axis).
    impulse = np.zeros((1, 1, 16, 16), np.float32)
    impulse[0, 0, 8, 8] = 1.0
    down = pyramid_down(impulse)[0, 0]
    assert down.shape == (8, 8)
    assert down[4, 4] == pytest.approx(36 / 256)
    assert down[4, 3] == pytest.approx(6 / 256)
    assert down[3, 3] == pytest.approx(1 / 256)
    assert down.sum() == pytest.approx(1 / 4)
    # Up: the impulse becomes the 2-D kernel with gain 4: [1, 4, 6, 4, 1]/8 along each axis.
    small = np.zeros((1, 1, 8, 8), np.float32)
    small[0, 0, 4, 4] = 1.0
    up = pyramid_up(small)[0, 0]
    assert up.shape == (16, 16)
    taps = np.array([1, 4, 6, 4, 1]) / 8
    np.testing.assert_allclose(up[6:11, 6:11], np.outer(taps, taps), atol=1e-7)
    assert up.sum() == pytest.approx(4.0)


def test_constant_images_have_no_detail_even_at_the_border():
    # Mirror padding keeps constants constant, so a flat image has zero Laplacian detail.
    images = np.full((2, 3, 32, 32), 0.7, np.float32)
    pyramid = laplacian_pyramid(images, 2)
    np.testing.assert_allclose(pyramid[0], 0.0, atol=1e-6)
    np.testing.assert_allclose(pyramid[1], 0.7, atol=1e-6)


# --------------------------------------------------------------------------------------------
# Descriptors
# --------------------------------------------------------------------------------------------


def test_descriptors_are_7x7_crops_of_their_own_image():
    images = np.random.default_rng(10).standard_normal((3, 2, 16, 16)).astype(np.float32)
    descriptors = extract_descriptors(images, 5, 7, np.random.default_rng(11))
    assert descriptors.shape == (15, 2, 7, 7)
    for i, descriptor in enumerate(descriptors):
        owner = images[i // 5]
        matches = [
            (y, x)
            for y in range(16 - 7 + 1)
            for x in range(16 - 7 + 1)
            if np.array_equal(owner[:, y : y + 7, x : x + 7], descriptor)
        ]
        assert len(matches) == 1


def test_descriptor_shapes_per_level():
    swd = SlicedWasserstein(32, n_descriptors_per_image=10)
    levels = swd.descriptors(smooth_images(4, 32, seed=0, channels=1), np.random.default_rng(0))
    assert [d.shape for d in levels] == [(40, 1, 7, 7), (40, 1, 7, 7)]
    tiny = SlicedWasserstein(4, n_descriptors_per_image=10)
    (level,) = tiny.descriptors(np.zeros((4, 3, 4, 4), np.float32), np.random.default_rng(0))
    assert level.shape == (40, 3, 3, 3)


# --------------------------------------------------------------------------------------------
# The full metric
# --------------------------------------------------------------------------------------------


def test_a_set_against_itself_is_exactly_zero():
    images = smooth_images(50, 32, seed=1)
    result = sliced_wasserstein(images, images.copy(), **FAST)
    assert result["levels"] == [32, 16]
    assert result["swd"] == [0.0, 0.0]
    assert result["swd_mean"] == 0.0


def test_same_distribution_is_close_and_different_distributions_are_far():
    n = 100
    real = smooth_images(n, 32, seed=1)
    same = smooth_images(n, 32, seed=2)  # same generator, other seed
    rng = np.random.default_rng(3)
    noise = rng.uniform(-1, 1, real.shape).astype(np.float32)  # white noise
    shifted = same + 0.5  # same shapes, brighter
    swd = SlicedWasserstein(32, **FAST)
    d_same = swd.distance(real, same)
    d_noise = swd.distance(real, noise)
    d_shift = swd.distance(real, shifted)
    assert d_same["swd_mean"] > 0
    assert d_same["swd_mean"] < 0.2 * d_noise["swd_mean"]
    assert d_same["swd_mean"] < 0.2 * d_shift["swd_mean"]
    for level in range(2):
        assert d_same["swd"][level] < 0.2 * d_noise["swd"][level]
    # A global brightness shift lives only in the coarsest (low-pass) level: the detail level
    # is blind to it, so there the shifted set scores like the unshifted one.  (This also
    # shows the normalisation uses the real set's statistics: normalising each set by its own
    # mean, as ProGAN's code does, would hide the shift at the coarse level too.)
    assert d_shift["swd"][1] > 5 * d_same["swd"][1]
    assert d_shift["swd"][0] == pytest.approx(d_same["swd"][0], rel=1e-3)


def test_more_noise_gives_larger_swd():
    real = smooth_images(100, 32, seed=4)
    noise = np.random.default_rng(5).standard_normal(real.shape).astype(np.float32)
    swd = SlicedWasserstein(32, **FAST)
    results = [swd.distance(real, real + sigma * noise) for sigma in (0.0, 0.05, 0.1, 0.2, 0.4)]
    means = [r["swd_mean"] for r in results]
    assert means[0] == 0.0
    assert np.all(np.diff(means) > 0), means
    for level in range(2):
        per_level = [r["swd"][level] for r in results]
        assert np.all(np.diff(per_level) > 0), per_level


def test_same_seed_same_numbers_other_seed_other_numbers():
    real = smooth_images(40, 32, seed=6)
    fake = smooth_images(40, 32, seed=7)
    first = sliced_wasserstein(real, fake, seed=3, **FAST)
    assert sliced_wasserstein(real, fake, seed=3, **FAST) == first
    other = sliced_wasserstein(real, fake, seed=4, **FAST)
    assert other["swd"] != first["swd"]
    # ... but only by sampling noise.
    assert other["swd_mean"] == pytest.approx(first["swd_mean"], rel=0.3)


def test_invariant_to_an_affine_change_of_pixel_values():
    # [-1, 1] images and the same images in [0, 255] give the same SWD (up to float rounding):
    # the pyramid is linear and the descriptors are standardised by the real statistics.
    real = smooth_images(40, 32, seed=8)
    fake = smooth_images(40, 32, seed=9)
    a = sliced_wasserstein(real, fake, **FAST)
    b = sliced_wasserstein((real + 1) * 127.5, (fake + 1) * 127.5, **FAST)
    np.testing.assert_allclose(b["swd"], a["swd"], rtol=1e-3)


def test_grayscale_and_small_images_work():
    for resolution in (8, 4):
        real = smooth_images(30, resolution, seed=10, channels=1)
        fake = np.random.default_rng(11).uniform(-1, 1, real.shape).astype(np.float32)
        result = sliced_wasserstein(real, fake, **FAST)
        assert result["levels"] == [resolution]
        assert result["swd_mean"] > 0 and np.isfinite(result["swd_mean"])


class _FakeGpuArray:
    """Stands in for a CuPy array: only `.get()` copies the data to the host."""

    def __init__(self, array):
        self._array = array

    def get(self):
        return self._array.copy()


def test_gpu_arrays_are_copied_to_the_host():
    real = smooth_images(20, 16, seed=12)
    fake = smooth_images(20, 16, seed=13)
    expected = sliced_wasserstein(real, fake, **FAST)
    assert sliced_wasserstein(_FakeGpuArray(real), _FakeGpuArray(fake), **FAST) == expected


def test_bad_inputs_are_refused():
    swd = SlicedWasserstein(16, **FAST)
    images = smooth_images(10, 16, seed=14)
    with pytest.raises(ValueError):
        swd.distance(images, images[:5])  # unequal set sizes
    with pytest.raises(ValueError):
        swd.distance(images, smooth_images(10, 32, seed=14))  # wrong resolution
    with pytest.raises(ValueError):
        swd.distance(images[0], images[0])  # not NCHW
    bad = images.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError):
        swd.distance(images, bad)


def test_every_public_helper_takes_device_arrays(xp):
    """The module docstring promises that GPU arrays are copied to the host first: each public
    function gives on a device array exactly what it gives on the same host array."""
    host = smooth_images(8, 16, seed=3)
    device = xp.asarray(host)
    np.testing.assert_array_equal(pyramid_down(device), pyramid_down(host))
    np.testing.assert_array_equal(pyramid_up(device), pyramid_up(host))
    for a, b in zip(laplacian_pyramid(device, 3), laplacian_pyramid(host, 3)):
        np.testing.assert_array_equal(a, b)
    x, y = host[:4].reshape(4, -1), host[4:].reshape(4, -1)
    np.testing.assert_array_equal(wasserstein_1d(xp.asarray(x), xp.asarray(y)), wasserstein_1d(x, y))
    assert sliced_wasserstein(device[:4], device[4:], seed=0, **FAST) == sliced_wasserstein(host[:4], host[4:], seed=0, **FAST)
