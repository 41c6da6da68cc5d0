"""Reading IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension, then the raw values
in C order.  The magic's bytes are 0, 0, a type code (0x08 = uint8, ...) and the number of
dimensions, so images (N x 28 x 28 uint8) have magic 0x00000803 = 2051 and labels (N uint8)
have 0x00000801 = 2049.  The files are often gzip-compressed; we detect that from the content.
"""

import gzip
import os
import struct
import zlib

import numpy as np

from stylegan_np.errors import UserError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

# IDX type code -> big-endian NumPy dtype.
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# Where Debian's `dataset-fashion-mnist` package installs the four gzipped files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist/"
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _read_bytes(path):
    """The file's bytes, gunzipped when they start with the gzip signature 1f 8b."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise UserError(f"cannot read IDX file {path}: {err.strerror or err}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise UserError(f"IDX file {path} is a corrupt gzip file ({err}); "
                            "download it again") from None
    return raw


def read_idx(path, expect_magic=None):
    """Read one IDX file (plain or gzip) into a NumPy array of its native type and shape.

    `expect_magic` (e.g. IMAGES_MAGIC) makes a file of another kind an error.  Every malformed
    file (bad magic, short header, too little or too much data) is a one-line UserError.
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise UserError(f"IDX file {path} is too short to hold a header; download it again")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    magic = struct.unpack(">I", data[:4])[0]
    if zero != 0 or type_code not in _IDX_TYPES or ndim == 0:
        raise UserError(f"{path} is not an IDX file (magic number {magic}); "
                        "expected MNIST-format IDX data")
    if expect_magic is not None and magic != expect_magic:
        raise UserError(f"IDX file {path} has magic number {magic}, expected {expect_magic}; "
                        "are the image and label files mixed up?")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise UserError(f"IDX file {path} is truncated inside its header; download it again")
    shape = struct.unpack(f">{ndim}I", data[4:header_end])
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_end
    if actual != expected:
        what = "truncated" if actual < expected else "longer than its header says"
        raise UserError(f"IDX file {path} is {what} ({actual} data bytes, header says "
                        f"{expected}); download it again")
    array = np.frombuffer(data, dtype=dtype, offset=header_end).reshape(shape)
    # Native byte order, and a writable copy independent of the file's bytes.
    return array.astype(dtype.newbyteorder("="))


def _find_idx_file(directory, stem):
    """The first existing spelling of an IDX file: with or without .gz, '-' or '.' before idx."""
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def load_fashion_mnist(path=None, split="train"):
    """Load Fashion-MNIST (or MNIST: the file names are the same) from a directory of IDX files.

    `path` defaults to FASHION_MNIST_DIR, where `apt-get install dataset-fashion-mnist` puts
    train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz and the t10k-* test files.
    `split` is "train" (60,000 images) or "test" (10,000).

    Returns (images: uint8 (N, 28, 28), labels: uint8 (N,)).
    """
    directory = FASHION_MNIST_DIR if path is None else os.fspath(path)
    prefixes = {"train": "train", "test": "t10k", "t10k": "t10k"}
    if split not in prefixes:
        raise UserError(f"split must be 'train' or 'test', got {split!r}")
    prefix = prefixes[split]
    if not os.path.isdir(directory):
        raise UserError(f"no Fashion-MNIST directory at {directory}: run "
                        "`apt-get install dataset-fashion-mnist` or pass a path to a directory "
                        "with the IDX files")
    found = {}
    for kind, stem in (("images", f"{prefix}-images-idx3-ubyte"),
                       ("labels", f"{prefix}-labels-idx1-ubyte")):
        found[kind] = _find_idx_file(directory, stem)
        if found[kind] is None:
            raise UserError(f"no {stem}[.gz] in {directory}: run "
                            "`apt-get install dataset-fashion-mnist` or pass a path to a "
                            "directory with the IDX files")
    images = read_idx(found["images"], expect_magic=IMAGES_MAGIC)
    labels = read_idx(found["labels"], expect_magic=LABELS_MAGIC)
    if len(images) != len(labels):
        raise UserError(f"{found['images']} has {len(images)} images but {found['labels']} has "
                        f"{len(labels)} labels; the files do not belong together")
    return images, labels
