"""Tests for stylegan_np.data: toy faces, 2-D toys, IDX files, image folders, resampling."""

import gzip
import os
import struct
import warnings

import numpy as np
import pytest
from PIL import Image

from stylegan_np.data import (FACTOR_NAMES, FashionMNIST, ImageFolder, Toy2D, ToyFaces,
                              check_resolution, downsample_box, fade_reals, grid_centres,
                              grid_of_gaussians, load_fashion_mnist, make_dataset, mode_coverage,
                              read_idx, ring_centres, ring_of_gaussians, sample_factors, toy_faces,
                              upsample_nearest)
from stylegan_np.data.toyfaces import MOUTH_COLOUR
from stylegan_np.errors import UserError


# ---------------------------------------------------------------- resampling

def test_downsample_box_of_known_4x4_is_the_hand_computed_block_means():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    # Blocks: {0,1,4,5} {2,3,6,7} {8,9,12,13} {10,11,14,15}.
    expected = np.array([[2.5, 4.5], [10.5, 12.5]], dtype=np.float32)
    out = downsample_box(x, 2)
    assert out.dtype == np.float32 and out.shape == (1, 1, 2, 2)
    np.testing.assert_array_equal(out[0, 0], expected)
    np.testing.assert_array_equal(downsample_box(x, 4)[0, 0], [[7.5]])


def test_downsample_box_of_constant_image_is_constant():
    x = np.full((3, 2, 16, 16), 0.25, dtype=np.float32)
    out = downsample_box(x, 4)
    assert out.shape == (3, 2, 4, 4)
    np.testing.assert_allclose(out, 0.25, rtol=0, atol=1e-7)


def test_upsample_nearest_repeats_each_pixel_into_a_block():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32).reshape(1, 1, 2, 2)
    expected = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]], np.float32)
    np.testing.assert_array_equal(upsample_nearest(x, 2)[0, 0], expected)
    # Box-downsampling undoes it exactly.
    np.testing.assert_array_equal(downsample_box(upsample_nearest(x, 4), 4), x)


def test_fade_reals_ends_are_exact_and_middle_is_the_lerp():
    x = np.random.default_rng(0).uniform(-1, 1, size=(2, 3, 8, 8)).astype(np.float32)
    low = np.repeat(np.repeat(x.reshape(2, 3, 4, 2, 4, 2).mean(axis=(3, 5)), 2, 2), 2, 3)
    faded0 = fade_reals(x, 0.0)
    np.testing.assert_allclose(faded0, low, rtol=0, atol=1e-6)
    # alpha=0 is exactly the low-resolution copy: constant inside every 2x2 block.
    np.testing.assert_array_equal(faded0, upsample_nearest(downsample_box(x, 2), 2))
    np.testing.assert_array_equal(fade_reals(x, 1.0), x)
    np.testing.assert_allclose(fade_reals(x, 0.25), 0.75 * low + 0.25 * x, atol=1e-6)
    assert fade_reals(x, 0.5).dtype == np.float32


def test_check_resolution_accepts_powers_of_two_in_range_only():
    assert check_resolution(4) == 4 and check_resolution(128) == 128
    assert check_resolution(1024, max_resolution=1024) == 1024
    for bad in (48, 2, 256, 0, -8, 32.0, "32"):
        with pytest.raises(UserError, match="power of two between 4 and 128"):
            check_resolution(bad)
    with pytest.raises(UserError, match="got 48"):
        make_dataset("toyfaces", 48)


# ---------------------------------------------------------------- toy faces

@pytest.mark.parametrize("resolution", [4, 8, 16, 32, 128])
def test_toy_faces_shape_dtype_and_range(resolution):
    n = 3 if resolution == 128 else 10
    x = toy_faces(n, resolution, seed=0)
    assert x.shape == (n, 3, resolution, resolution) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert x.std() > 0.1                      # not a blank image


