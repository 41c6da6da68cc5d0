"""Data sets for training: toy faces (the default), Fashion-MNIST, image folders and 2-D toys.

Images are float32 NCHW in [-1, 1] on the host; see dataset.py for the common interface and
`make_dataset` for building one from a command-line spec.
"""

from stylegan_np.data.dataset import (DATASET_NAMES, FashionMNIST, ImageDataset, InMemoryImages,
                                      make_dataset)
from stylegan_np.data.folder import IMAGE_EXTENSIONS, ImageFolder, find_images, load_square_image
from stylegan_np.data.idx import (FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, load_fashion_mnist,
                                  read_idx)
from stylegan_np.data.resample import (check_resolution, downsample_box, fade_reals,
                                       is_power_of_two, resample_to, upsample_nearest)
from stylegan_np.data.toy2d import (Toy2D, grid_centres, grid_of_gaussians, mode_coverage,
                                    ring_centres, ring_of_gaussians)
from stylegan_np.data.toyfaces import FACTOR_NAMES, ToyFaces, sample_factors, toy_faces

__all__ = [
    "DATASET_NAMES", "FashionMNIST", "ImageDataset", "InMemoryImages", "make_dataset",
    "IMAGE_EXTENSIONS", "ImageFolder", "find_images", "load_square_image",
    "FASHION_MNIST_CLASSES", "FASHION_MNIST_DIR", "load_fashion_mnist", "read_idx",
    "check_resolution", "downsample_box", "fade_reals", "is_power_of_two", "resample_to",
    "upsample_nearest",
    "Toy2D", "grid_centres", "grid_of_gaussians", "mode_coverage", "ring_centres",
    "ring_of_gaussians",
    "FACTOR_NAMES", "ToyFaces", "sample_factors", "toy_faces",
]
