"""The progressive discriminator of ProGAN (Karras et al. 2018, table 2), which StyleGAN keeps,
adding a [1, 2, 1] blur before each downsampling convolution (NVlabs D_basic).

Per resolution r > 4, a block: conv3x3 C(r)->C(r), lrelu, [blur], conv3x3 C(r)->C(r/2), 2x2 average
pool, bias, lrelu.  At 4x4: minibatch stddev, conv3x3, dense to C(4), dense to one logit.
Images enter through a 1x1 "fromRGB" convolution at the current resolution.

Fade-in (ProGAN section 3, figure 2): while a new resolution r fades in with weight alpha, the input
takes two paths — the new block on fromRGB_r(image), and the old fromRGB_{r/2} on the image pooled to
r/2 — blended as lerp(old, new, alpha).  alpha = 0 is exactly the old network, alpha = 1 the new."""
from __future__ import annotations

from .. import nn
from ..ops import avg_pool2d, blur, lerp, reshape
from .widths import channels_at, check_resolution, resolutions


class DownBlock(nn.Module):
    def __init__(self, in_ch, out_ch, use_blur):
        super().__init__()
        self.conv0 = nn.Conv2d(in_ch, in_ch, 3, activation="lrelu")
        # conv1 is conv3x3 then 2x2 average pooling, computed as one stride-2 convolution (NVlabs'
        # conv2d_downscale2d); the bias and the activation come after the pool, as in NVlabs.
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, activation="lrelu", resample="down")
        self.use_blur = use_blur

    def forward(self, x):
        x = self.conv0(x)
        x = blur(x) if self.use_blur else x
        return self.conv1(x)


class ProgressiveDiscriminator(nn.Module):
    def __init__(self, resolution=32, channels=3, fmap_base=2048, fmap_max=256, mbstd_group_size=4,
                 use_blur=True):
        super().__init__()
        check_resolution(resolution)
        self.resolution = resolution
        self.res_list = resolutions(resolution)
        self.channels = {r: channels_at(r, fmap_base, fmap_max) for r in self.res_list}
        self.from_rgb = nn.ModuleList(nn.Conv2d(channels, self.channels[r], 1, activation="lrelu")
                                      for r in self.res_list)
        self.blocks = nn.ModuleList(DownBlock(self.channels[r], self.channels[r // 2], use_blur)
                                    for r in self.res_list[1:])
        c4 = self.channels[4]
        self.mbstd = nn.MinibatchStddev(mbstd_group_size) if mbstd_group_size > 1 else None
        self.conv4 = nn.Conv2d(c4 + (1 if self.mbstd else 0), c4, 3, activation="lrelu")
        self.dense4 = nn.FusedLinear(c4 * 16, c4, activation="lrelu")    # nn.Linear as one node
        self.out = nn.FusedLinear(c4, 1)

    def _index(self, res):
        return self.res_list.index(res)

    def forward(self, img, alpha: float = 1.0):
        """Logits (N, 1) for images at any resolution 4..max; alpha < 1 fades that resolution in."""
        res = img.shape[-1]
        i = self._index(res)
        x = self.from_rgb[i](img)
        if i > 0:
            x = self.blocks[i - 1](x)
            if alpha < 1.0:
                ### BEGIN SOLUTION ch06_fade_in: while resolution res fades in, blend the old input path with the new block's output
                old = self.from_rgb[i - 1](avg_pool2d(img))
                x = lerp(old, x, alpha)
                ### END SOLUTION
        for j in range(i - 2, -1, -1):
            x = self.blocks[j](x)
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv4(x)
        x = self.dense4(reshape(x, (x.shape[0], -1)))
        return self.out(x)