def test_toy_faces_are_deterministic_from_the_seed():
    a, b = toy_faces(8, 16, seed=1), toy_faces(8, 16, seed=1)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - toy_faces(8, 16, seed=2)).mean() > 0.05
    faces = ToyFaces(16, seed=5)
    np.testing.assert_array_equal(faces.sample(4, np.random.default_rng(3)),
                                  faces.sample(4, np.random.default_rng(3)))
    # Without an rng, successive calls continue the data set's own stream: fresh faces.
    assert np.abs(faces.sample(4) - faces.sample(4)).mean() > 0.05


def test_toy_face_labels_are_float32_per_image_factors():
    images, labels = toy_faces(7, 16, seed=0, return_labels=True)
    assert set(labels) == set(FACTOR_NAMES)
    for name in ("head_x", "head_y", "head_size", "aspect", "skin_r", "eye_size", "eye_gap",
                 "mouth_curve", "hair"):
        assert labels[name].dtype == np.float32 and labels[name].shape == (7,)
    # Same seed gives the same factors.
    np.testing.assert_array_equal(labels["mouth_curve"],
                                  toy_faces(7, 16, seed=0, return_labels=True)[1]["mouth_curve"])


def _background(labels):
    return np.stack([labels["bg_r"], labels["bg_g"], labels["bg_b"]], 1)[:, :, None, None] * 2 - 1


def test_toy_face_background_label_is_the_corner_colour():
    images, labels = ToyFaces(32).sample_with_labels(50, np.random.default_rng(0))
    # Nothing is drawn near the top-left corner: it shows the background colour.
    np.testing.assert_allclose(images[:, :, 0, 0], _background(labels)[:, :, 0, 0], atol=1e-5)


def test_bigger_heads_cover_more_of_the_background():
    faces = ToyFaces(32)
    images, labels = faces.sample_with_labels(300, np.random.default_rng(0))
    covered = (np.abs(images - _background(labels)).max(axis=1) > 0.1).sum(axis=(1, 2))
    assert np.corrcoef(covered, labels["head_size"])[0, 1] > 0.3
    # The same faces with only the head size changed: the bigger head covers more in every one.
    factors = sample_factors(50, np.random.default_rng(1))
    small, big = dict(factors), dict(factors)
    small["head_size"] = np.full(50, 0.56, np.float32)
    big["head_size"] = np.full(50, 0.74, np.float32)
    count = lambda f: (np.abs(faces.render(f) - _background(f)).max(1) > 0.1).sum((1, 2))
    assert np.all(count(big) > count(small))


def test_mouth_curve_sign_is_smile_versus_frown():
    faces = ToyFaces(64)
    factors = sample_factors(20, np.random.default_rng(2))
    smile, frown = dict(factors), dict(factors)
    smile["mouth_curve"] = np.full(20, 0.9, np.float32)
    frown["mouth_curve"] = np.full(20, -0.9, np.float32)
    a, b = faces.render(smile), faces.render(frown)
    mouth = (MOUTH_COLOUR * 2 - 1)[None, :, None, None]
    closer_a = np.abs(a - mouth).sum(1) < np.abs(b - mouth).sum(1)
    changed = np.abs(a - b).max(1) > 0.2          # only the mouth differs between the two
    rows, cols = np.mgrid[0:64, 0:64]
    x = (cols + 0.5) / 32 - 1
    for i in range(20):
        half_width = factors["head_size"][i] * factors["aspect"][i] * factors["mouth_width"][i]
        middle = np.abs(x - factors["head_x"][i]) < 0.4 * half_width
        ends = np.abs(x - factors["head_x"][i]) > 0.7 * half_width
        smile_px, frown_px = changed[i] & closer_a[i], changed[i] & ~closer_a[i]
        # y points down: a smile's middle is lower and its corners higher than a frown's.
        assert rows[smile_px & middle].mean() > rows[frown_px & middle].mean()
        assert rows[smile_px & ends].mean() < rows[frown_px & ends].mean()


