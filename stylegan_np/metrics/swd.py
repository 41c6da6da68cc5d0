"""Sliced Wasserstein Distance (SWD) between two sets of images, as in ProGAN.

Karras et al. 2018, "Progressive Growing of GANs", section 5 and appendix D, measure how
close generated images are to real ones *at every scale* with this recipe:

1. Build a Laplacian pyramid of every image (Burt & Adelson 1983): level 0 holds the finest
   details at full resolution, each next level the details one octave coarser, and the last
   level is a blurred 16x16 copy of the image.  Each level isolates one band of spatial
   frequencies, so a metric on one level says how well that scale is reproduced.
2. From every level of every image take random 7x7 neighbourhoods ("descriptors", 7*7*C
   numbers each); ProGAN takes 128 per image per level.  The set of all descriptors of one
   level is a sample of the distribution of local image patches at that scale.
3. Compare the real and the fake descriptor sets of each level with the sliced Wasserstein
   distance (Rabin et al. 2011): project both sets onto random unit directions, and for every
   direction compute the Wasserstein-1 distance of the two 1-D projections, which in 1-D is
   simply the mean absolute difference of the *sorted* projections.  Average over directions.

The result is one number per level (ProGAN multiplies it by 1e3 for display) and their mean.
Small SWD at the fine levels means the textures/edges look right; at the coarse level, that
the overall layout and colours do.

Choices made here (each differs from, or fixes a detail of, ProGAN's code; see also the
class docstring):

* Normalisation.  ProGAN's code standardises each descriptor set per colour channel with that
  set's *own* mean and std.  That makes SWD blind to a global brightness or contrast change
  of the fakes.  Here both sets are standardised with the per-channel mean and std of the
  *real* descriptors of that level, so such a change shows up and the scale of the numbers
  is fixed by the real data alone (the fakes cannot rescale their own yardstick).  As in
  ProGAN, the SWD is still unchanged by an affine change ``a * x + b`` (``a > 0``) of the
  pixel values applied to both sets, so images in [-1, 1] and [0, 255] give the same numbers.
* Directions.  ProGAN's code uses 4 repeats of 128 random directions (512 in all); these are
  the defaults here too (``n_directions`` counts directions *per repeat*).

Cost: for every level, repeat and direction both descriptor sets are projected (a matrix
product) and sorted, so the time grows with images x descriptors per image x directions x
repeats x levels.  With ProGAN's settings, 2,000 against 2,000 32x32 RGB images (256,000
descriptors per set and level) take about 17 s on one CPU core, nearly all of it in the
matrix products and the sorts; fewer descriptors or directions make it proportionally faster.
* Neighbourhood positions.  The random 7x7 positions are drawn from the same seeded stream
  for the real and for the fake set, so with equally many images both sets are sampled at
  the same places.  The positions do not depend on the pixels, so this adds no bias; it only
  removes sampling noise from comparisons (a set against itself gives exactly 0).
* Small images.  ProGAN stops the pyramid at 16x16.  Images of 8x8 get a single level (no
  pyramid) with 7x7 neighbourhoods; 4x4 images a single level with 3x3 neighbourhoods.

Arrays on a GPU (e.g. CuPy, anything with a ``.get()`` that returns a NumPy array) are copied
to the host first; this module imports nothing but NumPy.
"""

import numpy as np

__all__ = [
    "SlicedWasserstein",
    "sliced_wasserstein",
    "pyramid_down",
    "pyramid_up",
    "laplacian_pyramid",
    "reconstruct_laplacian_pyramid",
    "pyramid_resolutions",
    "extract_descriptors",
    "random_directions",
    "wasserstein_1d",
    "sliced_wasserstein_projected",
    "to_numpy",
]

