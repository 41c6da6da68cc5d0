"""The shipped features network: it loads, reads the toy faces' factors, and its FID tells apart
what should be told apart; the command that trains it runs."""
import os

import numpy as np
import pytest

from stylegan_np import backend
from stylegan_np.data import ToyFaces
from stylegan_np.data.idx import IMAGES_MAGIC, LABELS_MAGIC
from stylegan_np.errors import UserError
from stylegan_np.metrics.features import FEATURES_FILES, WEIGHTS_DIR, FeatureExtractor, extractor_for_data
from stylegan_np.metrics.fid import fid, fid_from_features
from stylegan_np.metrics.train_features import FashionMNISTTask, cross_entropy, main as train_main, train


@pytest.fixture(scope="module")
def faces():
    return ToyFaces(16).sample_with_labels(2000, np.random.default_rng(123))


def test_shipped_weights_are_small_and_load():
    path = os.path.join(WEIGHTS_DIR, FEATURES_FILES["toyfaces"])
    assert os.path.getsize(path) < 400 * 1024
    extractor = FeatureExtractor.load("toyfaces")
    assert extractor.meta["command"].startswith("python -m stylegan_np.metrics.train_features")
    assert extractor.output_names[0] == "head_x"


def test_features_on_every_backend(xp, faces):
    extractor = FeatureExtractor.load("toyfaces")
    images = xp.asarray(faces[0][:50])
    features = extractor.features(images)
    assert features.shape == (50, 64) and np.all(np.isfinite(features))
    # The features are a function of the image alone: the same in a batch of 7 and of 50.
    np.testing.assert_allclose(extractor.features(images[:7], batch=7), features[:7], rtol=1e-4, atol=1e-5)
    # Real faces excite most features (a features net with dead units would make FID blind).
    assert np.mean(features.std(axis=0) > 1e-3) > 0.8


def test_it_reads_the_factors_it_was_trained_for(faces):
    images, factors = faces
    predicted = FeatureExtractor.load("toyfaces").predict(images)
    for name, least in (("head_x", 0.8), ("head_y", 0.7), ("skin_r", 0.95), ("bg_g", 0.95), ("shirt_b", 0.9)):
        r2 = 1 - np.mean((predicted[name] - factors[name]) ** 2) / np.var(factors[name])
        assert r2 > least, (name, r2)


def test_fid_sees_what_differs(faces):
    extractor = FeatureExtractor.load("toyfaces")
    images, _ = faces
    other = ToyFaces(16).sample(2000, np.random.default_rng(456))
    same = fid(images, other, extractor)
    # The warped data lacks 11% of the faces (dark skin on a dark background).
    warped = ToyFaces(16, leave_out="dark-skin-dark-background").sample(2000, np.random.default_rng(456))
    missing = fid(images, warped, extractor)
    blurred = fid(images, np.repeat(np.repeat(images[:, :, ::4, ::4], 4, axis=2), 4, axis=3), extractor)
    noise = fid(images, np.random.default_rng(7).uniform(-1, 1, images.shape), extractor)
    assert same < 1.0
    assert missing > 3 * same
    assert blurred > missing
    assert noise > 2 * blurred


def test_images_it_cannot_read_are_user_errors():
    extractor = FeatureExtractor.load("toyfaces")
    with pytest.raises(UserError, match="3-channel"):
        extractor.features(np.zeros((2, 1, 16, 16), np.float32))
    with pytest.raises(UserError, match="NaN"):
        extractor.features(np.full((2, 3, 16, 16), np.nan, np.float32))
    with pytest.raises(UserError, match="no features network"):
        FeatureExtractor.load("my-photos")
    # Other resolutions are resampled to 16x16: a 32x32 face reads like its 16x16 version.
    faces32 = ToyFaces(32).sample(4, np.random.default_rng(0))
    faces16 = ToyFaces(16).sample(4, np.random.default_rng(0))
    assert np.allclose(extractor.features(faces32), extractor.features(faces16), atol=0.5)


def test_extractor_for_data():
    assert extractor_for_data("toyfaces") is extractor_for_data("toyfaces-warped")
    assert extractor_for_data("ring") is None
    assert extractor_for_data("/some/folder") is None


def test_cross_entropy_matches_numpy(xp):
    from stylegan_np.autograd import Tensor
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0], [1000.0, 0.0, -1000.0]])
    labels = np.array([0, 2, 1])
    expected = np.mean([-np.log(np.exp(2) / (np.exp(2) + np.exp(0.5) + np.exp(-1))), np.log(3), 1000.0])
    assert float(cross_entropy(Tensor(xp.asarray(logits)), labels).item()) == pytest.approx(expected)


def test_training_command_writes_loadable_weights(tmp_path, capsys):
    out = tmp_path / "features.npz"
    assert train_main(["--steps", "3", "--out", str(out)]) == 0
    extractor = FeatureExtractor.load(path=str(out))
    assert set(extractor.meta["held_out"]) == set(extractor.output_names)
    assert len(extractor.feature_std) == 64
    assert "wrote" in capsys.readouterr().out


def _write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_task_on_stand_in_idx_files(tmp_path):
    # The real IDX files may be absent (Debian's dataset-fashion-mnist): stand-in files of the same
    # format check that the classifier trains and is measured on the test split.
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 64), ("t10k", 4000)):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), IMAGES_MAGIC)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n), LABELS_MAGIC)
    task = FashionMNISTTask(0, path=str(tmp_path))
    net, meta = train(task, channels=1, steps=2, log=lambda *_: None)
    assert meta["dataset"] == "fashion-mnist" and 0.0 <= meta["held_out"]["test_accuracy"] <= 1.0
    assert net.head.out_features == 10


@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"), reason="Fashion-MNIST IDX files absent")
def test_fashion_mnist_features_when_trained():
    path = os.path.join(WEIGHTS_DIR, FEATURES_FILES["fashion-mnist"])
    if not os.path.isfile(path):
        pytest.skip("no Fashion-MNIST features network shipped: python -m stylegan_np.metrics.train_features "
                    "--data fashion-mnist makes one")
    from stylegan_np.data import FashionMNIST
    data = FashionMNIST(16, split="test")
    extractor = FeatureExtractor.load("fashion-mnist")
    a, b = data.take(np.arange(0, 2000)), data.take(np.arange(2000, 4000))
    assert fid_from_features(extractor.features(a), extractor.features(b)) < 2.0
    assert backend.current() == "numpy"
