"""One interface over every trained image generator, for the metrics: latents, Z -> W, images from Z
or from W with noise given by the caller (so that the two ends of a PPL step share their noise).

Everything in and out is host NumPy; the generator runs on the current backend, in batches.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad
from ..errors import UserError


class Sampler:
    """Wraps a generator `G` of model `model` ("stylegan", "progan", "dcgan" or "gan")."""

    def __init__(self, G, model, batch=250):
        self.G, self.model, self.batch = G, model, batch
        self.z_dim = G.z_dim
        self.has_w = model == "stylegan"          # a mapping to an intermediate latent space W

    def latents(self, n, rng):
        """(n, z_dim) standard normal latents."""
        return rng.standard_normal((n, self.z_dim)).astype(np.float32)

    def _batched(self, fn, *arrays):
        out = []
        with no_grad():
            for start in range(0, len(arrays[0]), self.batch):
                parts = [a[start:start + self.batch] if a is not None else None for a in arrays]
                out.append(backend.to_numpy(fn(*parts).data))
        return np.concatenate(out)

    def noise(self, n, rng):
        """Per-layer noise maps (one (n, 1, r, r) array per styled layer), or None for models without."""
        if not self.has_w:
            return None
        sizes = [4 * 2 ** (k // 2) for k in range(self.G.num_layers)]
        return [rng.standard_normal((n, 1, r, r)).astype(np.float32) for r in sizes]

    def _noise_tensors(self, noise, start, stop):
        return [Tensor(backend.to_backend(m[start:stop])) for m in noise]

    def map(self, z):
        """w = f(z) for StyleGAN (the pixel-normalised z where it has no mapping network)."""
        if not self.has_w:
            raise UserError(f"a {self.model} generator has no intermediate latent space W")
        return self._batched(lambda zb: self.G.map(Tensor(backend.to_backend(zb))), z)

    def from_z(self, z, noise=None):
        """Images (N, C, R, R) in [-1, 1] (not clipped) from latents z."""
        if not self.has_w:
            return self._batched(lambda zb: self.G(Tensor(backend.to_backend(zb))), z)
        return self._from_styles(z, noise, lambda zb: self.G.styles(Tensor(backend.to_backend(zb))))

    def from_w(self, w, noise=None):
        """Images from intermediate latents w, the same w for every layer (no mixing, no truncation)."""
        return self._from_styles(w, noise, lambda wb: [Tensor(backend.to_backend(wb))] * self.G.num_layers)

    def _from_styles(self, latents, noise, styles):
        out = []
        with no_grad():
            for start in range(0, len(latents), self.batch):
                stop = min(start + self.batch, len(latents))
                maps = False if noise is None else self._noise_tensors(noise, start, stop)
                images = self.G.synthesis(styles(latents[start:stop]), noise=maps)
                out.append(backend.to_numpy(images.data))
        return np.concatenate(out)
