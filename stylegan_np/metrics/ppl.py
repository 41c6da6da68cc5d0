"""Perceptual path length (Karras, Laine & Aila 2019, section 4.1, equations 2 and 3).

How much does the image change when the latent moves a tiny step along an interpolation path?  A
latent space where interpolation goes through a smooth sequence of images has a short path; one
where a straight line passes through features that are in neither end point (the paper's sign of
entanglement) has a long one.  For pairs of latents z1, z2 and t along the path,

    l_Z = E[ d(G(slerp(z1, z2; t)), G(slerp(z1, z2; t + eps))) / eps^2 ]       (slerp: z is Gaussian,
    l_W = E[ d(g(lerp(f(z1), f(z2); t)), g(lerp(f(z1), f(z2); t + eps))) / eps^2 ]   its mass on a sphere)

with eps = 1e-4, the same noise inputs for both images of a pair, t ~ U(0, 1) ("full" paths) or
t = 0 ("end" points: t in {0, 1} in the paper, and by the symmetry slerp(z1, z2; 1 - s) =
slerp(z2, z1; s) t = 0 alone gives the same distribution; NVlabs' code also uses t = 0).  The
paper removes the pairs below the 1st and above the 99th percentile of the distances before
averaging; so do we.

d: the paper uses LPIPS, a squared distance between deep features of VGG trained on ImageNet, with
per-channel normalisation and learned weights.  We have no VGG (and no downloads): d is the squared
Euclidean distance between the 64 features of our own features network (features.py), each
feature divided by its standard deviation over real faces so that every feature counts alike, as
LPIPS unit-normalises its channels.  Our numbers are on our own scale: compare them with each
other, not with the paper's.
"""
from __future__ import annotations

import numpy as np

EPSILON = 1e-4            # the paper's step (section 4.1)


def slerp(a, b, t):
    """Spherical interpolation between the directions of a and b (rows), as NVlabs' PPL does: both
    are normalised to unit length and the result is a unit vector at angle t * angle(a, b) from a.
    (StyleGAN pixel-normalises z first, so only the direction of z matters.)"""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    cos = np.clip(np.sum(a * b, axis=-1, keepdims=True), -1.0, 1.0)
    angle = np.arccos(cos) * np.reshape(t, (-1, 1))
    # The unit vector in the plane of a and b, orthogonal to a, pointing towards b.
    towards = b - cos * a
    towards = towards / np.maximum(np.linalg.norm(towards, axis=-1, keepdims=True), 1e-12)
    out = a * np.cos(angle) + towards * np.sin(angle)
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def lerp(a, b, t):
    return a + (b - a) * np.reshape(t, (-1, 1))


def filtered_mean(distances, low=1.0, high=99.0):
    """Mean of the values between the `low`-th and `high`-th percentiles (inclusive), as the paper
    removes outliers before averaging."""
    distances = np.asarray(distances, dtype=np.float64)
    lo, hi = np.percentile(distances, low, method="lower"), np.percentile(distances, high, method="higher")
    kept = distances[(distances >= lo) & (distances <= hi)]
    return float(kept.mean())


def path_distances(sampler, extractor, space="w", sampling="full", n=1000, epsilon=EPSILON, seed=0):
    """The n per-pair values d / eps^2 (before filtering)."""
    if space not in ("z", "w"):
        raise ValueError(f"space must be 'z' or 'w', got {space!r}")
    if sampling not in ("full", "end"):
        raise ValueError(f"sampling must be 'full' or 'end', got {sampling!r}")
    rng = np.random.default_rng([seed, 0 if space == "z" else 1, 0 if sampling == "full" else 1])
    z1, z2 = sampler.latents(n, rng), sampler.latents(n, rng)
    t = rng.uniform(0.0, 1.0, n) if sampling == "full" else np.zeros(n)
    noise = sampler.noise(n, rng)
    if space == "z":
        a, b = slerp(z1, z2, t), slerp(z1, z2, t + epsilon)
        images_a, images_b = sampler.from_z(a, noise), sampler.from_z(b, noise)
    else:
        w1, w2 = sampler.map(z1), sampler.map(z2)
        w1, w2 = w1.astype(np.float64), w2.astype(np.float64)
        a, b = lerp(w1, w2, t), lerp(w1, w2, t + epsilon)
        images_a, images_b = sampler.from_w(a.astype(np.float32), noise), sampler.from_w(b.astype(np.float32), noise)
    scale = extractor.feature_std
    fa, fb = extractor.features(images_a) / scale, extractor.features(images_b) / scale
    return np.sum((fa - fb) ** 2, axis=1) / epsilon ** 2


def perceptual_path_length(sampler, extractor, space="w", sampling="full", n=1000, epsilon=EPSILON, seed=0):
    """PPL in `space` ("z" or "w") with "full" or "end" sampling: the filtered mean of d / eps^2."""
    return filtered_mean(path_distances(sampler, extractor, space, sampling, n, epsilon, seed))
