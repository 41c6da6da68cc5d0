"""Linear separability: conditional entropy by hand, separable against random labellings."""
import numpy as np
import pytest

from stylegan_np.data.toyfaces import luminance, sample_factors
from stylegan_np.metrics.separability import (ATTRIBUTES, conditional_entropy, cross_fitted_predictions,
                                              fit_linear_classifier, label_attributes, separability)


def test_conditional_entropy_by_hand():
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    assert conditional_entropy(y, y) == 0.0                            # X tells Y exactly
    assert conditional_entropy(1 - y, y) == 0.0                        # so does its complement
    x = np.array([0, 1, 0, 1, 0, 0, 1, 1])          # X independent of Y: each X sees Y = 0, 1, 0, 1
    assert conditional_entropy(x, y) == pytest.approx(np.log(2))
    # X = 0 for 4 samples with Y = (0, 0, 0, 1); X = 1 for 4 with Y = (1, 1, 1, 1):
    # H = 1/2 * H(1/4) + 1/2 * 0, H(1/4) = -(1/4 ln 1/4 + 3/4 ln 3/4).
    x = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    h = -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))
    assert conditional_entropy(x, y) == pytest.approx(0.5 * h)


def _confident(labels):
    return labels, np.ones(len(labels))


def test_perfectly_separable_labels_score_one():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, 16))
    attributes = {f"a{i}": _confident((x @ rng.standard_normal(16) > 0).astype(int)) for i in range(3)}
    score, entropies = separability(x, attributes, keep=1.0)
    # Not exactly 1: a hyperplane fitted to 2000 samples in 16 dimensions misclassifies ~1% of new
    # ones (H ~ 0.05 nats each).  Random labels score 8 (next test).
    assert score < 1.25
    assert all(h < 0.08 for h in entropies.values())


def test_random_labels_score_two_per_attribute():
    # Labels independent of x: the held-out predictions are no better than a coin, H = ln 2 each,
    # and the score is 2^3 = 8 (a little below: a finite sample's labels are not exactly balanced).
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4000, 16))
    attributes = {f"a{i}": _confident(rng.integers(0, 2, 4000)) for i in range(3)}
    score, _ = separability(x, attributes, keep=1.0)
    assert 7.0 < score <= 8.0 + 1e-9


def test_held_out_predictions_do_not_overfit():
    # 128 dimensions, 200 samples, random labels: fewer than 2 x 128 points in general position are
    # almost surely linearly separable (Cover 1965), so a hyperplane fitted to them labels them
    # nearly all right; the held-out (cross-fitted) predictions must not reward that.
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((200, 128)), rng.integers(0, 2, 200)
    in_sample = fit_linear_classifier(x, y)
    assert np.mean(in_sample == y) > 0.9
    held_out = cross_fitted_predictions(x, y)
    assert 0.35 < np.mean(held_out == y) < 0.65


def test_only_the_confident_half_is_kept():
    # Labels that are random where confidence is low and separable where it is high: keeping the
    # confident half scores as the separable part does.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4000, 8))
    labels = (x[:, 0] > 0).astype(int)
    confidence = rng.random(4000)
    noisy = confidence < 0.5
    labels[noisy] = rng.integers(0, 2, noisy.sum())
    score, _ = separability(x, {"a": (labels, confidence)}, keep=0.5)
    assert score < 1.1
    score_all, _ = separability(x, {"a": (labels, confidence)}, keep=1.0)
    assert score_all > 1.3


def test_attributes_label_the_factors():
    factors = sample_factors(5000, np.random.default_rng(4))
    labels = label_attributes(factors)
    assert set(labels) == set(ATTRIBUTES)
    np.testing.assert_array_equal(labels["dark_skin"][0], luminance(factors, "skin") < 0.5)
    np.testing.assert_array_equal(labels["head_left"][0], factors["head_x"] < 0)
    # Median thresholds split the data roughly in half.
    for name in ("dark_hair", "dark_background", "dark_shirt", "head_high", "big_head"):
        assert 0.45 < labels[name][0].mean() < 0.55
    assert all(np.all(conf >= 0) for _, conf in labels.values())