def test_toy_faces_are_resolution_independent_drawings():
    """Anti-aliased drawing at 8x8 is close to the 32x32 drawing box-filtered down to 8x8."""
    factors = sample_factors(50, np.random.default_rng(3))
    small = ToyFaces(8).render(factors)
    filtered = downsample_box(ToyFaces(32).render(factors), 4)
    other = ToyFaces(8).render(sample_factors(50, np.random.default_rng(4)))
    assert np.abs(small - filtered).mean() < 0.08
    assert np.abs(other - filtered).mean() > 0.3      # the bound above is not trivially met


def test_sample_at_is_box_downsampled_full_resolution():
    faces = ToyFaces(32)
    low = faces.sample_at(5, np.random.default_rng(0), 8)
    full = faces.sample(5, np.random.default_rng(0))
    assert low.shape == (5, 3, 8, 8)
    np.testing.assert_allclose(low, downsample_box(full, 4), atol=1e-6)
    with pytest.raises(ValueError):
        faces.sample_at(5, None, 64)


# ---------------------------------------------------------------- 2-D toys

def test_ring_samples_cluster_at_the_eight_centres():
    centres = ring_centres(8, 2.0)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0, atol=1e-6)
    std = 0.05                                          # the default spread
    x = ring_of_gaussians(4000, np.random.default_rng(0))
    assert x.shape == (4000, 2) and x.dtype == np.float32
    dists = np.linalg.norm(x[:, None] - centres[None], axis=2)
    assert dists.min(axis=1).max() < 6 * std            # every sample is near some centre
    share = np.bincount(dists.argmin(axis=1), minlength=8) / 4000
    assert np.all((share > 0.09) & (share < 0.16))     # all eight modes, about 1/8 each
    modes, quality = mode_coverage(x, centres, std)
    assert modes == 8 and quality > 0.97


def test_mode_coverage_counts_one_mode_for_a_collapsed_generator():
    centres = ring_centres(8, 2.0)
    rng = np.random.default_rng(1)
    collapsed = centres[3] + 0.02 * rng.standard_normal((1000, 2))
    modes, quality = mode_coverage(collapsed, centres, 0.02)
    assert modes == 1 and quality > 0.97
    # Samples off every mode hit none and are all low quality.
    modes, quality = mode_coverage(np.zeros((100, 2)), centres, 0.02)
    assert modes == 0 and quality == 0.0


def test_grid_of_gaussians_covers_all_25_modes():
    centres = grid_centres(5, 2.0)
    assert centres.shape == (25, 2)
    np.testing.assert_allclose(centres.min(axis=0), [-4, -4])
    np.testing.assert_allclose(centres.max(axis=0), [4, 4])
    x = grid_of_gaussians(5000, np.random.default_rng(0))
    assert mode_coverage(x, centres, 0.05)[0] == 25


def test_make_dataset_gives_2d_toys_with_dim_2():
    for name, modes in (("ring", 8), ("grid", 25)):
        toy = make_dataset(name, None, seed=0)
        assert isinstance(toy, Toy2D) and toy.dim == 2
        x = toy.sample(500, np.random.default_rng(0))
        assert x.shape == (500, 2) and x.dtype == np.float32
        assert toy.coverage(x)[0] == modes
        np.testing.assert_array_equal(make_dataset(name, None, seed=3).sample(10),
                                      make_dataset(name, None, seed=3).sample(10))


# ---------------------------------------------------------------- IDX files

def _idx_bytes(magic, array):
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) \
        + array.astype(np.uint8).tobytes()


def _write_fashion(directory, prefix, n, rng, gz_images=True, gz_labels=False):
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for stem, magic, array, gz in ((f"{prefix}-images-idx3-ubyte", 2051, images, gz_images),
                                   (f"{prefix}-labels-idx1-ubyte", 2049, labels, gz_labels)):
        data = _idx_bytes(magic, array)
        if gz:
            with gzip.open(os.path.join(directory, stem + ".gz"), "wb") as f:
                f.write(data)
        else:
            with open(os.path.join(directory, stem), "wb") as f:
                f.write(data)
    return images, labels


