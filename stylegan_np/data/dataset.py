"""The interface every data set offers the training loop, and `make_dataset` to build one.

An image data set has
    .resolution, .channels          the full resolution and 3 (colour) or 1 (grey)
    .sample(n, rng=None)            n images, float32 NCHW in [-1, 1]
    .sample_at(n, rng, resolution)  the same, box-downsampled to a lower power-of-two resolution
and finite ones also have len().  Finite sets are sampled with replacement: the training loop
thinks in images seen, not epochs, so it never needs to walk through the set in order.

Everything stays on the host in NumPy; the training loop moves each batch to the GPU itself.
The 2-D toys (`make_dataset("ring")`) are not images: they offer `.sample(n, rng)` -> (n, 2) and
`.dim = 2` instead.
"""

import os

import numpy as np

from stylegan_np.data.idx import load_fashion_mnist
from stylegan_np.data.resample import check_resolution, downsample_box, resample_to
from stylegan_np.errors import UserError

DATASET_NAMES = ("toyfaces", "fashion-mnist", "ring", "grid", "toyfaces-warped")


class ImageDataset:
    """Base class: holds the resolution, channel count and default random generator.

    Subclasses implement `sample`; `sample_at` is shared, because lower resolutions are always
    made the same way, by box-downsampling full-resolution images (see resample.py for why).
    """

    def __init__(self, resolution, channels, seed=0):
        self.resolution = int(resolution)
        self.channels = int(channels)
        self.rng = np.random.default_rng(seed)

    def _rng(self, rng):
        """The caller's generator, or this data set's own one (seeded at construction)."""
        return self.rng if rng is None else rng

    def sample(self, n, rng=None):
        raise NotImplementedError

    def sample_at(self, n, rng=None, resolution=None):
        """`n` images box-downsampled from full resolution to `resolution` (a power of two)."""
        resolution = self.resolution if resolution is None else resolution
        if resolution > self.resolution or self.resolution % resolution:
            raise ValueError(f"sample_at: resolution {resolution} must be a power of two no "
                             f"larger than {self.resolution}")
        return downsample_box(self.sample(n, rng), self.resolution // resolution)


class InMemoryImages(ImageDataset):
    """A finite set of images kept in memory as one uint8 NCHW array.

    uint8 takes a quarter of the memory of float32; a batch is converted to [-1, 1] when drawn.
    The stored images may be at another power-of-two size than `resolution` (Fashion-MNIST is
    stored padded to 32x32); drawn batches are resampled to `resolution` (resample_to).
    With `mirror=True` each drawn image is flipped left-right with probability 1/2, which
    doubles the effective size of a small data set of things that look right mirrored.
    """

    def __init__(self, images, resolution=None, mirror=False, seed=0):
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[2] != images.shape[3]:
            raise ValueError(f"InMemoryImages: expected square uint8 NCHW images, got "
                             f"{images.dtype} {images.shape}")
        if len(images) == 0:
            raise ValueError("InMemoryImages: no images")
        resolution = images.shape[-1] if resolution is None else resolution
        super().__init__(resolution, images.shape[1], seed)
        self.images = images
        self.mirror = bool(mirror)

    def __len__(self):
        return len(self.images)

    def take(self, indices):
        """The images at `indices`, float32 in [-1, 1] at `resolution`, never mirrored."""
        batch = self.images[np.asarray(indices)].astype(np.float32)
        batch *= 2.0 / 255.0
        batch -= 1.0
        return resample_to(batch, self.resolution)

    def sample(self, n, rng=None):
        """`n` images drawn uniformly with replacement (and randomly mirrored if asked)."""
        rng = self._rng(rng)
        batch = self.take(rng.integers(0, len(self.images), size=n))
        if self.mirror:
            flip = rng.random(n) < 0.5
            batch[flip] = batch[flip, :, :, ::-1]
        return batch


class FashionMNIST(InMemoryImages):
    """Fashion-MNIST as 1-channel images at a power-of-two resolution from 4 to 128.

    The 28x28 originals are padded with black (the background colour of the set) to 32x32,
    which keeps every pixel and needs no interpolation; 32 is then box-downsampled to smaller
    resolutions or nearest-upsampled to larger ones.  `.labels` holds the class of each image.
    """

    def __init__(self, resolution, path=None, split="train", mirror=False, seed=0):
        resolution = check_resolution(resolution, max_resolution=128)
        images, labels = load_fashion_mnist(path, split)
        padded = np.zeros((len(images), 1, 32, 32), dtype=np.uint8)
        padded[:, 0, 2:30, 2:30] = images
        super().__init__(padded, resolution, mirror=mirror, seed=seed)
        self.labels = labels


def make_dataset(spec, resolution, seed=0, mirror=False, fashion_mnist_path=None):
    """Build a data set from a command-line spec.

    spec: "toyfaces", "toyfaces-warped" (toy faces without dark skin on a dark background, for the
    StyleGAN paper's warped-Z experiment), "fashion-mnist", "ring", "grid" (2-D toys; `resolution` is ignored) or a
    path to a folder of PNG/JPEG images.  Image sets check that `resolution` is a power of two
    from 4 to 128 (to 1024 for folders).  `mirror` flips images at random; toy faces ignore it,
    as their distribution is already symmetric left-right.
    """
    # Imported here, not at the top: these modules import ImageDataset from this one.
    from stylegan_np.data.folder import ImageFolder
    from stylegan_np.data.toy2d import Toy2D
    from stylegan_np.data.toyfaces import ToyFaces

    name = str(spec).strip().lower()
    if name in ("toyfaces", "toy-faces", "faces"):
        return ToyFaces(resolution, seed=seed)
    if name == "toyfaces-warped":
        return ToyFaces(resolution, seed=seed, leave_out="dark-skin-dark-background")
    if name in ("fashion-mnist", "fashion_mnist", "fashionmnist"):
        return FashionMNIST(resolution, path=fashion_mnist_path, mirror=mirror, seed=seed)
    if name in ("ring", "grid"):
        return Toy2D(name, seed=seed)
    path = os.path.expanduser(os.fspath(spec))
    if not os.path.exists(path):
        raise UserError(f"no data set named {str(spec)!r} and no folder at {path}: use one of "
                        f"{', '.join(DATASET_NAMES)} or a path to a folder of images")
    return ImageFolder(path, resolution, mirror=mirror, seed=seed)