# The 5-tap binomial filter [1, 4, 6, 4, 1] / 16: a cheap approximation of a Gaussian with
# sigma ~ 1, the classic Burt & Adelson pyramid kernel, and the one ProGAN uses (it matches
# OpenCV's pyrDown/pyrUp).  Applied separably: first along rows, then along columns.
BINOMIAL_TAPS = np.array([1.0, 4.0, 6.0, 4.0, 1.0], dtype=np.float32) / 16.0

MIN_PYRAMID_RESOLUTION = 16  # ProGAN's coarsest level (appendix D)
NEIGHBOURHOOD_SIZE = 7  # ProGAN's 7x7 descriptors
DIRECTIONS_PER_CHUNK = 128  # how many projections are held in memory at once (speed/memory only)


# ---------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------


def to_host(array, dtype=None):
    """``array`` as a NumPy array (of ``dtype``, if given), copied off the GPU if need be.

    A CuPy array has a ``.get()`` method that copies it to the host (``np.asarray`` on it raises);
    we call it by duck typing so that this module never has to import CuPy.
    """
    if not isinstance(array, np.ndarray) and callable(getattr(array, "get", None)):
        array = array.get()
    return np.asarray(array, dtype=dtype)


def to_numpy(images):
    """Return ``images`` as a float32 NumPy array, copying it off the GPU if need be."""
    return to_host(images, np.float32)


def _is_power_of_two(n):
    return n >= 1 and (n & (n - 1)) == 0


# ---------------------------------------------------------------------------------------------
# Laplacian pyramid (Burt & Adelson 1983; ProGAN appendix D)
# ---------------------------------------------------------------------------------------------


def _filter_last_axis(x, taps):
    """Correlate every row of ``x`` (along its last axis) with the odd-length ``taps``.

    The border is handled by mirror reflection without repeating the edge sample
    (``d c b | a b c d | c b a``), as in ProGAN (scipy's "mirror") and OpenCV's default.
    Mirroring keeps a constant image constant, so the pyramid invents no edge at the border.
    The loop runs over the 5 taps, never over pixels.
    """
    radius = len(taps) // 2
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(radius, radius)], mode="reflect")
    width = x.shape[-1]
    out = taps[0] * padded[..., 0:width]
    for offset in range(1, len(taps)):
        out += taps[offset] * padded[..., offset : offset + width]
    return out


def _blur(x, taps):
    """Separable 2-D blur of NCHW images: filter along W, then along H."""
    x = _filter_last_axis(x, taps)
    return _filter_last_axis(x.swapaxes(-1, -2), taps).swapaxes(-1, -2)


def pyramid_down(images):
    """Blur with the binomial filter, then keep every second row and column: (H, W) -> (H/2, W/2).

    Blurring first removes the frequencies that the half-resolution grid cannot represent
    (anti-aliasing), so the small image is a faithful low-pass copy.
    """
    images = to_numpy(images)
    return np.ascontiguousarray(_blur(images, BINOMIAL_TAPS)[..., ::2, ::2])


def pyramid_up(images):
    """Double the resolution: put the pixels on the even grid points, zeros elsewhere, blur.

    The blur interpolates the zeros.  Its taps are the binomial taps times 2 per axis (times 4
    in 2-D) because only one output pixel in four received a value: the factor restores the
    mean brightness, so a constant image stays the same constant.
    """
    images = to_numpy(images)
    n, c, h, w = images.shape
    spread = np.zeros((n, c, 2 * h, 2 * w), dtype=np.float32)
    spread[..., ::2, ::2] = images
    return _blur(spread, 2.0 * BINOMIAL_TAPS)


def laplacian_pyramid(images, n_levels):
    """Split NCHW images into ``n_levels`` frequency bands, finest first.

    Level k (k < n_levels - 1) is the detail that is lost when going down one octave:
    ``g_k - up(down(g_k))`` where ``g_0`` is the image and ``g_{k+1} = down(g_k)``.  The last
    level is the remaining low-pass image ``g_{n_levels - 1}``.  Because every detail level is
    defined as a difference against exactly what ``pyramid_up`` rebuilds, adding the levels
    back (``reconstruct_laplacian_pyramid``) returns the image up to float rounding.
    """
    if n_levels < 1:
        raise ValueError(f"a pyramid needs at least 1 level, got n_levels={n_levels}")
    current = to_numpy(images)
    levels = []
    for _ in range(n_levels - 1):
        smaller = pyramid_down(current)
        levels.append(current - pyramid_up(smaller))
        current = smaller
    levels.append(current)
    return levels


