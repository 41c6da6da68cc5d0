"""The vanilla GAN (Goodfellow et al. 2014): multilayer perceptrons for G and D.

Used on 2-D toy data (a ring of Gaussians, where mode collapse is visible at a glance) and on
flattened images.  G maps z ~ N(0, I) to a sample; D maps a sample to one logit."""
from __future__ import annotations

from .. import nn
from ..ops import reshape, tanh


class MLPGenerator(nn.Module):
    def __init__(self, z_dim=16, out_shape=(2,), hidden=128, layers=3, tanh_output=False):
        super().__init__()
        out_size = 1
        for n in out_shape:
            out_size *= n
        dims = [z_dim] + [hidden] * layers
        self.z_dim, self.out_shape, self.tanh_output = z_dim, tuple(out_shape), tanh_output
        self.hidden = nn.Sequential(*[nn.Linear(a, b, activation="lrelu") for a, b in zip(dims, dims[1:])])
        self.out = nn.Linear(hidden, out_size)

    def forward(self, z):
        x = self.out(self.hidden(z))
        x = tanh(x) if self.tanh_output else x
        return reshape(x, (z.shape[0],) + self.out_shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, in_shape=(2,), hidden=128, layers=3):
        super().__init__()
        in_size = 1
        for n in in_shape:
            in_size *= n
        dims = [in_size] + [hidden] * layers
        self.hidden = nn.Sequential(*[nn.Linear(a, b, activation="lrelu") for a, b in zip(dims, dims[1:])])
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.hidden(reshape(x, (x.shape[0], -1))))
