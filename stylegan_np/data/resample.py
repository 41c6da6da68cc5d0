"""Changing the resolution of image batches, and ProGAN's fade between resolutions.

Progressive growing trains at 4x4 first, then 8x8, and so on.  The real images for a lower
resolution are made from the full-resolution ones by averaging blocks of pixels (a box filter),
which is exactly what the generator's own "toRGB at low resolution, then upsample" path can
imitate.  While a new, higher-resolution layer fades in, the reals fade too (`fade_reals`), so that
the discriminator never sees real images sharper than the generator can currently make.

All functions take NCHW batches and keep the dtype (float32 in, float32 out).
"""

import numpy as np

from stylegan_np.errors import UserError


def is_power_of_two(value):
    """True for 1, 2, 4, 8, ...; False for zero, negatives and non-integers."""
    return isinstance(value, (int, np.integer)) and value > 0 and (value & (value - 1)) == 0


def check_resolution(resolution, max_resolution=128, min_resolution=4):
    """Return `resolution` as an int, or raise a UserError saying what is allowed.

    The limits are user-facing: the networks are built from a 4x4 start by doublings, so only
    powers of two can be reached, and the upper limit is what this library is sized for.
    """
    if isinstance(resolution, bool) or not is_power_of_two(resolution) \
            or not min_resolution <= resolution <= max_resolution:
        raise UserError(f"resolution must be a power of two between {min_resolution} and "
                        f"{max_resolution}, got {resolution}")
    return int(resolution)


def _check_factor(images, factor, name):
    if not (isinstance(factor, (int, np.integer)) and factor >= 1):
        raise ValueError(f"{name}: factor must be a positive integer, got {factor!r}")
    if images.ndim != 4:
        raise ValueError(f"{name}: expected an NCHW batch, got shape {images.shape}")


def downsample_box(images, factor):
    """Average over non-overlapping `factor` x `factor` blocks: (N, C, H, W) -> (N, C, H/f, W/f).

    Reshaping splits each spatial axis into (blocks, pixels-in-block); the mean over the two
    pixels-in-block axes is the box filter, with no Python loop.
    """
    _check_factor(images, factor, "downsample_box")
    if factor == 1:
        return images.copy()
    n, c, h, w = images.shape
    if h % factor or w % factor:
        raise ValueError(f"downsample_box: {h}x{w} is not divisible by factor {factor}")
    blocks = images.reshape(n, c, h // factor, factor, w // factor, factor)
    return blocks.mean(axis=(3, 5), dtype=np.float32).astype(images.dtype, copy=False)


def upsample_nearest(images, factor):
    """Repeat every pixel into a `factor` x `factor` block: (N, C, H, W) -> (N, C, H*f, W*f).

    This is the exact inverse of `downsample_box` on images that are already constant in each
    block, which is what makes `fade_reals(x, 0)` equal to the low-resolution image.
    """
    _check_factor(images, factor, "upsample_nearest")
    if factor == 1:
        return images.copy()
    n, c, h, w = images.shape
    # Broadcasting a (.., H, 1, W, 1) view against (.., H, f, W, f) repeats without a copy loop.
    expanded = np.broadcast_to(images[:, :, :, None, :, None], (n, c, h, factor, w, factor))
    return expanded.reshape(n, c, h * factor, w * factor)


def resample_to(images, resolution):
    """Bring square power-of-two images to another power-of-two `resolution`.

    Smaller: box-downsample.  Larger: nearest-neighbour upsample (it invents no detail).
    """
    size = images.shape[-1]
    if resolution == size:
        return images
    if resolution < size:
        return downsample_box(images, size // resolution)
    return upsample_nearest(images, resolution // size)


def fade_reals(images, alpha):
    """ProGAN's fade-in for real images: lerp(upsample(downsample(x, 2), 2), x, alpha).

    alpha=0 gives the half-resolution image blown back up (what the generator makes just after a
    new layer is added); alpha=1 gives `images` unchanged.  The lerp is written as
    (1 - alpha) * low + alpha * x so that both ends are exact in floating point.
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"fade_reals: alpha must be in [0, 1], got {alpha}")
    ### BEGIN SOLUTION ch06_schedule: the reals blended like G's output during a fade-in, exact at alpha = 0 and alpha = 1
    low = upsample_nearest(downsample_box(images, 2), 2)
    if alpha == 0.0:
        return low
    if alpha == 1.0:
        return images.copy()
    dtype = images.dtype
    return ((1.0 - alpha) * low + alpha * images).astype(dtype, copy=False)
    ### END SOLUTION
