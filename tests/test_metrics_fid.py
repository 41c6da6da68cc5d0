"""FID: the Fréchet distance against closed forms for Gaussians, and its corner cases."""
import numpy as np
import pytest
import scipy.linalg

from stylegan_np.errors import UserError
from stylegan_np.metrics.fid import fid_from_features, frechet_distance, gaussian_statistics


def _random_spd(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def _symmetric_form(mu1, s1, mu2, s2):
    """The same distance written with symmetric matrices only (Dowson & Landau 1982):
    |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2), each root from an eigendecomposition."""
    def sym_sqrt(m):
        values, vectors = np.linalg.eigh(m)
        return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    root1 = sym_sqrt(s1)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(sym_sqrt(root1 @ s2 @ root1)))


def test_diagonal_gaussians_closed_form():
    # Commuting covariances: d^2 = |mu1 - mu2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    expected = 1.0 + 4.0 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0.0
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_one_dimensional_gaussians():
    # 1-D: W2^2 between N(m1, s1^2) and N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2.
    assert frechet_distance([3.0], [[4.0]], [1.0], [[0.25]]) == pytest.approx(4.0 + 1.5 ** 2)


def test_general_covariances_match_the_symmetric_form():
    rng = np.random.default_rng(0)
    for d in (2, 5, 16):
        mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
        s1, s2 = _random_spd(rng, d), _random_spd(rng, d)
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(_symmetric_form(mu1, s1, mu2, s2), rel=1e-8)


def test_identical_gaussians_are_at_distance_zero():
    rng = np.random.default_rng(1)
    s = _random_spd(rng, 8)
    mu = rng.standard_normal(8)
    assert abs(frechet_distance(mu, s, mu, s)) < 1e-9


def test_singular_covariances_give_a_finite_answer():
    # Rank-1 covariances (fewer samples than dimensions): sqrtm struggles, the ridge rescues it.
    v = np.array([1.0, 2.0, 0.0, 0.0])
    s1, s2 = np.outer(v, v), np.zeros((4, 4))
    mu1, mu2 = np.zeros(4), np.ones(4)
    result = frechet_distance(mu1, s1, mu2, s2)
    assert np.isfinite(result)
    # Exact value: |mu diff|^2 + tr(S1) (tr(S2) = 0 and the cross term vanishes).
    assert result == pytest.approx(4.0 + 5.0, abs=1e-3)


def test_fewer_samples_than_features_is_finite():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((10, 64)), rng.standard_normal((10, 64)) + 0.5
    assert np.isfinite(fid_from_features(a, b))


def test_samples_converge_to_the_closed_form():
    rng = np.random.default_rng(3)
    mu1, mu2 = np.array([0.0, 0.0, 0.0]), np.array([0.5, -0.5, 1.0])
    s1, s2 = _random_spd(rng, 3), _random_spd(rng, 3)
    a = rng.multivariate_normal(mu1, s1, size=50_000)
    b = rng.multivariate_normal(mu2, s2, size=50_000)
    exact = _symmetric_form(mu1, s1, mu2, s2)
    assert fid_from_features(a, b) == pytest.approx(exact, rel=0.05)


def test_not_covariances_raise():
    # sigma1 sigma2 = -I, whose square roots are all imaginary (i I): no covariance does that.
    with pytest.raises(ValueError, match="covariance"):
        frechet_distance([0, 0], np.eye(2), [0, 0], -np.eye(2))
    with pytest.raises(ValueError, match="shapes"):
        frechet_distance([0, 0], np.eye(2), [0, 0, 0], np.eye(3))


def test_statistics_need_two_vectors():
    with pytest.raises(UserError, match="at least 2"):
        gaussian_statistics(np.zeros((1, 4)))
    mu, sigma = gaussian_statistics(np.array([[0.0, 1.0], [2.0, 3.0]]))
    np.testing.assert_allclose(mu, [1.0, 2.0])
    np.testing.assert_allclose(sigma, [[2.0, 2.0], [2.0, 2.0]])


def test_scipy_sqrtm_is_what_we_think():
    # Guard the reason for the real-part handling: sqrtm of a product of SPD matrices is real here.
    rng = np.random.default_rng(4)
    s1, s2 = _random_spd(rng, 4), _random_spd(rng, 4)
    root = scipy.linalg.sqrtm(s1 @ s2)
    np.testing.assert_allclose(root @ root, s1 @ s2, atol=1e-8)
