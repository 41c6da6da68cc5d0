"""Fréchet distance between two sets of features (FID: Heusel et al. 2017, "GANs trained by a two
time-scale update rule converge to a local Nash equilibrium", equation 6).

Fit a Gaussian to each set of features (mean mu, covariance Sigma); the Fréchet (Wasserstein-2)
distance between two Gaussians is, squared,

    d^2 = |mu_1 - mu_2|^2 + tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^(1/2)).

The paper's FID uses Inception-v3's 2048 pool3 features; ours are the 64 features of the small
network in features.py, so our numbers are on another scale and comparable only with each other.

Like every FID, the estimate is biased upwards by the finite samples (two samples of the *same*
distribution score above 0, more so with fewer images), so numbers are comparable only at the same
sample size; `python -m stylegan_np.evaluate` reports the score of real data against real data at
its sample size next to every FID.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from ..errors import UserError


def gaussian_statistics(features):
    """(mean, covariance) of (N, D) features, in float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise UserError(f"FID needs at least 2 feature vectors as an (N, D) array, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """d^2 between N(mu1, sigma1) and N(mu2, sigma2) (the formula in the module docstring).

    scipy.linalg.sqrtm of the product of two covariance matrices can come back with tiny imaginary
    parts (the product is not symmetric, and rounding breaks the conjugate pairs of its
    eigenvalues) or, when a covariance is singular (fewer samples than features), with inf/NaN or
    large imaginary parts.  The tiny ones are dropped; otherwise both matrices get a small ridge
    1e-6 I, as in the reference implementation (TTUR, pytorch-fid), and the root is taken again.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(f"shapes do not match: mu {mu1.shape} {mu2.shape}, sigma {sigma1.shape} {sigma2.shape}")
    covmean = _real_part(_sqrtm(sigma1 @ sigma2))
    if covmean is None:
        ridge = np.eye(len(mu1)) * 1e-6
        covmean = _real_part(_sqrtm((sigma1 + ridge) @ (sigma2 + ridge)))
        if covmean is None:
            raise ValueError("sqrtm(sigma1 sigma2) is not real even with a ridge: are these covariance matrices?")
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def _real_part(covmean):
    """The real matrix square root, or None when it is not finite or has an imaginary part beyond
    rounding (more than 1e-3 of its real part: rounding leaves parts many orders smaller)."""
    if not np.all(np.isfinite(covmean)):
        return None
    if np.iscomplexobj(covmean):
        scale = max(np.abs(covmean.real).max(), 1e-12)
        if np.abs(covmean.imag).max() > 1e-3 * scale:
            return None
        covmean = covmean.real
    return covmean


def _sqrtm(matrix):
    """scipy.linalg.sqrtm, quiet about the singular matrices that frechet_distance handles itself."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")              # "Matrix is singular and may not have a square root"
        return scipy.linalg.sqrtm(matrix)


def fid_from_features(real_features, fake_features):
    """FID between two (N, D) feature sets."""
    return frechet_distance(*gaussian_statistics(real_features), *gaussian_statistics(fake_features))


def fid(real_images, fake_images, extractor):
    """FID between two image sets in the features of `extractor` (a features.FeatureExtractor).
    Generated images are clipped to [-1, 1] first, as they are when saved as pictures."""
    fake_images = np.clip(fake_images, -1.0, 1.0)
    return fid_from_features(extractor.features(real_images), extractor.features(fake_images))
