"""Two-dimensional toy distributions: mixtures of tight Gaussians on a ring or a grid.

These are the classic test beds for mode collapse.  Every mode is easy to learn on its own; a
generator that collapses puts all its samples on a few modes, which you can see in a scatter plot
and count with `mode_coverage`.

Both default to a spread of std 0.05, which keeps neighbouring modes about 30 standard deviations
apart.  The tighter std 0.02 of some papers is the same test but slower: measured with the CLI's
ring recipe (training/config.py), an MLP GAN covers all 8 modes after about 100-130 kimg at std
0.05 and only after 150-400 kimg at std 0.02 (`Toy2D("ring", std=0.02)` still gives it).
"""

import numpy as np


def ring_centres(modes=8, radius=2.0):
    """(modes, 2) float32 centres evenly spaced on a circle of `radius`, the first one on +x."""
    angles = 2.0 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def grid_centres(side=5, spacing=2.0):
    """(side*side, 2) float32 centres of a square grid centred on the origin."""
    coords = (np.arange(side) - (side - 1) / 2.0) * spacing
    xs, ys = np.meshgrid(coords, coords, indexing="xy")
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def sample_mixture(n, rng, centres, std):
    """`n` draws from an equal-weight mixture of isotropic Gaussians at `centres`."""
    which = rng.integers(0, len(centres), size=n)
    noise = rng.standard_normal((n, 2)) * std
    return (centres[which] + noise).astype(np.float32)


def ring_of_gaussians(n, rng, modes=8, radius=2.0, std=0.05):
    """(n, 2) float32 samples from `modes` Gaussians of standard deviation `std` on a ring."""
    return sample_mixture(n, rng, ring_centres(modes, radius), std)


def grid_of_gaussians(n, rng, side=5, spacing=2.0, std=0.05):
    """(n, 2) float32 samples from side*side Gaussians of standard deviation `std` on a grid."""
    return sample_mixture(n, rng, grid_centres(side, spacing), std)


def mode_coverage(samples, centres, std, threshold_sigmas=3, min_fraction=None):
    """Count the modes a set of samples covers, and how many samples are good.

    Each sample is assigned to its nearest centre; it is "high quality" when it lies within
    `threshold_sigmas` standard deviations of that centre (for a true sample in 2-D this happens
    with probability 1 - exp(-threshold_sigmas**2 / 2), about 99% at 3 sigmas).  A mode counts as
    hit when at least `min_fraction` of all samples are high-quality samples of that mode; the
    default, a quarter of the 1/len(centres) share a perfect generator gives each mode, ignores a
    few stray samples but not a mode that is merely under-weighted.

    Returns (modes_hit: int, high_quality_fraction: float).
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    centres = np.asarray(centres, dtype=np.float64).reshape(-1, 2)
    if len(samples) == 0:
        return 0, 0.0
    if min_fraction is None:
        min_fraction = 0.25 / len(centres)
    # (n, k) distances; fine for the few thousand samples a coverage check uses.
    dists = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)
    nearest = dists.argmin(axis=1)
    good = dists[np.arange(len(samples)), nearest] <= threshold_sigmas * std
    hits_per_mode = np.bincount(nearest[good], minlength=len(centres))
    modes_hit = int(np.sum(hits_per_mode >= min_fraction * len(samples)))
    return modes_hit, float(good.mean())


class Toy2D:
    """A 2-D toy distribution behind the same `.sample(n, rng)` call as the image data sets.

    `.dim` is 2 (there is no resolution); `.centres` and `.std` are kept so that training code can
    call `.coverage(samples)` without knowing which toy it has.
    """

    dim = 2

    def __init__(self, kind="ring", seed=0, **options):
        if kind == "ring":
            self.centres = ring_centres(options.get("modes", 8), options.get("radius", 2.0))
            self.std = options.get("std", 0.05)
        elif kind == "grid":
            self.centres = grid_centres(options.get("side", 5), options.get("spacing", 2.0))
            self.std = options.get("std", 0.05)
        else:
            raise ValueError(f"Toy2D: kind must be 'ring' or 'grid', got {kind!r}")
        self.kind = kind
        self.rng = np.random.default_rng(seed)

    def sample(self, n, rng=None):
        """(n, 2) float32 samples; uses the data set's own generator when `rng` is None."""
        return sample_mixture(n, self.rng if rng is None else rng, self.centres, self.std)

    def coverage(self, samples, threshold_sigmas=3):
        """`mode_coverage` of `samples` against this distribution's modes."""
        return mode_coverage(samples, self.centres, self.std, threshold_sigmas)

    def __repr__(self):
        return f"Toy2D({self.kind!r}, modes={len(self.centres)}, std={self.std})"
