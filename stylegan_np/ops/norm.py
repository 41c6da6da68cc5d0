"""Normalisations and blends, as compositions of primitive ops (so their double backward is free)."""
from __future__ import annotations

from .elementwise import rsqrt
from .reductions import mean


def instance_norm(x, eps: float = 1e-8):
    """Normalise every feature map of every sample to mean 0 and variance 1 (over H and W):
    (x - mu) / sqrt(sigma^2 + eps).  The first half of AdaIN (StyleGAN, eq. 1)."""
    ### BEGIN SOLUTION ch07_adain: every feature map of every sample to mean 0 and variance 1 (eps inside the square root)
    centred = x - mean(x, axis=(2, 3), keepdims=True)
    return centred * rsqrt(mean(centred * centred, axis=(2, 3), keepdims=True) + eps)
    ### END SOLUTION


def pixel_norm(x, eps: float = 1e-8, axis: int = 1):
    """Scale each pixel's feature vector to unit root-mean-square: x / sqrt(mean(x^2) + eps)
    (ProGAN section 4.2; StyleGAN applies it to z before the mapping network)."""
    return x * rsqrt(mean(x * x, axis=axis, keepdims=True) + eps)


def lerp(a, b, t):
    """(1 - t) * a + t * b.  Written this way (not a + (b - a) * t) so that t=0 gives a and t=1 gives
    b exactly, bit for bit.  ProGAN's fade-in blends the old (upsampled) and new outputs with t = alpha."""
    ### BEGIN SOLUTION ch06_fade_in: the blend of a and b with weight t, exact at t = 0 and at t = 1
    return a * (1 - t) + b * t
    ### END SOLUTION