def test_idx_round_trip_gzipped_and_plain(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = _write_fashion(tmp_path, "train", 6, rng)
    test_images, test_labels = _write_fashion(tmp_path, "t10k", 3, rng, False, True)
    got_images, got_labels = load_fashion_mnist(tmp_path)
    assert got_images.dtype == np.uint8 and got_images.shape == (6, 28, 28)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    got_images, got_labels = load_fashion_mnist(str(tmp_path), split="test")
    np.testing.assert_array_equal(got_images, test_images)
    np.testing.assert_array_equal(got_labels, test_labels)


def _one_line_user_error(call, match):
    with pytest.raises(UserError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_corrupt_idx_files_are_one_line_user_errors(tmp_path):
    good = _idx_bytes(2051, np.zeros((2, 28, 28), np.uint8))
    cases = {"magic": b"\x12\x34\x56\x78" + good[4:], "truncated": good[:-10],
             "header": good[:6], "gz": b"\x1f\x8b" + b"not really gzip"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    _one_line_user_error(lambda: read_idx(tmp_path / "magic"), "not an IDX file")
    _one_line_user_error(lambda: read_idx(tmp_path / "truncated"), "truncated")
    _one_line_user_error(lambda: read_idx(tmp_path / "header"), "truncated")
    _one_line_user_error(lambda: read_idx(tmp_path / "gz"), "corrupt gzip")
    # A labels file where images are expected is caught by its magic number.
    (tmp_path / "labels").write_bytes(_idx_bytes(2049, np.zeros(3, np.uint8)))
    _one_line_user_error(lambda: read_idx(tmp_path / "labels", expect_magic=2051), "2049")


def test_missing_fashion_mnist_says_how_to_get_it(tmp_path):
    _one_line_user_error(lambda: load_fashion_mnist(tmp_path), "apt-get install dataset-fashion")
    with pytest.raises(UserError, match=str(tmp_path)):
        load_fashion_mnist(tmp_path)
    with pytest.raises(UserError, match="no Fashion-MNIST directory"):
        load_fashion_mnist(tmp_path / "absent")


def test_fashion_mnist_dataset_pads_to_32_then_box_downsamples(tmp_path):
    images, _ = _write_fashion(tmp_path, "train", 4, np.random.default_rng(0))
    full = FashionMNIST(32, path=tmp_path)
    assert len(full) == 4 and full.channels == 1
    x = full.take([2])
    assert x.shape == (1, 1, 32, 32) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0, 2:30, 2:30], images[2] / 127.5 - 1, atol=1e-6)
    assert np.all(x[0, 0, :2] == -1) and np.all(x[0, 0, :, 30:] == -1)   # black padding
    small = make_dataset("fashion-mnist", 8, fashion_mnist_path=tmp_path)
    np.testing.assert_allclose(small.take([2]), downsample_box(x, 4), atol=1e-6)
    batch = small.sample(16, np.random.default_rng(0))
    assert batch.shape == (16, 1, 8, 8) and -1 <= batch.min() and batch.max() <= 1


# ---------------------------------------------------------------- image folders

def _save(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


def test_image_folder_finds_images_recursively_and_skips_corrupt_ones(tmp_path):
    rng = np.random.default_rng(0)
    _save(tmp_path / "a.png", rng.integers(0, 256, (12, 12, 3)))
    _save(tmp_path / "sub" / "b.JPG", rng.integers(0, 256, (10, 14, 3)))
    _save(tmp_path / "sub" / "deeper" / "c.jpeg", rng.integers(0, 256, (9, 9)))   # greyscale
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub" / "broken.png").write_bytes(b"\x89PNG garbage")
    with pytest.warns(UserWarning, match="skipped 1 unreadable image of 4 in"):
        folder = ImageFolder(tmp_path, 8)
    assert len(folder) == 3 and folder.channels == 3 and folder.resolution == 8
    assert sorted(os.path.basename(f) for f in folder.files) == ["a.png", "b.JPG", "c.jpeg"]
    x = folder.sample(10, np.random.default_rng(1))
    assert x.shape == (10, 3, 8, 8) and x.dtype == np.float32
    assert -1 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(x, folder.sample(10, np.random.default_rng(1)))


def test_image_folder_without_corrupt_files_does_not_warn(tmp_path):
    _save(tmp_path / "a.png", np.zeros((8, 8, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ImageFolder(tmp_path, 4)


def test_image_folder_errors(tmp_path):
    _one_line_user_error(lambda: ImageFolder(tmp_path / "missing", 32), "no image folder")
    _one_line_user_error(lambda: make_dataset(str(tmp_path / "missing"), 32), "no data set")
    _one_line_user_error(lambda: ImageFolder(tmp_path, 32), "no .png/.jpg/.jpeg images")
    (tmp_path / "bad.jpg").write_bytes(b"nope")
    with pytest.raises(UserError, match="none of the 1 images"):
        ImageFolder(tmp_path, 32)
    _save(tmp_path / "ok.png", np.zeros((8, 8, 3)))
    with pytest.raises(UserError, match="power of two"):
        ImageFolder(tmp_path, 48)


def test_image_folder_centre_crops_non_square_images(tmp_path):
    # Thirds of red, green and blue: the centred square crop is the green third only.
    wide = np.zeros((20, 60, 3), np.uint8)
    wide[:, :20, 0] = wide[:, 20:40, 1] = wide[:, 40:, 2] = 255
    _save(tmp_path / "wide.png", wide)
    _save(tmp_path / "tall" / "tall.png", wide.transpose(1, 0, 2))
    folder = ImageFolder(tmp_path, 4)
    for i in range(2):
        x = folder.take([i])[0]
        np.testing.assert_allclose(x[1], 1.0, atol=0.02)       # green everywhere
        np.testing.assert_allclose(x[[0, 2]], -1.0, atol=0.02)  # no red, no blue


def test_image_folder_mirror_flips_about_half_the_draws(tmp_path):
    half = np.zeros((8, 8, 3), np.uint8)
    half[:, 4:] = 255                                          # left black, right white
    _save(tmp_path / "half.png", half)
    plain = make_dataset(str(tmp_path), 8, mirror=False).sample(200, np.random.default_rng(0))
    assert np.all(plain[:, :, :, 0] < 0) and np.all(plain[:, :, :, -1] > 0)
    mirrored = make_dataset(str(tmp_path), 8, mirror=True).sample(200, np.random.default_rng(0))
    flipped = mirrored[:, 0, 0, 0] > 0
    assert 60 < flipped.sum() < 140
    np.testing.assert_array_equal(mirrored[flipped], plain[flipped][:, :, :, ::-1])
    np.testing.assert_array_equal(mirrored[~flipped], plain[~flipped])


def test_make_dataset_builds_toy_faces_and_folders(tmp_path):
    faces = make_dataset("toyfaces", 16, seed=4)
    assert isinstance(faces, ToyFaces) and faces.resolution == 16 and faces.channels == 3
    np.testing.assert_array_equal(faces.sample(3), toy_faces(3, 16, seed=4))
    _save(tmp_path / "x.png", np.full((16, 16, 3), 255))
    folder = make_dataset(str(tmp_path), 16)
    assert isinstance(folder, ImageFolder)
    np.testing.assert_allclose(folder.sample_at(2, np.random.default_rng(0), 4), 1.0, atol=1e-6)
    _one_line_user_error(lambda: make_dataset("tyfaces", 16), "toyfaces, fashion-mnist")