def reconstruct_laplacian_pyramid(levels):
    """Invert ``laplacian_pyramid``: start from the coarsest level, upsample, add the details."""
    image = levels[-1]
    for detail in reversed(levels[:-1]):
        image = pyramid_up(image) + detail
    return image


def pyramid_resolutions(resolution, min_resolution=MIN_PYRAMID_RESOLUTION):
    """The resolution of every pyramid level, finest first: 64 -> [64, 32, 16].

    Images already smaller than ``min_resolution`` get one level: themselves.
    """
    if not _is_power_of_two(resolution) or resolution < 4:
        raise ValueError(f"resolution must be a power of two >= 4, got {resolution}")
    resolutions = [resolution]
    while resolutions[-1] // 2 >= min_resolution:
        resolutions.append(resolutions[-1] // 2)
    return resolutions


def _neighbourhood_size(level_resolution):
    """7x7 as in ProGAN where it fits (levels of 8x8 and up); 3x3 on a 4x4 image."""
    return NEIGHBOURHOOD_SIZE if level_resolution > NEIGHBOURHOOD_SIZE else 3


# ---------------------------------------------------------------------------------------------
# Descriptors: random local neighbourhoods of one pyramid level
# ---------------------------------------------------------------------------------------------


def extract_descriptors(level, n_per_image, size, rng):
    """Cut ``n_per_image`` random ``size`` x ``size`` windows out of every image of ``level``.

    Returns an array of shape (N * n_per_image, C, size, size); rows
    ``i * n_per_image ... (i + 1) * n_per_image - 1`` come from image i.  Windows lie wholly
    inside the image (ProGAN does the same), so no padding values leak into the descriptors.
    Positions are drawn uniformly and independently, with replacement.
    """
    n_images, _, height, width = level.shape
    if size > min(height, width):
        raise ValueError(f"a {size}x{size} neighbourhood does not fit in a {height}x{width} level")
    # windows[n, c, y, x] is the size x size window whose top-left corner is (y, x): a view,
    # nothing is copied until we index it.
    windows = np.lib.stride_tricks.sliding_window_view(level, (size, size), axis=(2, 3))
    image_index = np.repeat(np.arange(n_images), n_per_image)
    top = rng.integers(0, height - size + 1, size=image_index.shape[0])
    left = rng.integers(0, width - size + 1, size=image_index.shape[0])
    # Advanced indices on axes 0, 2, 3 around the channel slice: NumPy puts the broadcast
    # index axis first, giving (N * n_per_image, C, size, size).
    return windows[image_index, :, top, left]


def _channel_statistics(descriptors):
    """Per-channel mean and std over all descriptors and all positions inside them.

    Each channel's values are first gathered into one contiguous row, so the sums run along
    contiguous memory (fast, and NumPy's pairwise summation keeps float32 sums accurate); the
    totals are then formed in float64.  A channel that is (numerically) constant has no scale
    to divide by: it is left unscaled rather than having its rounding noise blown up.
    """
    per_channel = np.moveaxis(descriptors, 1, 0).reshape(descriptors.shape[1], -1)
    mean = per_channel.mean(axis=1, dtype=np.float64)
    centred = per_channel - mean[:, None].astype(np.float32)
    std = np.sqrt(np.square(centred).mean(axis=1, dtype=np.float64))
    std = np.where(std > 1e-6, std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def _standardise(descriptors, mean, std):
    """Subtract ``mean`` and divide by ``std`` per channel, then flatten each descriptor."""
    standard = descriptors - mean[None, :, None, None]
    standard /= std[None, :, None, None]
    return standard.reshape(descriptors.shape[0], -1)


# ---------------------------------------------------------------------------------------------
# The sliced Wasserstein distance itself
# ---------------------------------------------------------------------------------------------


def random_directions(dim, n_directions, rng):
    """``n_directions`` independent random unit vectors in R^dim, as columns of a (dim, n) array.

    A standard normal vector divided by its length is uniformly distributed on the unit
    sphere, which is what the sliced Wasserstein distance averages over.
    """
    directions = rng.standard_normal((dim, n_directions))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    return directions.astype(np.float32)


def wasserstein_1d(x, y, axis=-1):
    """Wasserstein-1 distance between two equally sized 1-D samples (along ``axis``).

    For empirical distributions with n points each, the optimal transport plan in 1-D pairs
    the i-th smallest x with the i-th smallest y (crossing two pairings never makes the total
    shorter), so ``W1 = mean_i |x_(i) - y_(i)|`` with ``x_(i)`` the sorted sample.  Other
    axes are independent batches: one distance is returned per batch element.
    """
    x = to_host(x)
    y = to_host(y)
    if x.shape != y.shape:
        raise ValueError(f"samples must have equal shapes, got {x.shape} and {y.shape}")
    return _mean_abs_difference(np.sort(x, axis=axis), np.sort(y, axis=axis), axis)


def _mean_abs_difference(x_sorted, y_sorted, axis):
    """``mean |x_sorted - y_sorted|`` along ``axis``: the W1 distance of already sorted samples."""
    difference = np.subtract(x_sorted, y_sorted)
    np.abs(difference, out=difference)
    return difference.sum(axis=axis).astype(np.float64) / x_sorted.shape[axis]


def sliced_wasserstein_projected(a, b, directions):
    """Mean over ``directions`` of the 1-D Wasserstein-1 distance of the projected sets.

    ``a`` and ``b`` are (M, D) descriptor sets of equal size, ``directions`` a (D, K) array of
    unit vectors.  Projecting on one direction gives M numbers per set; their W1 distance
    (``wasserstein_1d``) is one "slice".  The directions are processed in chunks only to bound
    memory (the projections of 256k descriptors on 512 directions take 0.5 GB per set).
    """
    if a.shape != b.shape:
        raise ValueError(f"descriptor sets must have the same shape, got {a.shape} and {b.shape}")
    total = 0.0
    for start in range(0, directions.shape[1], DIRECTIONS_PER_CHUNK):
        chunk = directions[:, start : start + DIRECTIONS_PER_CHUNK]
        # (K, D) @ (D, M) -> (K, M): each row holds one direction's projections, contiguous
        # in memory, so the sorts below run along contiguous rows.  These arrays are ours,
        # so they are sorted in place (what wasserstein_1d does, without its copies).
        projected_a = chunk.T @ a.T
        projected_b = chunk.T @ b.T
        projected_a.sort(axis=-1)
        projected_b.sort(axis=-1)
        total += _mean_abs_difference(projected_a, projected_b, axis=-1).sum()
    return total / directions.shape[1]


class SlicedWasserstein:
    """Multi-scale sliced Wasserstein distance between real and generated images (ProGAN §5).

    ``resolution`` is the images' side length (a power of two >= 4).  Per pyramid level and
    per image, ``n_descriptors_per_image`` random 7x7 neighbourhoods are taken; the SWD of a
    level averages ``n_repeats`` batches of ``n_directions`` random directions.  Everything
    random derives from ``seed``, so the same inputs give the same numbers.

    See the module docstring for the choices that differ from ProGAN's code (normalising both
    sets by the real set's statistics; shared neighbourhood positions; small images).
    """

    # Independent random streams derived from the seed, one per purpose.
    _POSITION_STREAM = 0
    _DIRECTION_STREAM = 1

    def __init__(self, resolution, n_descriptors_per_image=128, n_directions=128, n_repeats=4, seed=0):
        self.resolution = int(resolution)
        self.levels = pyramid_resolutions(self.resolution)
        for name, value in [
            ("n_descriptors_per_image", n_descriptors_per_image),
            ("n_directions", n_directions),
            ("n_repeats", n_repeats),
        ]:
            if int(value) < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self.n_descriptors_per_image = int(n_descriptors_per_image)
        self.n_directions = int(n_directions)
        self.n_repeats = int(n_repeats)
        self.seed = int(seed)

    def _rng(self, stream):
        return np.random.default_rng([self.seed, stream])

    def _check_images(self, images, name):
        images = to_numpy(images)
        if images.ndim != 4:
            raise ValueError(f"{name} must be NCHW (4-D), got shape {images.shape}")
        n, _, height, width = images.shape
        if n < 1 or height != self.resolution or width != self.resolution:
            raise ValueError(
                f"{name} must be N x C x {self.resolution} x {self.resolution} with N >= 1, "
                f"got shape {images.shape}"
            )
        if not np.all(np.isfinite(images)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return images

    def descriptors(self, images, rng):
        """Raw (not yet normalised) descriptors of every pyramid level, finest level first.

        Returns a list with one (N * n_descriptors_per_image, C, k, k) float32 array per
        level of ``self.levels`` (k = 7, or 3 for 4x4 images).  ``rng`` is a
        ``numpy.random.Generator`` that picks the neighbourhood positions.
        """
        images = self._check_images(images, "images")
        pyramid = laplacian_pyramid(images, len(self.levels))
        return [
            extract_descriptors(level, self.n_descriptors_per_image, _neighbourhood_size(level.shape[-1]), rng)
            for level in pyramid
        ]

    def distance(self, real_images, fake_images):
        """SWD between two equally sized image sets.

        Returns ``{"levels": [resolution per level, finest first], "swd": [SWD x 1e3 per
        level], "swd_mean": mean of "swd"}``.  Lower is better; 0 means identical sets.
        """
        real_images = self._check_images(real_images, "real_images")
        fake_images = self._check_images(fake_images, "fake_images")
        if real_images.shape != fake_images.shape:
            # Equal sizes make the 1-D Wasserstein distance a plain sorted difference.
            raise ValueError(
                f"real and fake sets must have the same shape (subsample the larger one), "
                f"got {real_images.shape} and {fake_images.shape}"
            )
        # A fresh generator from the same stream for each set: both are sampled at the same
        # neighbourhood positions (see the module docstring).
        real_descriptors = self.descriptors(real_images, self._rng(self._POSITION_STREAM))
        fake_descriptors = self.descriptors(fake_images, self._rng(self._POSITION_STREAM))
        direction_rng = self._rng(self._DIRECTION_STREAM)

        swd = []
        for real_level, fake_level in zip(real_descriptors, fake_descriptors):
            mean, std = _channel_statistics(real_level)
            a = _standardise(real_level, mean, std)
            b = _standardise(fake_level, mean, std)
            repeats = [
                sliced_wasserstein_projected(a, b, random_directions(a.shape[1], self.n_directions, direction_rng))
                for _ in range(self.n_repeats)
            ]
            swd.append(float(np.mean(repeats)) * 1e3)  # x1e3, as ProGAN reports it
        return {"levels": list(self.levels), "swd": swd, "swd_mean": float(np.mean(swd))}


def sliced_wasserstein(real, fake, **kwargs):
    """One-call SWD: ``SlicedWasserstein(resolution, **kwargs).distance(real, fake)``.

    The resolution is read from the images' last axis.
    """
    real = to_numpy(real)
    if real.ndim != 4:
        raise ValueError(f"real must be NCHW (4-D), got shape {real.shape}")
    return SlicedWasserstein(real.shape[-1], **kwargs).distance(real, fake)
