"""The ProGAN generator (Karras et al. 2018, table 2): pixel norm after every layer, nearest
upsampling + two 3x3 convolutions per resolution, a 1x1 "toRGB" per resolution, grown from 4x4.

Fade-in (section 3, figure 2): while resolution r fades in, the output is
lerp(upsample(toRGB_{r/2}(x_{r/2})), toRGB_r(x_r), alpha): alpha = 0 is exactly the old network's
image upsampled, alpha = 1 exactly the new one's."""
from __future__ import annotations

import math

from .. import nn
from ..ops import lerp, pixel_norm, upsample_nearest
from .widths import channels_at, check_resolution, resolutions


class ProGANGenerator(nn.Module):
    def __init__(self, resolution=32, z_dim=256, channels=3, fmap_base=2048, fmap_max=256):
        super().__init__()
        check_resolution(resolution)
        self.z_dim, self.resolution = z_dim, resolution
        self.res_list = resolutions(resolution)
        ch = {r: channels_at(r, fmap_base, fmap_max) for r in self.res_list}
        self.c4 = ch[4]
        # The 4x4 block starts from z through a dense layer (a 4x4 "transposed conv" in the paper) with
        # one bias per channel; NVlabs gives it gain sqrt(2)/4 (to match the original Theano code).
        self.dense4 = nn.DenseToMaps(z_dim, ch[4], 4, gain=math.sqrt(2) / 4)
        self.conv4 = nn.Conv2d(ch[4], ch[4], 3, activation="lrelu")
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(ch[r // 2], ch[r], 3, activation="lrelu"),
                          nn.Conv2d(ch[r], ch[r], 3, activation="lrelu"))
            for r in self.res_list[1:])
        self.to_rgb = nn.ModuleList(nn.Conv2d(ch[r], channels, 1) for r in self.res_list)

    def forward(self, z, res=None, alpha: float = 1.0):
        ### BEGIN SOLUTION ch06_fade_in: ProGAN's G up to resolution res (table 2, pixel norm after every layer), the newest resolution faded in with alpha
        res = res or self.resolution
        i = self.res_list.index(res)
        x = pixel_norm(nn.activate(self.dense4(pixel_norm(z)), "lrelu"))
        x = pixel_norm(self.conv4(x))
        previous = x
        for j in range(i):
            previous = x
            x = upsample_nearest(x)
            conv_a, conv_b = self.blocks[j]
            x = pixel_norm(conv_b(pixel_norm(conv_a(x))))
        image = self.to_rgb[i](x)
        if i > 0 and alpha < 1.0:
            image = lerp(upsample_nearest(self.to_rgb[i - 1](previous)), image, alpha)
        return image
        ### END SOLUTION
