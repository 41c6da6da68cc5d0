"""Toy faces with a combination of factors left out (the warped-Z experiment's data)."""
import numpy as np
import pytest

from stylegan_np.data import ToyFaces, make_dataset
from stylegan_np.data.toyfaces import LEAVE_OUT, luminance


def test_the_left_out_combination_never_appears():
    faces = make_dataset("toyfaces-warped", 8, seed=3)
    _, factors = faces.sample_with_labels(3000)
    dark_skin, dark_bg = luminance(factors, "skin") < 0.5, luminance(factors, "bg") < 0.45
    assert not np.any(dark_skin & dark_bg)
    # Both factors still occur, each on its own: only their combination is missing.
    assert dark_skin.mean() > 0.15 and dark_bg.mean() > 0.2


def test_everything_else_keeps_its_distribution():
    _, full = ToyFaces(8).sample_with_labels(6000, np.random.default_rng(0))
    _, warped = ToyFaces(8, leave_out="dark-skin-dark-background").sample_with_labels(6000, np.random.default_rng(0))
    # Redrawing 11% of the faces moves factors unrelated to the hole by no more than sampling noise.
    for name in ("head_x", "head_size", "hair_long", "mouth_curve", "shirt_g"):
        spread = full[name].std() / np.sqrt(6000)
        assert abs(full[name].mean() - warped[name].mean()) < 5 * spread, name
    # The default data set is unchanged by the option's existence.
    assert np.any(LEAVE_OUT["dark-skin-dark-background"](full))


def test_unknown_combination_is_refused():
    with pytest.raises(ValueError, match="dark-skin-dark-background"):
        ToyFaces(8, leave_out="blue-hair")
