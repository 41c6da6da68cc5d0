"""How warped is a latent space?  (The StyleGAN paper's figure 6, measured.)

Figure 6 of the paper: when a combination of factors is missing from the training data (long hair on
men, there), the mapping from Z to the factors must be curved, because Z is a Gaussian with no hole
in it and every z must land on a plausible image; a learned W need not be sampled from a fixed
distribution, so the mapping from W to the factors can stay closer to linear.

Our measurement: take pairs of latents, walk along the straight line between them (slerp in Z,
lerp in W), and follow the image's factors, as the features network reads them, along the way.
If the factors depended linearly on the latent, they would move along a straight segment, and the
length of their path would equal the distance between its ends.  The *bend* of a set of paths is
sum(path lengths) / sum(end-to-end distances) - 1: 0 for straight paths, larger the more the
factors wander off the straight line and come back.  We measure it on the factors of the left-out
combination (skin and background luminance, in units of their spread over the data), where the
paper's argument says the curvature is.
"""
from __future__ import annotations

import numpy as np

from ..data.toyfaces import luminance
from .ppl import lerp, slerp

WARP_FACTORS = {"skin luminance": lambda f: luminance(f, "skin"),
                "background luminance": lambda f: luminance(f, "bg")}


def path_bend(paths):
    """(P, K, D) factor values along P paths of K points each -> sum(lengths) / sum(chords) - 1."""
    paths = np.asarray(paths, dtype=np.float64)
    lengths = np.linalg.norm(np.diff(paths, axis=1), axis=2).sum(axis=1)
    chords = np.linalg.norm(paths[:, -1] - paths[:, 0], axis=1)
    return float(lengths.sum() / max(chords.sum(), 1e-12) - 1.0)


def factor_paths(sampler, extractor, space, n_paths=200, steps=17, seed=0, factors=WARP_FACTORS):
    """(n_paths, steps, len(factors)) factor values along straight lines in `space`."""
    rng = np.random.default_rng([seed, 21])
    z1, z2 = sampler.latents(n_paths, rng), sampler.latents(n_paths, rng)
    noise = sampler.noise(n_paths, rng)
    t = np.linspace(0.0, 1.0, steps)
    if space == "w":
        w1, w2 = sampler.map(z1), sampler.map(z2)
    values = []
    for tk in t:
        tt = np.full(n_paths, tk)
        if space == "z":
            images = sampler.from_z(slerp(z1, z2, tt).astype(np.float32), noise)
        else:
            images = sampler.from_w(lerp(w1, w2, tt).astype(np.float32), noise)
        predicted = extractor.predict(images)
        values.append(np.stack([fn(predicted) for fn in factors.values()], axis=1))
    return np.stack(values, axis=1)


def factor_spread(factors=WARP_FACTORS, seed=0, n=100_000):
    """Standard deviation of each warp factor over the (full) data, the unit of the paths."""
    from ..data.toyfaces import sample_factors
    f = sample_factors(n, np.random.default_rng([seed, 7]))
    return np.array([np.std(fn(f)) for fn in factors.values()])


def warp(sampler, extractor, n_paths=200, steps=17, seed=0):
    """{"bend_z", "bend_w" (StyleGAN only), "paths_z", "paths_w"}: paths in units of the factors' spread."""
    spread = factor_spread()
    out = {}
    for space in (("z", "w") if sampler.has_w else ("z",)):
        paths = factor_paths(sampler, extractor, space, n_paths, steps, seed) / spread
        out[f"paths_{space}"] = paths
        out[f"bend_{space}"] = path_bend(paths)
    return out
