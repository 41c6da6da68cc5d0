"""A user's own folder of PNG/JPEG images as a data set.

All images are loaded once, centre-cropped to a square, resized to the training resolution and
kept in memory as one uint8 array, so drawing a batch costs no disk access or decoding.
"""

import os
import warnings

import numpy as np
from PIL import Image, ImageOps

from stylegan_np.data.dataset import InMemoryImages
from stylegan_np.data.resample import check_resolution
from stylegan_np.errors import UserError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def find_images(root):
    """Paths of all PNG/JPEG files under `root`, recursively, in a stable (sorted) order."""
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()                       # os.walk visits subdirectories in this order
        found.extend(os.path.join(directory, name) for name in sorted(files)
                     if name.lower().endswith(IMAGE_EXTENSIONS))
    return found


def load_square_image(path, resolution):
    """One image as uint8 (3, resolution, resolution): RGB, centre-cropped, then resized.

    Cropping before resizing keeps the aspect ratio: faces are not squashed, the sides of a wide
    image (or the top and bottom of a tall one) are cut off instead.  LANCZOS filtering keeps
    downscaled images sharp without aliasing.
    """
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)   # phone photos store their rotation in EXIF
        image = image.convert("RGB")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    image = image.resize((resolution, resolution), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)


class ImageFolder(InMemoryImages):
    """Every readable PNG/JPEG under `path`, as an in-memory data set at `resolution`.

    Unreadable files are skipped with one warning that counts them; a missing folder, or one
    with no readable image, is a UserError.
    """

    def __init__(self, path, resolution, mirror=False, seed=0):
        resolution = check_resolution(resolution, max_resolution=1024)
        path = os.fspath(path)
        if not os.path.isdir(path):
            raise UserError(f"no image folder at {path}: pass a directory that contains "
                            ".png/.jpg/.jpeg images")
        files = find_images(path)
        if not files:
            raise UserError(f"no .png/.jpg/.jpeg images in {path} or its subfolders: "
                            "add some images or pass another folder")
        images = np.empty((len(files), 3, resolution, resolution), dtype=np.uint8)
        loaded = []
        for file in files:
            try:
                images[len(loaded)] = load_square_image(file, resolution)
            except Exception:                # a decoder can fail in many ways; all mean "skip"
                continue
            loaded.append(file)
        if not loaded:
            raise UserError(f"none of the {len(files)} images in {path} could be read: "
                            "check that they are valid PNG/JPEG files")
        skipped = len(files) - len(loaded)
        if skipped:
            noun = "image" if skipped == 1 else "images"
            warnings.warn(f"skipped {skipped} unreadable {noun} of {len(files)} in {path}",
                          stacklevel=2)
            images = images[:len(loaded)].copy()   # release the rows of skipped files
        super().__init__(images, resolution, mirror=mirror, seed=seed)
        self.path = path
        self.files = loaded

    def __repr__(self):
        return (f"ImageFolder({self.path!r}, resolution={self.resolution}, "
                f"images={len(self)}, mirror={self.mirror})")
