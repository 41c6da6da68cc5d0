"""A DCGAN-style convolutional GAN (Radford et al. 2016): transposed convolutions upsample in G,
strided convolutions downsample in D, no pooling and no hidden dense layers.

Where this model departs from the paper, and why:
* No batch norm.  G normalises with pixel norm after every layer (ProGAN's normaliser: no running
  statistics to carry between training and sampling); D has no normalisation at all, as in ProGAN
  and StyleGAN, because batch norm makes each image's logit depend on the rest of the batch, which
  R1 (a penalty on each real image's own gradient) does not expect.
* Leaky ReLU (times sqrt(2)) in G as well as in D; the paper uses ReLU in G.  One activation for
  chapters 5-7, so that the DCGAN differs from ProGAN and StyleGAN only in what those chapters teach;
  not measured against ReLU here.
* A 3x3 convolution to RGB after the last transposed convolution (the paper's last layer is a
  transposed convolution straight to RGB).  Stride-2 transposed convolutions leave checkerboard
  patterns (Odena et al., "Deconvolution and Checkerboard Artifacts", 2016); one ordinary convolution
  at full resolution lets G smooth them out.  D mirrors it with a 3x3 fromRGB before its first
  strided convolution, so that D too sees the image at full resolution once.
* Equalized learning rate in every layer (ProGAN section 4.1), which keeps Adam stable without
  careful initialisation; the transposed convolution's scale uses its true fan-in (nn.ConvTranspose2d).
* The training recipe (training/config.py: Adam betas (0, 0.99), R1, a moving average of G) is
  StyleGAN's rather than the paper's (lr 2e-4, beta1 0.5): chapter 5 explains why."""
from __future__ import annotations

from .. import nn
from ..ops import pixel_norm, reshape, tanh
from .widths import channels_at, check_resolution, resolutions


class DCGANGenerator(nn.Module):
    def __init__(self, resolution=32, z_dim=128, channels=3, fmap_base=2048, fmap_max=256):
        super().__init__()
        check_resolution(resolution, 8)
        self.z_dim, self.resolution = z_dim, resolution
        ### BEGIN SOLUTION ch05_dcgan: G's layers, named and sized as in the handout's table
        ch = [channels_at(r, fmap_base, fmap_max) for r in resolutions(resolution)]
        self.c4 = ch[0]
        self.project = nn.Linear(z_dim, ch[0] * 16, activation="lrelu")
        self.ups = nn.ModuleList(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1, activation="lrelu")
                                 for a, b in zip(ch, ch[1:]))
        self.to_rgb = nn.Conv2d(ch[-1], channels, 3)
        ### END SOLUTION

    def forward(self, z):
        ### BEGIN SOLUTION ch05_dcgan: z -> 4x4 features -> doubled by each transposed convolution -> an image in [-1, 1]
        x = pixel_norm(reshape(self.project(z), (z.shape[0], self.c4, 4, 4)))
        for up in self.ups:
            x = pixel_norm(up(x))
        return tanh(self.to_rgb(x))
        ### END SOLUTION


class DCGANDiscriminator(nn.Module):
    def __init__(self, resolution=32, channels=3, fmap_base=2048, fmap_max=256):
        super().__init__()
        check_resolution(resolution, 8)
        ### BEGIN SOLUTION ch05_dcgan: D's layers, named and sized as in the handout's table
        ch = [channels_at(r, fmap_base, fmap_max) for r in reversed(resolutions(resolution))]
        self.from_rgb = nn.Conv2d(channels, ch[0], 3, activation="lrelu")
        self.downs = nn.ModuleList(nn.Conv2d(a, b, 4, stride=2, padding=1, activation="lrelu")
                                   for a, b in zip(ch, ch[1:]))
        self.out = nn.Linear(ch[-1] * 16, 1)
        ### END SOLUTION

    def forward(self, img):
        ### BEGIN SOLUTION ch05_dcgan: image -> halved by each strided convolution down to 4x4 -> one logit per image
        x = self.from_rgb(img)
        for down in self.downs:
            x = down(x)
        return self.out(reshape(x, (x.shape[0], -1)))
        ### END SOLUTION
